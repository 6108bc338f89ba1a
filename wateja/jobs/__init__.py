"""Background jobs run by the Huey consumer (`wateja worker`); each task calls a service."""
