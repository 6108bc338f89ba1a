"""Models of events and workshops."""
