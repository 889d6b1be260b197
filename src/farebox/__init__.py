"""farebox: a pay-per-request x402 gateway for LLM APIs."""
