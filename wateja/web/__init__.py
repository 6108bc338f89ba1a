"""Staff web screens (server-rendered templates + htmx) and customer-facing pages."""
