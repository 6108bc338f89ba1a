"""Huey tasks that compute and store offers' cost estimates (simulations over past orders)."""

from __future__ import annotations
