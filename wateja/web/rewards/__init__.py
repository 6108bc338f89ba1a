"""Rewards screens: the offers, their cost before activation, their codes."""
