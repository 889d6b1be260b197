"""farebox.facilitator"""
