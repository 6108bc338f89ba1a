"""Models of challenges."""
