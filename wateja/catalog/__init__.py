"""The business's catalogue: products and categories the till sells and offers choose from."""
