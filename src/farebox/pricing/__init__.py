"""Turning a request into a price (pure; no I/O)."""
