"""How much of the last prompt's evaluation a seeded request keeps.

llama.cpp evaluates a prompt in batches of ``n_batch`` tokens from its first.
A request that keeps any common prefix evaluates the rest in other batches, and
the logits can differ in their last bits, hence a seeded sample (the same
prompt asked twice in a row re-evaluated only its last token, and the sample
changed). Kept to whole batches, every token is evaluated in the same batch as
from scratch: the same logits, bit for bit (``bench/bench_prompt_reuse.py``
checks it on the default model and measures the time saved).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import llama_cpp
import pytest
from llama_cpp import Llama

from button.embedded.catalog import embedded_model
from button.embedded.model_files import model_file
from button.embedded.prompt_reuse import keep_reusable_prefix, reusable_prefix
from tests.conftest import TINY_MODEL

PROMPT = Path(__file__).parents[2] / "simulator" / "prompts" / "synth_atomic_verify.md"

BATCH = 4

CASES = [  # (tokens evaluated last, the new prompt's tokens, how many are kept)
    ([], [1, 2, 3, 4, 5], 0),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 0, 0], 8),  # two whole batches in common
    ([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 5, 6, 7, 0, 0, 0], 4),  # the second batch differs
    ([1, 2, 3], [1, 2, 3, 4, 5], 0),  # less than a batch in common
    ([9, 2, 3, 4, 5], [1, 2, 3, 4, 5], 0),  # the first token differs
    # the same prompt again: its last batch is evaluated again, so that there are logits to sample
    ([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], 4),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [1, 2, 3, 4, 5, 6, 7, 8, 9], 8),
    # a prompt ending where the last one's evaluation ended: the rest in whole batches
    ([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 8),
]


@pytest.mark.parametrize(("cached", "tokens", "kept"), CASES)
def test_a_seeded_request_keeps_the_common_prefix_in_whole_batches(
    cached: list[int], tokens: list[int], kept: int
) -> None:
    assert reusable_prefix(cached, tokens, BATCH) == kept


def last_logits(llama: Any) -> list[float]:
    logits = llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1)
    return list(logits[: llama.n_vocab()])


@pytest.mark.model
def test_whole_batches_kept_give_the_logits_of_a_fresh_evaluation_and_a_last_token_alone_does_not() -> None:
    path = model_file(embedded_model(TINY_MODEL))
    llama: Any = Llama(model_path=str(path), n_ctx=2048, n_batch=32, n_threads=1, verbose=False)
    stage = PROMPT.read_text()  # two requests of one stage: one system prompt, another request
    first = llama.tokenize(f"{stage}\nRequest: Convert 950 euros to dollars.".encode())
    second = llama.tokenize(f"{stage}\nRequest: Book a table for two at 19:00.".encode())
    llama.reset()
    llama.eval(second)
    fresh = last_logits(llama)

    llama.reset()
    llama.eval(first)
    keep_reusable_prefix(llama, second)
    assert llama.n_tokens >= len(second) - 2 * llama.n_batch  # most of the prompt is kept
    llama.eval(second[llama.n_tokens :])
    assert last_logits(llama) == fresh

    llama.n_tokens = len(second) - 1  # what llama-cpp-python keeps for the same prompt again
    llama.eval(second[-1:])
    assert last_logits(llama) != fresh
