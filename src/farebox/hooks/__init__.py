"""farebox.hooks"""
