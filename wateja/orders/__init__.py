"""Orders: what a customer bought and paid, the source of purchase history and rewards."""
