"""Payments that arrive by themselves (M-Pesa C2B, later other wallets and tills) and become
orders through the checkout services."""
