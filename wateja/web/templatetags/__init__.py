"""Template tags and filters of the screens: money, phones, card numbers, card codes, messages."""
