"""The customer base: customers, loyalty cards, consents, interactions, segments, imports."""
