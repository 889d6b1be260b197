"""Decoding a PAYMENT-SIGNATURE header and binding it to the route's requirements."""

from __future__ import annotations

from bench.micro.harness import MicroBenchmark, Operation


def prepare_decode_and_bind() -> Operation:
    from x402.schemas import PaymentRequirements

    from bench.payments import unsigned_payment_headers
    from farebox.config.chain import usdc_address
    from farebox.payments.header import bind_to_price, decode_payment

    requirements = PaymentRequirements(
        scheme="exact",
        network="eip155:84532",
        asset=usdc_address("eip155:84532"),
        amount="10000",
        pay_to="0x" + "12" * 20,
        max_timeout_seconds=60,
        extra={"name": "USDC", "version": "2"},
    )
    header = unsigned_payment_headers(requirements, 1)[0]
    offered = [requirements]
    return lambda: bind_to_price(decode_payment(header), offered)


DECODE_AND_BIND = MicroBenchmark(
    "decode + bind a PAYMENT-SIGNATURE header", "headers/s", prepare_decode_and_bind
)
