"""The config schema: the tollbooth YAML format, validated by pydantic.

Field names follow the YAML (camelCase aliases). Prices are validated into
USDC atomic units here, so nothing downstream ever sees a dollar string.
Checks that need more than one field (a route's upstream exists, a paid route
has an address to be paid to) live in farebox.config.checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
)

from farebox.config.chain import check_evm_address, friendly_network, usdc_address
from farebox.config.route_keys import parse_route_key
from farebox.networks import to_caip2
from farebox.pricing.money import parse_price
from farebox.pricing.rates import parse_percent, parse_rate

NOT_YET = "not supported yet by this farebox version"


def _price(value: object) -> int:
    if isinstance(value, dict) and "fn" in value:
        raise ValueError("a pricing function (price: {fn: ...}) can only be a route's price")
    return parse_price(value)


def _pay_to(value: object) -> str:
    if isinstance(value, list):
        raise ValueError(f"splitting a payment between several addresses is {NOT_YET}")
    return check_evm_address(value)


def _facilitator(value: object) -> str:
    if isinstance(value, dict):
        raise ValueError(f"a facilitator per network is {NOT_YET}; give one URL")
    if value == "local" or (isinstance(value, str) and value.startswith(("http://", "https://"))):
        return value
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    raise ValueError(
        f'{shown} is not a facilitator; use an http(s) URL like "https://x402.org/facilitator", '
        'or "local" for the embedded one'
    )


def _route_key(key: str) -> str:
    parse_route_key(key)
    return key


MATCH_SOURCES = ("body", "query", "headers", "params")
"""Where a match rule can look: body.model, query.format, headers.x-tier, params.id."""


def _where_key(key: str) -> str:
    source, dot, rest = key.partition(".")
    if source in MATCH_SOURCES and dot and rest:
        return key
    raise ValueError(
        f'"{key}" does not say where to look; start it with body., query., headers. or params., '
        'like "body.model"'
    )


def _where_value(value: object) -> object:
    if isinstance(value, str | int | float | bool):
        return value
    shown = "empty" if value is None else f"a {type(value).__name__}"
    raise ValueError(f"{shown} cannot be matched; use text, a number, or true/false")


def _trust_proxy(value: object) -> object:
    # After ${ENV} interpolation a value arrives as text; read it the way YAML would.
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, bool) or (isinstance(value, int) and value >= 0):
        return value
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    raise ValueError(f"{shown} is not true, false, or a number of proxy hops like 1")


def _cors_kind(value: Any) -> str:
    return "settings" if isinstance(value, dict | CorsConfig) else "switch"


AtomicPrice = Annotated[int, BeforeValidator(_price)]
"""A price written as "$0.01" in YAML, held as USDC atomic units."""

Network = Annotated[str, BeforeValidator(lambda v: to_caip2(str(v)))]
"""A network written "base-sepolia" or "eip155:84532", held as CAIP-2."""

EvmAddress = Annotated[str, BeforeValidator(check_evm_address)]
PayTo = Annotated[str, BeforeValidator(_pay_to)]
FacilitatorRef = Annotated[str, BeforeValidator(_facilitator)]
RouteKeyText = Annotated[str, AfterValidator(_route_key)]
WhereKey = Annotated[str, AfterValidator(_where_key)]
WhereValue = Annotated[str | int | float | bool, BeforeValidator(_where_value)]

TrustProxy = Annotated[bool | int, BeforeValidator(_trust_proxy)]
"""true/false, or how many proxy hops in front of the gateway to trust."""

Settlement = Literal["before-response", "after-response"]

TokenRate = Annotated[Decimal, BeforeValidator(parse_rate)]
"""A per-token rate written "$2.00/1M", held as atomic units per token."""

Percent = Annotated[Decimal, BeforeValidator(parse_percent)]
"""A percentage written "30%", held as a fraction (0.30)."""

RouteType = Literal["token-based", "openai-compatible"]
PaymentScheme = Literal["upto", "exact"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class CorsConfig(Strict):
    origins: list[str] = Field(default_factory=lambda: ["*"])
    methods: list[str] = Field(default_factory=lambda: ["GET", "POST", "PUT", "PATCH", "DELETE"])
    headers: list[str] = Field(default_factory=list)
    credentials: bool = False


Cors = Annotated[
    Annotated[bool, Tag("switch")] | Annotated[CorsConfig, Tag("settings")],
    Discriminator(_cors_kind),
]


class GatewayConfig(Strict):
    port: int = Field(default=3000, ge=1, le=65535)
    hostname: str = "0.0.0.0"
    discovery: bool = True
    cors: Cors = False
    trust_proxy: TrustProxy = Field(default=False, alias="trustProxy")
    metrics: bool = False


class Accept(Strict):
    network: Network = Field(description='a network like "base-sepolia"')
    asset: str = "USDC"

    @field_validator("asset")
    @classmethod
    def _usdc(cls, asset: str, info: ValidationInfo) -> str:
        network = info.data.get("network")
        if network is None:  # the network itself is invalid and reported on its own
            return asset
        if asset.upper() == "USDC":
            return "USDC"
        usdc = usdc_address(network)
        if asset.lower() == usdc.lower():
            return asset
        raise ValueError(
            f'"{asset}" is not supported; use "USDC" (on {friendly_network(network)} '
            f"that is {usdc})"
        )


class Defaults(Strict):
    price: AtomicPrice | None = None
    timeout: float = Field(default=30.0, gt=0, description="upstream timeout in seconds")
    hook_timeout: float = Field(
        default=5.0,
        gt=0,
        alias="hookTimeout",
        description="seconds a hook or pricing function may run",
    )
    max_price: AtomicPrice = Field(
        default=10_000_000,
        alias="maxPrice",
        description="the most a pricing function or hook may charge",
    )


class Stores(Strict):
    ledger: str | None = Field(
        default=None, description='an SQLite file, or a "postgresql://" URL for several instances'
    )
    replay: str | None = Field(
        default=None,
        description='"memory" (one gateway process), or a "redis://" URL shared by several',
    )

    @field_validator("replay")
    @classmethod
    def _replay_store(cls, value: str | None) -> str | None:
        if value is None or value == "memory" or value.startswith(("redis://", "rediss://")):
            return value
        raise ValueError(
            f'"{value}" is not a replay store; use "memory" or a URL like "redis://localhost:6379/0"'
        )


class PricingFunctionRef(Strict):
    """price: {fn: "pricing/completions.py"}: a Python function prices each request."""

    fn: str = Field(min_length=1, description="a Python file defining price(req)")
    max_price: AtomicPrice | None = Field(default=None, alias="maxPrice")


def _route_price_kind(value: Any) -> str:
    return "fn" if isinstance(value, dict | PricingFunctionRef) else "static"


RoutePrice = Annotated[
    Annotated[AtomicPrice, Tag("static")] | Annotated[PricingFunctionRef, Tag("fn")],
    Discriminator(_route_price_kind),
]


class Upstream(Strict):
    url: str = Field(description='an http(s) URL like "https://api.openai.com"')
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float | None = Field(default=None, gt=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f'"{url}" is not an http(s) URL like "https://api.openai.com"')
        return url.rstrip("/")


class MatchRule(Strict):
    where: dict[WhereKey, WhereValue] = Field(description='conditions like {body.model: "gpt-4o"}')
    price: AtomicPrice = Field(description='a price like "$0.01"')
    pay_to: PayTo | None = Field(default=None, alias="payTo")


class PerTokenPrice(Strict):
    """Metered pricing: the caller authorizes a ceiling and pays for real usage."""

    input: TokenRate = Field(description='a rate like "$2.00/1M"')
    output: TokenRate = Field(description='a rate like "$8.00/1M"')
    cached_input: TokenRate | None = Field(default=None, alias="cachedInput")
    cache_write: TokenRate | None = Field(default=None, alias="cacheWrite")


class InheritedPrice(Strict):
    """Price an ID (usually a fine-tune) as another model, with its own markup."""

    base: str = Field(min_length=1, description="the model whose price this one inherits")
    markup: Percent = Field(default=Decimal(0), description='a percentage like "50%"')


def _model_price_kind(value: Any) -> str:
    if isinstance(value, InheritedPrice) or (isinstance(value, dict) and "base" in value):
        return "inherited"
    if isinstance(value, PerTokenPrice | dict):
        return "per-token"
    return "flat"


ModelPrice = Annotated[
    Annotated[AtomicPrice, Tag("flat")]
    | Annotated[PerTokenPrice, Tag("per-token")]
    | Annotated[InheritedPrice, Tag("inherited")],
    Discriminator(_model_price_kind),
]
"""A `models` entry: "$0.05" per request, {input, output} per token, or {base, markup}."""


def _model_source(value: str) -> str:
    source, dot, name = value.partition(".")
    if (source in ("params", "headers") and dot and name) or value == "body.model":
        return value
    raise ValueError(
        f'"{value}" is not a model source; use body.model, params.NAME or headers.NAME'
    )


ModelSource = Annotated[str, AfterValidator(_model_source)]


class Route(Strict):
    upstream: str = Field(description="the name of an entry under upstreams")
    path: str | None = None
    price: RoutePrice | None = None
    match: list[MatchRule] = Field(default_factory=list)
    fallback: AtomicPrice | None = None
    accepts: list[Accept] | None = Field(default=None, min_length=1)
    pay_to: PayTo | None = Field(default=None, alias="payTo")
    settlement: Settlement = "before-response"
    metadata: dict[str, Any] | None = None
    facilitator: FacilitatorRef | None = None
    # LLM routes (type: token-based); farebox.config.checks refuses them elsewhere.
    type: RouteType | None = None
    models: dict[str, ModelPrice] = Field(default_factory=dict)
    markup: Percent | None = None
    allow_models: list[str] | None = Field(default=None, alias="allowModels")
    unknown_models: Literal["fallback", "reject"] = Field(default="fallback", alias="unknownModels")
    model_from: ModelSource = Field(default="body.model", alias="modelFrom")
    deployments: dict[str, str] = Field(default_factory=dict)
    max_output_tokens: int | None = Field(default=None, gt=0, alias="maxOutputTokens")
    schemes: list[PaymentScheme] | None = Field(default=None, min_length=1)
    provider: str | None = None

    hooks: dict[str, str] = Field(default_factory=dict)

    @property
    def token_based(self) -> bool:
        return self.type is not None

    @property
    def static_price(self) -> int | None:
        """`price` when it is a fixed amount (not a pricing function)."""
        return self.price if isinstance(self.price, int) else None

    @property
    def price_fn(self) -> PricingFunctionRef | None:
        return self.price if isinstance(self.price, PricingFunctionRef) else None


class Config(Strict):
    gateway: GatewayConfig = Field(default_factory=GatewayConfig)
    wallets: dict[Network, EvmAddress] = Field(default_factory=dict)
    accepts: list[Accept] | None = Field(default=None, min_length=1)
    defaults: Defaults = Field(default_factory=Defaults)
    facilitator: FacilitatorRef | None = None
    upstreams: dict[str, Upstream] = Field(default_factory=dict)
    routes: dict[RouteKeyText, Route] = Field(default_factory=dict)
    hooks: dict[str, str] = Field(default_factory=dict)
    stores: Stores = Field(default_factory=Stores)


NOT_YET_SUPPORTED: Mapping[type[BaseModel], frozenset[str]] = {
    Config: frozenset({"rateLimit", "settlement"}),
    Defaults: frozenset({"rateLimit", "verificationCache"}),
    Route: frozenset({"rateLimit", "verificationCache"}),
}
"""Keys of the tollbooth format that this version does not implement yet.

They are refused with a clear "not supported yet" message instead of "unknown
key". Supporting one is: add the field to its model, and delete it here.
"""
