"""Online shops in: Shopify and WooCommerce webhooks become sales, refunds, cart reminders and
catalogue products."""
