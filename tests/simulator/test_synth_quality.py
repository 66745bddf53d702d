"""The default 1.5B model as the synthesis verifier, against a careful reader's verdicts.

Stage 3 (rules, then the model) over ``atomic_cases.CASES``: nearly every
request a careful reader keeps is kept (a verifier that drops good tasks starves
the pipeline: with a yes/no verdict 4 of 8 good requests were dropped), and most
of those the reader drops are dropped. Stage 5 over ``compose_cases.CASES``:
whether a composition leaves an input for the user to give.
"""

from __future__ import annotations

import pytest

from button.llm.client import ModelClient
from button.llm.endpoints import EndpointConfig, Role
from simulator.synthesis.atomic_verify import atomic_rules, verify_atomic
from simulator.synthesis.compose_verify import still_unknown
from simulator.synthesis.rows import AtomicTaskRow, Composition, Subtask
from simulator.synthesis.stage_context import Dropped, SynthContext
from tests.conftest import QUALITY_MODEL
from tests.simulator.atomic_cases import CASES
from tests.simulator.compose_cases import CASES as COMPOSE_CASES


@pytest.mark.quality
async def test_atomic_verification_agrees_with_a_careful_reader(quality_base_url: str) -> None:
    config = EndpointConfig(role=Role.SYNTH, base_url=quality_base_url, model=QUALITY_MODEL, timeout_s=300)
    client = ModelClient(config, quality_base_url)
    ctx = SynthContext(client, concurrency=1)
    rules = atomic_rules()
    verdicts: dict[str, str | None] = {}
    try:
        for index, case in enumerate(CASES):
            key = f"sc{index}.a0"
            item = AtomicTaskRow(scenario_id=f"sc{index}", scenario=case.scenario, text=case.request)
            try:
                dropped = rules(key, item)
                if dropped is not None:
                    raise dropped
                await verify_atomic(ctx, key, item)
                verdicts[case.request] = None
            except Dropped as why:
                verdicts[case.request] = str(why)
    finally:
        await client.client.close()
    good = [case.request for case in CASES if case.dropped is None]
    bad = [case.request for case in CASES if case.dropped is not None]
    # measured: 7 of 8 good kept (the rules find no concrete detail in "the payments-api
    # repository"), 4 of 6 bad dropped (two requests missing details were kept)
    assert sum(verdicts[request] is None for request in good) >= 7, verdicts
    assert sum(verdicts[request] is not None for request in bad) >= 4, verdicts


@pytest.mark.quality
async def test_composition_verification_against_a_careful_reader(quality_base_url: str) -> None:
    config = EndpointConfig(role=Role.SYNTH, base_url=quality_base_url, model=QUALITY_MODEL, timeout_s=300)
    client = ModelClient(config, quality_base_url)
    ctx = SynthContext(client, concurrency=1)
    agreed: dict[int, bool] = {}
    try:
        for index, case in enumerate(COMPOSE_CASES):
            subtasks = [
                Subtask(id=f"s{number}", instruction=text, depends_on=uses)
                for number, (text, uses) in enumerate(case.steps, start=1)
            ]
            item = Composition(
                scenario_id=f"sc{index}", scenario=case.scenario, strategy="sequential", subtasks=subtasks
            )
            agreed[index] = (not await still_unknown(ctx, f"sc{index}.a0.seq", item)) == case.complete
    finally:
        await client.client.close()
    # measured: 9 of 14 (8 before its "unknowns" were checked against what the steps name). It
    # calls "which apartment has the lower rent" unknown in the step that works it out, and keeps
    # the two whose second step lacks an address or an apartment; five prompt variants (a rule for
    # what a step decides, more examples, inputs listed with who gives them or with their values,
    # another example in place of "which supplier") did no better: the 1.5B model follows its examples
    assert sum(agreed.values()) >= 7, agreed
