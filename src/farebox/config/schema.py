"""The config schema: the tollbooth YAML format, validated by pydantic.

Field names follow the YAML (camelCase aliases). Prices are validated into
USDC atomic units here, so nothing downstream ever sees a dollar string.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from farebox.networks import to_caip2
from farebox.pricing.money import parse_price

AtomicPrice = Annotated[int, BeforeValidator(parse_price)]
"""A price written as "$0.01" in YAML, held as USDC atomic units."""

Network = Annotated[str, BeforeValidator(lambda v: to_caip2(str(v)))]

Settlement = Literal["before-response", "after-response"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class CorsConfig(Strict):
    origins: list[str] = Field(default_factory=lambda: ["*"])
    methods: list[str] = Field(default_factory=lambda: ["GET", "POST", "PUT", "PATCH", "DELETE"])
    headers: list[str] = Field(default_factory=list)
    credentials: bool = False


class GatewayConfig(Strict):
    port: int = Field(3000, ge=1, le=65535)
    hostname: str = "0.0.0.0"
    discovery: bool = True
    cors: bool | CorsConfig = False
    trust_proxy: bool | int = Field(False, alias="trustProxy")
    metrics: bool = False


class Accept(Strict):
    asset: str = "USDC"
    network: Network


class Defaults(Strict):
    price: AtomicPrice | None = None
    timeout: float = Field(30.0, gt=0, description="upstream timeout in seconds")


class Upstream(Strict):
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float | None = Field(None, gt=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f'"{url}" is not an http(s) URL like "https://api.openai.com"')
        return url.rstrip("/")


class MatchRule(Strict):
    where: dict[str, str | int | float | bool]
    price: AtomicPrice
    pay_to: str | None = Field(None, alias="payTo")


class Route(Strict):
    upstream: str
    path: str | None = None
    price: AtomicPrice | None = None
    match: list[MatchRule] = Field(default_factory=list)
    fallback: AtomicPrice | None = None
    accepts: list[Accept] | None = None
    pay_to: str | None = Field(None, alias="payTo")
    settlement: Settlement = "before-response"
    metadata: dict[str, Any] | None = None
    facilitator: str | None = None


class Config(Strict):
    gateway: GatewayConfig = Field(default_factory=GatewayConfig)
    wallets: dict[Network, str] = Field(default_factory=dict)
    accepts: list[Accept] | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    facilitator: str | None = None
    upstreams: dict[str, Upstream] = Field(default_factory=dict)
    routes: dict[str, Route] = Field(default_factory=dict)
