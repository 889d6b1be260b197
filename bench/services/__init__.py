"""Processes the benchmark starts: each serves one ASGI app and announces its URL."""
