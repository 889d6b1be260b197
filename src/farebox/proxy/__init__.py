"""farebox.proxy"""
