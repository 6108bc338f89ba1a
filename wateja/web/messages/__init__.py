"""Messaging screens: templates, campaigns, automations and the messaging settings."""
