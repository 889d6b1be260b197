"""farebox.reporting: `farebox report` over the payments ledger."""
