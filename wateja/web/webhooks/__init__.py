"""Webhook screens (owner): endpoints, their delivery log, replay, test, new secret."""
