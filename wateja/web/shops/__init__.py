"""Online shop screens (owner): connect a Shopify or WooCommerce shop, see what it sent."""
