"""examples/hooks/farebox.yaml names only files that load, with the hooks it says."""

from __future__ import annotations

from typing import Any

import yaml

from farebox.hooks import CodeLoader, load_hooks, load_pricing_function

from .support import EXAMPLES

CONFIG = EXAMPLES / "hooks" / "farebox.yaml"


def test_every_hook_and_pricing_function_in_the_example_config_loads() -> None:
    config: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    loader = CodeLoader(CONFIG.parent)
    names: dict[str, list[str]] = {}
    for key, route in config["routes"].items():
        hooks = load_hooks(
            config.get("hooks"),
            route.get("hooks"),
            loader=loader,
            route_where=f"routes.{key}.hooks",
        )
        names[key] = sorted(f"{n}={h.path.name}" for n, h in hooks.hooks.items())
        price = route.get("price")
        if isinstance(price, dict):
            fn = load_pricing_function(price["fn"], loader=loader, where=f"routes.{key}.price.fn")
            assert fn.name == "price"
    assert names["POST /v1/chat/completions"] == [
        "onRequest=enforce_model_allowlist.py",
        "onResponse=refund_on_empty_completion.py",
    ]
    assert names["POST /v1/embeddings"] == ["onResponse=never_settle_on_error.py"]
    assert names["POST /v1/images/generations"] == ["onResponse=refund_on_rate_limit.py"]
