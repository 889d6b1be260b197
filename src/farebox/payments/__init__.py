"""farebox.payments"""
