"""The settings screen: the business, its locations, the loyalty rules and the API keys."""
