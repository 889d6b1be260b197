"""Loading and validating farebox configuration.

loaded = load_config(find_config(args.config))   # raises ConfigError
print(summarize(loaded))
"""

from farebox.config.errors import ConfigError
from farebox.config.loader import (
    DEFAULT_CONFIG_FILES,
    LoadedConfig,
    find_config,
    load_config,
    parse_config,
    summarize,
)
from farebox.config.resolve import effective_accepts, is_paid, pay_to_for, route_prices
from farebox.config.schema import Config

__all__ = [
    "DEFAULT_CONFIG_FILES",
    "Config",
    "ConfigError",
    "LoadedConfig",
    "effective_accepts",
    "find_config",
    "is_paid",
    "load_config",
    "parse_config",
    "pay_to_for",
    "route_prices",
    "summarize",
]
