"""farebox.llm"""
