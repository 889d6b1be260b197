"""farebox.routing"""
