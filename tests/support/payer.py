"""Paying callers: fresh keys and the official x402 httpx client."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from x402 import x402Client
from x402.http.clients.httpx import x402HttpxClient
from x402.http.utils import decode_payment_required_header, encode_payment_signature_header
from x402.mechanisms.evm.exact.client import ExactEvmScheme
from x402.mechanisms.evm.signers import EthAccountSigner
from x402.mechanisms.evm.upto.client import UptoEvmScheme
from x402.schemas import PaymentPayload, PaymentRequired

NETWORK = "eip155:84532"


def new_account() -> LocalAccount:
    return Account.create()


def x402_client_for(account: LocalAccount, *, upto: bool = True) -> x402Client:
    """The official client, able to pay `exact` and (unless upto=False) `upto`."""
    client = x402Client()
    signer = EthAccountSigner(account)
    for network in (NETWORK, "eip155:8453"):
        client.register(network, ExactEvmScheme(signer=signer))
        if upto:
            client.register(network, UptoEvmScheme(signer=signer))
    return client


def paying_client(account: LocalAccount, *, upto: bool = True, **kwargs: Any) -> x402HttpxClient:
    """An httpx client that answers 402s by paying from `account`."""
    return x402HttpxClient(x402_client_for(account, upto=upto), timeout=30, **kwargs)


def required_of(response: httpx.Response) -> PaymentRequired:
    assert response.status_code == 402, response.text
    decoded = decode_payment_required_header(response.headers["payment-required"])
    assert isinstance(decoded, PaymentRequired)
    return decoded


async def sign_for(account: LocalAccount, required: PaymentRequired) -> str:
    """A PAYMENT-SIGNATURE header value for a 402, made by the official client."""
    payload = await x402_client_for(account).create_payment_payload(required)
    assert isinstance(payload, PaymentPayload)
    return encode_payment_signature_header(payload)


def b64json(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()
