"""farebox.observability: Prometheus metrics and JSON log lines."""
