"""pass@k and pass^k: hand-computed values, and agreement with counting every k-subset."""

from __future__ import annotations

from itertools import combinations

import pytest

from harness.score.passk import k_values, pass_at_k, pass_hat_k

# (n, c, k, pass@k, pass^k), worked by hand: pass@k = 1 - C(n-c,k)/C(n,k), pass^k = C(c,k)/C(n,k)
HAND = [
    (5, 2, 1, 2 / 5, 2 / 5),  # both c/n at k = 1
    (5, 2, 2, 1 - 3 / 10, 1 / 10),  # C(3,2)=3, C(5,2)=10, C(2,2)=1
    (5, 2, 3, 1 - 1 / 10, 0.0),  # C(3,3)=1, C(5,3)=10, C(2,3)=0
    (5, 2, 4, 1.0, 0.0),  # C(3,4)=0: four draws always hit a success
    (4, 3, 2, 1.0, 3 / 6),  # C(1,2)=0; C(3,2)=3, C(4,2)=6
    (4, 3, 4, 1.0, 0.0),
    (4, 4, 4, 1.0, 1.0),
    (4, 0, 2, 0.0, 0.0),
    (10, 5, 3, 1 - 10 / 120, 10 / 120),  # C(5,3)=10, C(10,3)=120
    (1, 1, 1, 1.0, 1.0),
]


@pytest.mark.parametrize(("n", "c", "k", "at", "hat"), HAND)
def test_hand_computed_values(n: int, c: int, k: int, at: float, hat: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(at)
    assert pass_hat_k(n, c, k) == pytest.approx(hat)


@pytest.mark.parametrize(("n", "c"), [(n, c) for n in range(1, 8) for c in range(n + 1)])
def test_estimators_equal_the_share_of_k_subsets(n: int, c: int) -> None:
    """Over every way to draw k of the n trials: the share with a success, with only successes."""
    outcomes = [True] * c + [False] * (n - c)
    for k in range(1, n + 1):
        draws = list(combinations(outcomes, k))
        assert pass_at_k(n, c, k) == pytest.approx(sum(any(d) for d in draws) / len(draws))
        assert pass_hat_k(n, c, k) == pytest.approx(sum(all(d) for d in draws) / len(draws))


def test_large_n_stays_exact_enough() -> None:
    assert pass_hat_k(1000, 999, 1000) == 0.0
    assert pass_hat_k(1000, 1000, 512) == 1.0
    assert pass_at_k(1000, 1, 500) == pytest.approx(0.5)  # the one success is drawn half the time


@pytest.mark.parametrize(
    ("n", "ks"),
    [
        (0, []),
        (1, [1]),
        (2, [1, 2]),
        (3, [1, 2, 3]),
        (4, [1, 2, 4]),
        (5, [1, 2, 4, 5]),
        (16, [1, 2, 4, 8, 16]),
    ],
)
def test_k_values(n: int, ks: list[int]) -> None:
    assert k_values(n) == ks


@pytest.mark.parametrize(("n", "c", "k"), [(3, 1, 0), (3, 1, 4), (3, 4, 1), (3, -1, 1)])
def test_out_of_range_is_refused(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)
    with pytest.raises(ValueError):
        pass_hat_k(n, c, k)
