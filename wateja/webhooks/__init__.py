"""Webhooks out: a business's endpoints, each sent the events it subscribed to (signed, retried
with backoff, logged, replayable)."""
