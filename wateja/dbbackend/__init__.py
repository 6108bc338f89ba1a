"""Database backends: Django's own, with what Wateja's schema needs of them."""
