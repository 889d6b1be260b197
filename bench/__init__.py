"""farebox's benchmark harness: `python -m bench.run` (or `make bench`).

Layout:
    run.py                the command line: micro-benchmarks, then the HTTP scenarios, the table
    scenarios.py          which HTTP scenarios run, against which server, expecting what
    facilitator_calls.py  the verify/settle calls each scenario's 200s must account for
    micro/                in-process micro-benchmarks (header decoding, price resolution)
    processes.py          starting and always tearing down the helper processes
    services/             the processes under test: fast upstream, facilitator stub, gateway
    load/                 the load generators (wrk, or an aiohttp closed loop), separate processes
    payments.py           unsigned, unique PAYMENT-SIGNATURE headers for the paid scenarios
    report.py             the printed table

Its tests live in tests/bench/, so `make test` runs them.
"""
