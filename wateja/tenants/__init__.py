"""Businesses, their locations, staff with roles, API keys, and the per-business scoping helper."""
