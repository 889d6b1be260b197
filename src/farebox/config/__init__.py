"""Loading and validating farebox configuration."""
