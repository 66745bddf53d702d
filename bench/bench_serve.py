"""Per-call latency of a cached simulated call through ``button serve`` vs a bare MCP tool.

Both servers run as subprocesses on the same transport and are called by the
same fastmcp client. The simulated call is a SQLite cache hit (each call names a
fresh episode in ``_meta``, so the episode-repeat shortcut is not used); one
warm-up call fills the cache with the embedded model. Reports medians, p95 and
the ratio, for stdio and streamable HTTP. Target: ratio of medians <= 1.2.

    /work/venv/bin/python bench/bench_serve.py [--calls 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from button.embedded.model_server import EmbeddedServer, free_port

REPO = Path(__file__).resolve().parent.parent
TASKS = REPO / "fixtures" / "tasks.jsonl"
TASK = "finance.two_share_prices_then_split"
TOOL, ARGUMENTS = "get_share_price", {"ticker": "AAPL", "exchange": "NASDAQ"}

BARE_SERVER = """\
import sys
from fastmcp import FastMCP

server = FastMCP("bare")

@server.tool
def get_share_price(ticker: str, exchange: str = "NASDAQ") -> dict:
    return {"ticker": ticker, "price": 191.5, "currency": "USD", "as_of": "2026-12-01"}

if len(sys.argv) > 1:
    server.run(transport="http", host="127.0.0.1", port=int(sys.argv[1]), show_banner=False, log_level="WARNING")
else:
    server.run(transport="stdio", show_banner=False, log_level="WARNING")
"""


async def timed_calls(client: Client[Any], count: int) -> list[float]:
    await client.call_tool_mcp(TOOL, ARGUMENTS, meta={"episode_id": "warm-up"})  # fills the cache
    latencies = []
    for index in range(count):
        started = time.perf_counter()
        result = await client.call_tool_mcp(TOOL, ARGUMENTS, meta={"episode_id": f"bench-{index}"})
        latencies.append(time.perf_counter() - started)
        assert not result.is_error, result.content
    return latencies


async def over_http(command: list[str], url: str, env: dict[str, str], count: int) -> list[float]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                async with Client(url) as client:
                    return await timed_calls(client, count)
            except Exception:  # not listening yet
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{url} never answered")
    finally:
        process.terminate()
        process.wait()


def summary(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


async def main(count: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    bare = workdir / "bare.py"
    bare.write_text(BARE_SERVER)
    async with EmbeddedServer() as model:
        env = {**os.environ, "BUTTON_TOOL_BASE_URL": model.base_url, "BUTTON_TOOL_MODEL": model.model.name}
        serve = [sys.executable, "-m", "button.cli.main", "serve", str(TASKS), "--task", TASK]
        results: dict[str, tuple[list[float], list[float]]] = {}
        stdio_cache = ["--cache", str(workdir / "stdio.sqlite")]
        async with Client(StdioTransport(sys.executable, [*serve[1:], *stdio_cache], env=env)) as client:
            simulated = await timed_calls(client, count)
        async with Client(StdioTransport(sys.executable, [str(bare)], env=env)) as client:
            results["stdio"] = (simulated, await timed_calls(client, count))
        port, bare_port = free_port(), free_port()
        http_args = ["--transport", "http", "--port", str(port), "--cache", str(workdir / "http.sqlite")]
        simulated = await over_http(
            [*serve, *http_args], f"http://127.0.0.1:{port}/tasks/{TASK}/mcp", env, count
        )
        plain = await over_http(
            [sys.executable, str(bare), str(bare_port)], f"http://127.0.0.1:{bare_port}/mcp", env, count
        )
        results["http"] = (simulated, plain)
    print(f"{count} calls each; latency in ms (cached simulated call vs bare constant tool)")
    print(
        f"{'transport':<10}{'sim median':>12}{'sim p95':>10}{'bare median':>13}{'bare p95':>10}{'ratio':>8}"
    )
    for transport, (simulated, plain) in results.items():
        (sim_median, sim_p95), (bare_median, bare_p95) = summary(simulated), summary(plain)
        print(
            f"{transport:<10}{sim_median * 1e3:>12.2f}{sim_p95 * 1e3:>10.2f}"
            f"{bare_median * 1e3:>13.2f}{bare_p95 * 1e3:>10.2f}{sim_median / bare_median:>8.2f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=300, help="timed calls per server (default 300)")
    asyncio.run(main(parser.parse_args().calls))
