"""farebox.stores"""
