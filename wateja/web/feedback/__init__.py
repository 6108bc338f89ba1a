"""Feedback screens: ratings after purchases (the list and the report per location, cashier
and product), how low ratings are acted on (settings), and short surveys sent as campaigns."""
