"""Messaging: templates and variants, campaigns, automations, the outbox and its worker,
consent/quiet-hours/frequency rules, inbound SMS and USSD, attribution."""
