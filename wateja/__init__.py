"""Wateja: customer base, loyalty and retention for small and medium businesses."""

__version__ = "0.1.0"
