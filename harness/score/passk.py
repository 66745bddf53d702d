"""pass@k and pass^k from n trials of a task with c successes: pure, exact.

With n trials and c successes, drawing k of the n trials without replacement:

- ``pass@k`` = 1 - C(n-c, k) / C(n, k): the chance that at least one of the k
  succeeds (the unbiased estimator of Chen et al., 2021);
- ``pass^k`` = C(c, k) / C(n, k): the chance that all k succeed (the
  reliability measure of tau-bench, Yao et al., 2024).

Both need 1 <= k <= n. At k = 1 both are c / n. The binomials are Python
integers, so the ratios are exact before the final division.

The k reported for a run are ``k_values(N)`` for N the most trials any task
has: the powers of two below N, and N itself (1, 2, 4, ..., N). A task shows
those up to its own trials; the run's overall figure for a k is the mean over
the tasks with at least k trials. A trial is a trajectory with a verdict.
"""

from __future__ import annotations

from math import comb


def _check(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n:
        raise ValueError(f"successes must be between 0 and the trials ({n}), not {c}")
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the trials ({n}), not {k}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """The chance that at least one of k trials drawn from the n succeeds."""
    _check(n, c, k)
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """The chance that all k trials drawn from the n succeed (pass^k)."""
    _check(n, c, k)
    return comb(c, k) / comb(n, k)


def k_values(n: int) -> list[int]:
    """1, 2, 4, ... below n, and n itself; empty for n = 0."""
    values = []
    k = 1
    while k < n:
        values.append(k)
        k *= 2
    return [*values, n] if n >= 1 else []
