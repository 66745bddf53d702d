# ruff: noqa: E402  (the repository root goes on sys.path before the imports)
"""Seeded requests of one synthesis stage on the embedded model: the first, evaluated from
scratch, against the rest, which keep the shared system prompt in whole batches.

Runs the atomic verification stage (``verify_atomic``: its system prompt and examples,
then one request) on the careful reader's atomic cases through ``button model serve``.
Reports the first request's seconds, the median of the rest and their ratio; then asks
the first again after the others, from a new context, and checks the verdict is the same.

    .venv/bin/python bench/bench_prompt_reuse.py [--model qwen2.5-coder-1.5b] [--requests 8]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from button.embedded.catalog import DEFAULT_MODEL, embedded_model
from button.embedded.model_server import EmbeddedServer
from button.llm.client import ModelClient
from button.llm.endpoints import EndpointConfig, Role
from simulator.synthesis.atomic_verify import verify_atomic
from simulator.synthesis.rows import AtomicTaskRow
from simulator.synthesis.stage_context import Dropped, SynthContext
from tests.simulator.atomic_cases import CASES


async def verdict(client: ModelClient, index: int) -> tuple[float, str]:
    """Seconds and verdict of the atomic verification of case ``index``, in a new context."""
    case = CASES[index]
    item = AtomicTaskRow(scenario_id=f"sc{index}", scenario=case.scenario, text=case.request)
    started = time.perf_counter()
    try:
        await verify_atomic(SynthContext(client, concurrency=1), f"sc{index}.a0", item)
        said = "kept"
    except Dropped as why:
        said = str(why)
    return time.perf_counter() - started, said


async def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join((__doc__ or "").split("\n\n")[0].split()))
    parser.add_argument("--model", default=DEFAULT_MODEL, help="an embedded model's name")
    parser.add_argument("--requests", type=int, default=8, help=f"requests (at most {len(CASES)})")
    args = parser.parse_args()
    count = max(2, min(args.requests, len(CASES)))
    async with EmbeddedServer(embedded_model(args.model)) as server:
        config = EndpointConfig(role=Role.SYNTH, base_url=server.base_url, model=args.model, timeout_s=900)
        client = ModelClient(config, server.base_url)
        try:
            timed = [await verdict(client, index) for index in range(count)]
            again_s, again = await verdict(client, 0)
        finally:
            await client.client.close()
    first_s, rest = timed[0][0], statistics.median(seconds for seconds, _ in timed[1:])
    print(f"{args.model}: {count} seeded requests of the atomic verification stage")
    print(f"  first, from scratch: {first_s:.1f} s; the rest, median: {rest:.1f} s ({first_s / rest:.1f}x)")
    same = again == timed[0][1]
    print(
        f"  the first asked again after the others: {again_s:.1f} s, {'same' if same else 'ANOTHER'} verdict"
    )
    if not same:
        sys.exit(f"error: the same seeded request gave another verdict: {timed[0][1]!r}, then {again!r}")


if __name__ == "__main__":
    asyncio.run(main())
