"""MCP tools/call against REST invoke, side by side, on the same stack in one run.

Both send the same text through the same action: POST /api/v1/actions/<name>/invoke (the REST
API) and POST /mcp with a JSON-RPC tools/call (the MCP server: the protocol's parsing and
answer around the very same invoke). Closed-loop clients for a few seconds per round, rounds
alternating between the two; the median of each.

Target (issue 15): MCP throughput >= 0.9 x REST's.
Usage: .venv/bin/python bench/mcp_bench.py [--seconds 5] [--rounds 3] [--clients 8]
Exit status 1 when the target is missed.
"""

import argparse
import http.client
import json
import sys
import threading
import time

import _stack
from api_bench import BODY, make_agent

ACTION = "bench_booking_confirmation"
CALL = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": ACTION, "arguments": json.loads(BODY)["parameters"]},
    }
)


def request(port: int, key: str, kind: str) -> int:
    """One request over a new connection, as an agent platform makes them; its status."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    if kind == "rest":
        connection.request("POST", f"/api/v1/actions/{ACTION}/invoke", BODY, headers)
    else:
        headers.update(
            {
                "Accept": "application/json, text/event-stream",
                "MCP-Protocol-Version": "2025-06-18",
                "X-Call-Id": "CA-bench",
                "X-Caller-Number": "+15551234567",
            }
        )
        connection.request("POST", "/mcp", CALL, headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if kind == "mcp" and response.status == 200 and b'"isError":true' in body.replace(b" ", b""):
        return 500  # a refused tool call is no throughput
    return response.status


def throughput(port: int, key: str, kind: str, seconds: float, clients: int) -> float:
    done = [0] * clients
    errors: list[int] = []
    deadline = time.perf_counter() + seconds

    def loop(i):
        while time.perf_counter() < deadline:
            status = request(port, key, kind)
            if status not in (200, 202):
                errors.append(status)
            done[i] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{kind}: {len(errors)} requests failed, e.g. HTTP {errors[0]}")
    return sum(done) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    args = parser.parse_args()

    env = _stack.configure("api")
    from django.conf import settings

    key = make_agent()
    port = _stack.free_port()
    log = _stack.ROOT / "var" / "bench" / "gunicorn.log"
    server = _stack.start(
        [
            sys.executable, "-m", "gunicorn", "builder.wsgi",
            "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
            "--worker-class", "gthread", "--threads", str(args.threads),
            "--log-level", "warning",
        ],
        env,
        log,
    )  # fmt: skip
    try:
        _stack.wait_for_port(port)
        for kind in ("rest", "mcp"):
            throughput(port, key, kind, 1, args.clients)  # warm up
        results = {"rest": [], "mcp": []}
        for _ in range(args.rounds):
            for kind in ("rest", "mcp"):
                results[kind].append(throughput(port, key, kind, args.seconds, args.clients))
    finally:
        _stack.stop(server)
        _stack.drop_queue(settings.CELERY_TASK_DEFAULT_QUEUE)

    rest = _stack.median(results["rest"])
    mcp = _stack.median(results["mcp"])
    ratio = mcp / rest
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}; gunicorn: {args.workers} x {args.threads} threads; "
          f"clients: {args.clients}")  # fmt: skip
    print(
        f"REST invoke:        {rest:8.1f} requests/s  rounds {[round(r) for r in results['rest']]}"
    )
    print(f"MCP tools/call:     {mcp:8.1f} requests/s  rounds {[round(r) for r in results['mcp']]}")
    print(f"ratio MCP/REST: {ratio:.2f} (target >= 0.9)")
    return 0 if ratio >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
