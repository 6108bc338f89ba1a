"""The till: the cashier screen (POS) and the receipt."""
