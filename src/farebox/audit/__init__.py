"""`farebox models audit` and `suggest`: are configured LLM prices still above cost?"""
