"""onSettled and onError through real sockets: what they receive, and that their own
failures change nothing. Each observer writes what it got to a JSON file the test reads."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from x402.http.utils import decode_payment_response_header

from tests.hooks_e2e.conftest import GatewayFactory
from tests.hooks_e2e.support import (
    START_BALANCE,
    Facilitator,
    HookFiles,
    Upstream,
    transaction_of,
)
from tests.support.payer import NETWORK, new_account, paying_client

RECORDER = """
import json
import pathlib

OUT = pathlib.Path({out!r})


def hook(ctx):
    payment = ctx.payment
    response = ctx.response
    record = {{
        "hook": ctx.hook,
        "path": ctx.request.path,
        "error": ctx.error,
        "quote": ctx.quote.amount if ctx.quote else None,
        "payment": None if payment is None else {{
            "payer": payment.payer,
            "amount": payment.amount,
            "network": payment.network,
            "scheme": payment.scheme,
            "transaction": payment.transaction,
        }},
        "response": None if response is None else {{
            "status": response.status,
            "json": response.json,
        }},
    }}
    with OUT.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\\n")
"""

ROUTES = """\
  "GET /after/:any":
    upstream: api
    price: "$0.03"
    settlement: after-response
    hooks:
      onSettled: "{hooks}/settled_recorder.py"
      onError: "{hooks}/error_recorder.py"
  "GET /status/:code":
    upstream: api
    price: "$0.03"
    settlement: after-response
    hooks:
      onSettled: "{hooks}/settled_recorder.py"
      onError: "{hooks}/error_recorder.py"
  "GET /before/:any":
    upstream: api
    price: "$0.01"
    hooks:
      onSettled: "{hooks}/settled_recorder.py"
      onError: "{hooks}/error_recorder.py"
  "GET /gone":
    upstream: nowhere
    price: "$0.03"
    settlement: after-response
    hooks:
      onSettled: "{hooks}/settled_recorder.py"
      onError: "{hooks}/error_recorder.py"
  "GET /broken-observers":
    upstream: api
    price: "$0.01"
    settlement: after-response
    hooks:
      onSettled: "{hooks}/raises.py"
      onError: "{hooks}/raises.py"
  "GET /broken-observers/status/:code":
    upstream: api
    path: /status/${params.code}
    price: "$0.01"
    settlement: after-response
    hooks:
      onSettled: "{hooks}/raises.py"
      onError: "{hooks}/raises.py"
"""


class Records:
    def __init__(self, folder: Path) -> None:
        self.settled = folder / "settled.jsonl"
        self.errors = folder / "errors.jsonl"

    def clear(self) -> None:
        self.settled.unlink(missing_ok=True)
        self.errors.unlink(missing_ok=True)

    @staticmethod
    def read(path: Path) -> list[dict[str, object]]:
        if not path.exists():
            return []
        return [read_json_line(line) for line in path.read_text().splitlines()]


def read_json_line(line: str) -> dict[str, object]:
    value = json.loads(line)
    assert isinstance(value, dict)
    return value


@pytest.fixture(scope="module")
def records(files: HookFiles, tmp_path_factory: pytest.TempPathFactory) -> Records:
    out = Records(tmp_path_factory.mktemp("observed"))
    files.write("settled_recorder.py", RECORDER.format(out=str(out.settled)))
    files.write("error_recorder.py", RECORDER.format(out=str(out.errors)))
    files.write("raises.py", "def hook(ctx):\n    raise RuntimeError('observer bug')\n")
    return out


@pytest.fixture
def observed(records: Records) -> Records:
    records.clear()
    return records


@pytest.fixture(scope="module")
def url(gateway: GatewayFactory, records: Records) -> str:
    return gateway(ROUTES)


@pytest.mark.parametrize(("path", "amount"), [("/after/one", 30_000), ("/before/one", 10_000)])
async def test_on_settled_receives_the_transaction_of_payment_response(
    url: str, observed: Records, facilitator: Facilitator, path: str, amount: int
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}{path}")
    assert response.status_code == 200, response.text
    [record] = observed.read(observed.settled)
    assert record["hook"] == "onSettled"
    assert record["path"] == path
    assert record["payment"] == {
        "payer": payer.address,
        "amount": amount,
        "network": NETWORK,
        "scheme": "exact",
        "transaction": transaction_of(response),
    }
    assert decode_payment_response_header(response.headers["payment-response"]).payer == (
        payer.address
    )
    assert observed.read(observed.errors) == []
    assert facilitator.balance(payer.address) == START_BALANCE - amount


async def test_on_error_receives_an_upstream_500(
    url: str, observed: Records, facilitator: Facilitator
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}/status/500")
    assert response.status_code == 500
    assert response.json() == {"status": 500}  # the upstream's own answer
    [record] = observed.read(observed.errors)
    assert record["hook"] == "onError"
    assert record["error"] == "upstream answered 500"
    assert record["response"] == {"status": 500, "json": None}  # relayed unread
    payment = record["payment"]
    assert isinstance(payment, dict)
    assert payment["payer"] == payer.address
    assert payment["transaction"] is None  # nothing settled
    assert observed.read(observed.settled) == []
    assert facilitator.balance(payer.address) == START_BALANCE


async def test_on_error_receives_an_unreachable_upstream(
    url: str, observed: Records, facilitator: Facilitator
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}/gone")
    assert response.status_code == 502
    [record] = observed.read(observed.errors)
    assert record["hook"] == "onError"
    error = record["error"]
    assert isinstance(error, str) and "could not be reached" in error, error
    assert error == response.json()["error"]
    assert record["response"] is None
    assert observed.read(observed.settled) == []
    assert facilitator.balance(payer.address) == START_BALANCE


async def test_no_observer_runs_for_an_unpaid_request(
    url: str, observed: Records, upstream: Upstream
) -> None:
    async with httpx.AsyncClient(timeout=30) as plain:
        response = await plain.get(f"{url}/after/x", headers={"PAYMENT-SIGNATURE": "not base64"})
    assert response.status_code == 402
    assert observed.read(observed.settled) == []
    assert observed.read(observed.errors) == []
    assert upstream.log.requests == []


@pytest.mark.parametrize(
    ("path", "status", "charged"), [("", 200, True), ("/status/503", 503, False)]
)
async def test_an_observer_that_raises_changes_nothing(
    url: str, facilitator: Facilitator, path: str, status: int, charged: bool
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}/broken-observers{path}")
    assert response.status_code == status
    assert ("payment-response" in response.headers) is charged
    assert facilitator.balance(payer.address) == START_BALANCE - (10_000 if charged else 0)
