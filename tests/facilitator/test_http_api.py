"""The facilitator's HTTP surface: ledger helpers and refusals of bad requests."""

from __future__ import annotations

import httpx
import pytest

from farebox.facilitator import LocalFacilitator
from farebox.serving import BackgroundServer

from .payments import BASE, BASE_SEPOLIA, new_account


def test_balance_of_a_new_address_is_the_initial_balance_on_base_sepolia(
    served: BackgroundServer,
) -> None:
    address = new_account().address
    body = httpx.get(f"{served.url}/balances/{address.lower()}").json()
    assert body == {"address": address, "network": BASE_SEPOLIA, "balance": "100000000"}


@pytest.mark.parametrize("name", ["base", "eip155:8453"])
def test_balance_accepts_friendly_and_caip2_network_names(
    served: BackgroundServer, facilitator: LocalFacilitator, name: str
) -> None:
    address = new_account().address
    facilitator.ledger.fund(BASE, address, 7)
    body = httpx.get(f"{served.url}/balances/{address}", params={"network": name}).json()
    assert body == {"address": address, "network": BASE, "balance": "100000007"}


@pytest.mark.parametrize(
    ("amount", "added"),
    [("$5", 5_000_000), ("$0.25", 250_000), (1234, 1234), ("1234", 1234)],
)
def test_fund_adds_atomic_units_or_dollars(
    served: BackgroundServer, facilitator: LocalFacilitator, amount: object, added: int
) -> None:
    address = new_account().address
    response = httpx.post(
        f"{served.url}/fund",
        json={"address": address, "amount": amount, "network": "base-sepolia"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "address": address,
        "network": BASE_SEPOLIA,
        "balance": str(100_000_000 + added),
    }
    assert facilitator.ledger.balance(BASE_SEPOLIA, address) == 100_000_000 + added
    assert facilitator.ledger.balance(BASE, address) == 100_000_000


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"address": "0x123", "amount": 5}, "not an EVM address"),
        ({"address": "ADDR", "amount": "5.5"}, "ambiguous"),
        ({"address": "ADDR", "amount": "$-1"}, "negative"),
        ({"address": "ADDR", "amount": 0}, "more than zero"),
        ({"address": "ADDR", "amount": True}, "not an amount"),
        ({"address": "ADDR", "amount": "$0.0000001"}, "atomic units"),
        ({"address": "ADDR", "amount": 2**256 - 1}, "overflow uint256"),
        ({"address": "ADDR", "amount": 5, "network": "solana"}, "not a supported network"),
        ({"amount": 5}, "address and amount are required"),
        ([1, 2], "JSON object"),
    ],
)
def test_fund_refuses_bad_requests_with_a_400_that_says_why(
    served: BackgroundServer, facilitator: LocalFacilitator, body: object, expected: str
) -> None:
    address = new_account().address
    if isinstance(body, dict) and body.get("address") == "ADDR":
        body = {**body, "address": address}
    response = httpx.post(f"{served.url}/fund", json=body)
    assert response.status_code == 400
    assert expected in response.json()["error"]
    assert facilitator.ledger.balance(BASE_SEPOLIA, address) == 100_000_000


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/balances/0xnothex", "not an EVM address"),
        (f"/balances/{'0x' + '11' * 20}?network=base-mainnet", "not a supported network"),
    ],
)
def test_balances_refuses_bad_address_or_network(
    served: BackgroundServer, path: str, expected: str
) -> None:
    response = httpx.get(f"{served.url}{path}")
    assert response.status_code == 400
    assert expected in response.json()["error"]


_PAY_TO = "0x" + "22" * 20
_PAYLOAD = {  # well-formed JSON whose authorization value is not a number
    "x402Version": 2,
    "payload": {"authorization": {"to": _PAY_TO, "value": "lots"}, "signature": "0x00"},
    "accepted": {
        "scheme": "exact",
        "network": BASE_SEPOLIA,
        "asset": "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
        "amount": "1",
        "payTo": _PAY_TO,
        "maxTimeoutSeconds": 60,
        "extra": {"name": "USDC", "version": "2"},
    },
}


@pytest.mark.parametrize("endpoint", ["/verify", "/settle"])
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"not json", "not JSON"),
        (b"[]", "JSON object"),
        (b'{"x402Version": 2}', "missing paymentPayload, paymentRequirements"),
        (
            b'{"x402Version": 1, "paymentPayload": {}, "paymentRequirements": {}}',
            "x402Version 1 is not supported",
        ),
        (
            b'{"x402Version": 2, "paymentPayload": {"payload": {}}, "paymentRequirements": {}}',
            "paymentPayload.accepted: Field required",
        ),
    ],
)
def test_verify_and_settle_refuse_malformed_bodies_with_a_400(
    served: BackgroundServer, endpoint: str, content: bytes, expected: str
) -> None:
    response = httpx.post(
        f"{served.url}{endpoint}", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert expected in response.json()["error"]


@pytest.mark.parametrize("endpoint", ["/verify", "/settle"])
def test_payload_the_sdk_cannot_parse_is_an_invalid_answer_not_a_crash(
    served: BackgroundServer, endpoint: str
) -> None:
    body = {
        "x402Version": 2,
        "paymentPayload": _PAYLOAD,
        "paymentRequirements": _PAYLOAD["accepted"],
    }
    response = httpx.post(f"{served.url}{endpoint}", json=body)
    assert response.status_code == 200
    answer = response.json()
    assert answer.get("isValid", answer.get("success")) is False
    assert answer.get("invalidReason", answer.get("errorReason")) == "invalid_payload"


def test_index_says_this_is_a_test_ledger(
    served: BackgroundServer, facilitator: LocalFacilitator
) -> None:
    body = httpx.get(f"{served.url}/").json()
    assert "no real money moves" in body["notice"]
    assert body["facilitatorAddress"] == facilitator.address


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/nope", 404), ("GET", "/settle", 405)]
)
def test_unknown_routes_answer_json_that_lists_the_endpoints(
    served: BackgroundServer, method: str, path: str, status: int
) -> None:
    response = httpx.request(method, f"{served.url}{path}")
    assert response.status_code == status
    assert "POST /settle" in response.json()["error"]
