"""farebox start | dev | validate | facilitator | demo | report | models."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from farebox.audit.check import Shape
from farebox.config.errors import ConfigError
from farebox.pricing.money import PriceError, parse_price
from farebox.pricing.rates import parse_percent
from farebox.reporting.command import add_report_arguments

CONFIG_HELP = "config file (default: ./farebox.yaml, ./tollbooth.config.yaml)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        code: int = args.run(args)
    except ConfigError as exc:
        print(f"config error:\n{exc}", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"farebox: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="farebox", description="Pay-per-request x402 gateway")
    commands = parser.add_subparsers(dest="command", required=True)

    start = commands.add_parser("start", help="run the gateway")
    start.add_argument("--config", help=CONFIG_HELP)
    start.add_argument("--host", help="listen address (default: gateway.hostname)")
    start.add_argument("--port", type=int, help="listen port (default: gateway.port)")
    start.set_defaults(run=cmd_start)

    dev = commands.add_parser("dev", help="run the gateway, restarting on config or code changes")
    dev.add_argument("--config", help=CONFIG_HELP)
    dev.add_argument("--host", help="listen address (default: gateway.hostname)")
    dev.add_argument("--port", type=int, help="listen port (default: gateway.port)")
    dev.set_defaults(run=cmd_dev)

    validate = commands.add_parser("validate", help="check a config file and exit")
    validate.add_argument("--config", help=CONFIG_HELP)
    validate.set_defaults(run=cmd_validate)

    fac = commands.add_parser("facilitator", help="run the local test facilitator")
    fac.add_argument("--host", default="127.0.0.1")
    fac.add_argument("--port", type=int, default=4020)
    fac.add_argument("--db", help="SQLite ledger file (default: in memory)")
    fac.add_argument(
        "--initial-balance", default="$100", help='balance of every new address ("$100")'
    )
    fac.set_defaults(run=cmd_facilitator)

    demo = commands.add_parser("demo", help="run a paid request end to end, narrated")
    demo.set_defaults(run=cmd_demo)

    report = commands.add_parser(
        "report", help="requests, revenue, cost and margin from the ledger"
    )
    report.add_argument("--config", help=CONFIG_HELP)
    add_report_arguments(report)
    report.set_defaults(run=cmd_report)

    models = commands.add_parser("models", help="check LLM prices against upstream cost")
    model_commands = models.add_subparsers(dest="models_command", required=True)
    audit = model_commands.add_parser("audit", help="is every model priced above cost?")
    audit.add_argument("--config", help=CONFIG_HELP)
    audit.add_argument("--margin", default="20%", help='target margin (default "20%%")')
    audit.add_argument("--shape", default="1000:500", help="reference INPUT:OUTPUT tokens")
    audit.add_argument("--json", action="store_true", help="machine-readable output")
    audit.add_argument(
        "--since",
        default="30d",
        help='use token shapes observed in the ledger over this window (30d; "none" to skip)',
    )
    audit.set_defaults(run=cmd_models_audit)
    suggest = model_commands.add_parser("suggest", help="print a models: block at a margin")
    suggest.add_argument("--config", help=CONFIG_HELP)
    suggest.add_argument("--margin", default="30%", help='target margin (default "30%%")')
    suggest.add_argument("--shape", default="1000:500", help="reference INPUT:OUTPUT tokens")
    suggest.set_defaults(run=cmd_models_suggest)
    return parser


def cmd_start(args: argparse.Namespace) -> int:
    import uvicorn

    from farebox.app import build_app
    from farebox.config.loader import find_config, load_config
    from farebox.observability.logs import configure_json_logging
    from farebox.serving import bind_socket, uvicorn_config

    loaded = load_config(find_config(args.config))
    gateway = loaded.config.gateway
    host = args.host or gateway.hostname
    port = args.port if args.port is not None else gateway.port
    configure_json_logging()  # before the build: its warnings are log lines too
    app = build_app(loaded)
    sock = bind_socket(host, port)
    logging.getLogger("farebox").info(
        "farebox listening on http://%s:%s (%s)", host, sock.getsockname()[1], loaded.path
    )
    # The config, SDK and catalog are built once and live forever: keep them out of
    # every garbage collection (measured: p99 on the free route from ~50 ms to ~5 ms).
    gc.collect()
    gc.freeze()
    server = uvicorn.Server(uvicorn_config(app, log_level="warning"))
    server.run(sockets=[sock])
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    from farebox.devloop import run_dev

    return run_dev(args.config, args.host, args.port)


def cmd_validate(args: argparse.Namespace) -> int:
    from farebox.app import build_app
    from farebox.config.loader import find_config, load_config, summarize

    loaded = load_config(find_config(args.config))
    build_app(loaded)  # compiles routes and payment offers: catches what the schema cannot
    print(f"ok: {summarize(loaded)}")
    return 0


def cmd_facilitator(args: argparse.Namespace) -> int:
    from farebox.facilitator.server import run_facilitator

    try:
        initial = parse_price(args.initial_balance)
    except PriceError as exc:
        print(f"--initial-balance: {exc}", file=sys.stderr)
        return 2
    run_facilitator(host=args.host, port=args.port, db=args.db, initial_balance=initial)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from farebox.reporting.command import run_report

    return run_report(args, lambda: config_ledger(args.config))


def config_ledger(explicit: str | None) -> str:
    """The ledger a config file uses (`stores.ledger`, or the file next to it)."""
    from farebox.config.loader import find_config, load_config
    from farebox.stores.ledger import ledger_location

    loaded = load_config(find_config(explicit))
    return ledger_location(loaded.config.stores.ledger, loaded.base_dir)


def cmd_models_audit(args: argparse.Namespace) -> int:
    from farebox.audit.check import audit_config
    from farebox.audit.observed import observed_shapes
    from farebox.audit.render import render_json, render_text
    from farebox.config.loader import find_config, load_config
    from farebox.llm.catalog import Catalog
    from farebox.stores.ledger import ledger_location

    margin, shape = _margin(args.margin), _shape(args.shape)
    loaded = load_config(find_config(args.config))
    observed = {}
    if args.since != "none":
        location = ledger_location(loaded.config.stores.ledger, loaded.base_dir)
        observed = asyncio.run(observed_shapes(location, _since(args.since)))
    report = audit_config(
        loaded.config, Catalog(), target_margin=margin, shape=shape, observed=observed
    )
    if args.json:
        print(render_json(report))
    else:
        print(render_text(report, colour=sys.stdout.isatty()))
    return 1 if report.failing else 0


def cmd_models_suggest(args: argparse.Namespace) -> int:
    from farebox.audit.suggest import suggest
    from farebox.config.loader import find_config, load_config
    from farebox.llm.catalog import Catalog

    margin, shape = _margin(args.margin), _shape(args.shape)
    loaded = load_config(find_config(args.config))
    print(suggest(loaded.config, Catalog(), margin=margin, shape=shape), end="")
    return 0


def _margin(text: str) -> Decimal:
    try:
        margin = parse_percent(text)
    except PriceError as exc:
        raise UsageError(f"--margin: {exc}") from None
    if margin >= 1:
        raise UsageError(f'--margin: {text} is not below 100%; use a margin like "20%"')
    return margin


def _since(text: str) -> datetime | None:
    from farebox.reporting.report import ReportError, parse_since

    try:
        return parse_since(text)
    except ReportError as exc:
        raise UsageError(f"--since: {exc}") from None


def _shape(text: str) -> Shape:
    inputs, _, outputs = text.partition(":")
    if not (inputs.isdigit() and outputs.isdigit()):
        raise UsageError(f'--shape: "{text}" is not INPUT:OUTPUT tokens like 1000:500')
    return Shape(int(inputs), int(outputs))


class UsageError(Exception):
    """A bad command-line argument; exit code 2."""


def cmd_demo(args: argparse.Namespace) -> int:
    from farebox.demo.run import run_demo

    logging.getLogger().setLevel(logging.ERROR)
    return run_demo()


if __name__ == "__main__":
    raise SystemExit(main())
