"""farebox.observability"""
