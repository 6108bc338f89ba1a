"""Staff screens (server-rendered templates + htmx) and customer pages, one package per family."""
