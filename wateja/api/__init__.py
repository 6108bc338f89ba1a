"""The JSON API (/api/v1): thin Django Ninja routers that parse, call a service and render."""
