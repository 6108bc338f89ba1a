"""Django's PostgreSQL backend, aware of the monthly partitioned tables."""
