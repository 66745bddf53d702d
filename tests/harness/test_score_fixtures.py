"""The hand-built trajectories of fixtures/scoring/ get exactly their expected scores."""

from __future__ import annotations

import pytest

from button.records import read_records
from button.taskfile import load_tasks
from button.trajectory import Trajectory
from harness.scoring.metrics import score_trajectory
from tests.conftest import FIXTURES

SCORING = FIXTURES / "scoring"
THIRD, TWO_THIRDS = 1 / 3, 2 / 3

# the metrics every scored trajectory of a task with a plan has
PERFECT = {
    "validity": 1.0,
    "invented_tools": 0.0,
    "precision": 1.0,
    "recall": 1.0,
    "f1": 1.0,
    "order": 1.0,
    "data_flow": 1.0,
    "grounding": 1.0,
    "call_efficiency": 1.0,
    "turn_efficiency": 1.0,
}

# trajectory id -> (success, metrics that differ from PERFECT or are counts)
EXPECTED: dict[str, tuple[bool | None, dict[str, float | None]]] = {
    "finance.two_share_prices_then_split#perfect": (
        True,
        {"parallelism": 1.0, "assistant_turns": 3.0, "tool_calls": 3.0},
    ),
    "travel.flight_then_hotel#wrong_order": (
        False,
        {"order": 0.0, "parallelism": None, "assistant_turns": 3.0, "tool_calls": 2.0},
    ),
    "travel.flight_then_hotel#broken_data_flow": (
        False,
        {
            "precision": 0.5,
            "recall": 0.5,
            "f1": 0.5,
            "order": 1.0,  # c2 was made after c1, only with the wrong city
            "data_flow": 0.5,
            "parallelism": None,
            "assistant_turns": 3.0,
            "tool_calls": 2.0,
        },
    ),
    "finance.two_share_prices_then_split#sequential_not_parallel": (
        True,
        {"parallelism": 0.0, "turn_efficiency": 0.75, "assistant_turns": 4.0, "tool_calls": 3.0},
    ),
    "travel.flight_then_hotel#invented_tool": (
        True,
        {
            "validity": TWO_THIRDS,
            "invented_tools": 1.0,
            "precision": TWO_THIRDS,
            "f1": 0.8,
            "parallelism": None,
            "call_efficiency": TWO_THIRDS,
            "turn_efficiency": 0.75,
            "assistant_turns": 4.0,
            "tool_calls": 3.0,
        },
    ),
    "travel.flight_then_hotel#invalid_arguments": (
        True,
        {
            "validity": TWO_THIRDS,
            "precision": TWO_THIRDS,
            "f1": 0.8,
            "parallelism": None,
            "call_efficiency": TWO_THIRDS,
            "turn_efficiency": 0.75,
            "assistant_turns": 4.0,
            "tool_calls": 3.0,
        },
    ),
    "finance.two_share_prices_then_split#ungrounded_answer": (
        False,
        # "about 20 shares" states 21 within the precision it shows (tens), not 12 or 135.1
        {"grounding": THIRD, "parallelism": 1.0, "assistant_turns": 3.0, "tool_calls": 3.0},
    ),
}
NO_PLAN = {"validity": TWO_THIRDS, "invented_tools": 0.0, "assistant_turns": 4.0, "tool_calls": 3.0}


@pytest.fixture(scope="module")
def scored() -> dict[str, tuple[bool | None, dict[str, float | None], dict[str, object]]]:
    tasks = {task.id: task for task in load_tasks(SCORING / "tasks.jsonl")}
    result = {}
    for trajectory in read_records(SCORING / "trajectories.jsonl", Trajectory):
        score = score_trajectory(trajectory, tasks[trajectory.task_id])
        result[trajectory.id] = (score.success, score.metrics, score.details)
    return result


def test_every_fixture_is_expected(scored: dict[str, tuple[object, object, object]]) -> None:
    assert set(scored) == {*EXPECTED, "ecommerce.no_plan#no_plan"}


@pytest.mark.parametrize("trajectory_id", sorted(EXPECTED))
def test_fixture_scores_exactly(
    trajectory_id: str, scored: dict[str, tuple[bool | None, dict[str, float | None], object]]
) -> None:
    success, metrics, _ = scored[trajectory_id]
    expected_success, changes = EXPECTED[trajectory_id]
    assert success is expected_success
    assert metrics == pytest.approx({**PERFECT, **changes}, abs=1e-12)


def test_task_without_plan_gets_validity_and_efficiency_only(
    scored: dict[str, tuple[bool | None, dict[str, float | None], dict[str, object]]],
) -> None:
    success, metrics, details = scored["ecommerce.no_plan#no_plan"]
    assert success is None
    assert metrics == pytest.approx(NO_PLAN)
    assert details["invalid_calls"] == [
        {
            "call": "call_2",
            "name": "track_shipment",
            "reason": "tracking_number: 1234 is not of type 'string'",
        }
    ]


def test_details_say_what_went_wrong(
    scored: dict[str, tuple[bool | None, dict[str, float | None], dict[str, object]]],
) -> None:
    _, _, wrong_order = scored["travel.flight_then_hotel#wrong_order"]
    assert wrong_order["order_violations"] == ["c2"]
    _, _, broken = scored["travel.flight_then_hotel#broken_data_flow"]
    assert broken["data_flow_errors"] == ["c2.city"]
    assert {"plan": "c2", "call": "call_2", "turn": 3, "matched": False, "disagreeing": ["city"]} in broken[
        "pairs"
    ]
    _, _, invented = scored["travel.flight_then_hotel#invented_tool"]
    assert invented["unpaired_calls"] == ["call_1"]
    _, _, sequential = scored["finance.two_share_prices_then_split#sequential_not_parallel"]
    assert sequential["groups_not_parallel"] == [["c1", "c2"]]
    _, _, ungrounded = scored["finance.two_share_prices_then_split#ungrounded_answer"]
    assert ungrounded["grounding"] == {"answer": True, "stated": [21], "missing": [12, 135.1]}
    assert ungrounded["failures"] == ["the final answer does not state the results"]


def test_perfect_pairs_duplicate_function_by_arguments(
    scored: dict[str, tuple[bool | None, dict[str, float | None], dict[str, object]]],
) -> None:
    """The MSFT call came first in the message; the assignment still pairs c1 with AAPL."""
    _, _, details = scored["finance.two_share_prices_then_split#perfect"]
    pairs = {pair["plan"]: pair["call"] for pair in details["pairs"]}  # type: ignore[attr-defined]
    assert pairs == {"c1": "call_2", "c2": "call_1", "c3": "call_3"}
