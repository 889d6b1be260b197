"""Turning a request into a price (pure; no I/O)."""

from farebox.pricing.quote import PricingError, Quote, RequestFacts, RoutePricer
from farebox.pricing.static import RulePricer, build_pricer

__all__ = ["PricingError", "Quote", "RequestFacts", "RoutePricer", "RulePricer", "build_pricer"]
