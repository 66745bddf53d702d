"""What a seeded request keeps of the last prompt's evaluation: whole batches only.

llama-cpp-python reuses the longest common prefix of the last prompt, then
evaluates the rest in batches of ``n_batch`` from where the prefix ends. Those
batches are not the ones a fresh evaluation uses, and the logits can differ in
their last bits, which changes a seeded sample (a synthesis resume relies on the
same sample). Kept to a whole number of batches, every token is evaluated in the
same batch as from the prompt's first token, so the logits are the same bit for
bit, and the shared system prompt and examples of a stage's requests are not
evaluated again (most of a request's time on two cores).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def reusable_prefix(cached: Sequence[int], tokens: Sequence[int], n_batch: int) -> int:
    """How many leading ``tokens`` to keep of the ``cached`` evaluation: their common prefix cut to
    whole batches, and short of the last token (whose logits the sample needs)."""
    common = 0
    for old, new in zip(cached, tokens[:-1], strict=False):
        if old != new:
            break
        common += 1
    return common // n_batch * n_batch


def keep_reusable_prefix(llama: Any, tokens: Sequence[int]) -> None:
    """Make ``llama`` (a ``llama_cpp.Llama``) keep only the reusable prefix for ``tokens``."""
    cached = llama.input_ids[: llama.n_tokens].tolist()
    llama.n_tokens = reusable_prefix(cached, tokens, llama.n_batch)
