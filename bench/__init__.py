"""farebox's benchmark harness: `python -m bench.run` (or `make bench`).

Layout:
    run.py          the command line: micro-benchmarks, then the HTTP scenarios, then the table
    scenarios.py    which HTTP scenarios run, against which server, expecting which status
    micro.py        in-process micro-benchmarks (pure functions, no sockets)
    processes.py    starting and always tearing down the helper processes
    services/       the processes under test: fast upstream, facilitator stub, gateway
    load/           the load generators (wrk, or an aiohttp closed loop) run as separate processes
    payments.py     unsigned, unique PAYMENT-SIGNATURE headers for the paid scenarios
    facilitator_aiohttp.py  a prototype aiohttp facilitator client, measured against the SDK's
    report.py       the printed table
"""
