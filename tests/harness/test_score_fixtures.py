"""The hand-built trajectories of fixtures/scoring/ get exactly their expected scores and verdicts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from button.data_model.task import argument_source
from button.data_model.trajectory import Score, Trajectory
from button.storage.records import read_records
from button.validation.taskfile import load_tasks
from harness.score.metrics import score_trajectory
from tests.conftest import FIXTURES
from tests.harness.scoring_cases.files import contents

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
def scored() -> dict[str, tuple[bool | None, dict[str, float | None], dict[str, Any]]]:
    tasks = {task.id: task for task in load_tasks(SCORING / "tasks.jsonl")}
    result = {}
    for trajectory in read_records(SCORING / "trajectories.jsonl", Trajectory):
        score = score_trajectory(trajectory, tasks[trajectory.task_id])
        result[trajectory.id] = (score.success, score.metrics, score.details.model_dump())
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
    scored: dict[str, tuple[bool | None, dict[str, float | None], dict[str, Any]]],
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
    scored: dict[str, tuple[bool | None, dict[str, float | None], dict[str, Any]]],
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
    scored: dict[str, tuple[bool | None, dict[str, float | None], dict[str, Any]]],
) -> None:
    """The MSFT call came first in the message; the assignment still pairs c1 with AAPL."""
    _, _, details = scored["finance.two_share_prices_then_split#perfect"]
    pairs = {pair["plan"]: pair["call"] for pair in details["pairs"]}
    assert pairs == {"c1": "call_2", "c2": "call_1", "c3": "call_3"}


# --- fixtures/scoring/cases/: 100+ hand-built trajectories with hand-written verdicts -------------

CASES = SCORING / "cases"


def _expected() -> dict[str, dict[str, Any]]:
    lines = (CASES / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return {record["id"]: record for record in map(json.loads, lines)}


@pytest.fixture(scope="module")
def case_scores() -> dict[str, Score]:
    tasks = {task.id: task for task in load_tasks(CASES / "tasks.jsonl")}
    return {
        trajectory.id: score_trajectory(trajectory, tasks[trajectory.task_id])
        for trajectory in read_records(CASES / "trajectories.jsonl", Trajectory)
    }


def test_the_case_files_are_built_from_the_cases() -> None:
    """The committed data files are exactly what ``python -m tests.harness.scoring_cases`` writes."""
    for name, text in contents().items():
        assert (CASES / name).read_text(encoding="utf-8") == text, f"rebuild {name}"


def test_the_cases_cover_both_strategies_and_the_new_forms(case_scores: dict[str, Score]) -> None:
    tasks = load_tasks(CASES / "tasks.jsonl")
    assert len(case_scores) >= 80 and set(case_scores) == set(_expected())
    used = {trajectory_id.split("#")[0] for trajectory_id in case_scores}
    assert len(used) >= 8
    assert {task.strategy.value for task in tasks} >= {"sequential", "parallel-then-sequential"}
    forms = {
        next(iter(value))
        for task in tasks
        for call in task.planned_calls()
        for value in call.arguments.values()
        if argument_source(value) is not None
    }
    assert forms == {"from", "from_all", "choice_from", "computed", "computed_from"}
    successes = [record["success"] for record in _expected().values()]
    assert 0.3 < sum(successes) / len(successes) < 0.7  # neither verdict dominates


@pytest.mark.parametrize("trajectory_id", sorted(_expected()))
def test_case_verdict(trajectory_id: str, case_scores: dict[str, Score]) -> None:
    expected = _expected()[trajectory_id]
    score = case_scores[trajectory_id]
    deterministic = expected.get("deterministic_success", expected["success"])
    assert score.success is deterministic, expected["why"]
    assert [reason.value for reason in score.reasons] == expected["reasons"], expected["why"]


def test_only_meaning_separates_the_floor_from_a_careful_verdict() -> None:
    """Where the deterministic floor passes what a careful person fails, the case says so; those are
    contradictions (in the answer, or in a later message taking the answer back), a wrong qualifier and
    a made-up computed_from value: the judge's job (tests/harness/test_score_judge.py)."""
    differing = {
        k for k, v in _expected().items() if v.get("deterministic_success", v["success"]) != v["success"]
    }
    assert differing == {
        "hr.leave_status#contradicting_status",
        "hr.leave_status#answer_then_contradiction",
        "weather.city_forecast#wrong_paris",
        "finance.portfolio_log#made_up_value",
    }


def test_the_first_fixtures_give_their_reasons() -> None:
    tasks = {task.id: task for task in load_tasks(SCORING / "tasks.jsonl")}
    reasons = {
        trajectory.id: [r.value for r in score_trajectory(trajectory, tasks[trajectory.task_id]).reasons]
        for trajectory in read_records(SCORING / "trajectories.jsonl", Trajectory)
    }
    assert reasons == {
        "finance.two_share_prices_then_split#perfect": [],
        "travel.flight_then_hotel#wrong_order": ["wrong_order"],
        "travel.flight_then_hotel#broken_data_flow": ["broken_flow"],
        "finance.two_share_prices_then_split#sequential_not_parallel": [],
        "travel.flight_then_hotel#invented_tool": ["invented_tool"],
        "travel.flight_then_hotel#invalid_arguments": ["invalid_arguments"],
        "finance.two_share_prices_then_split#ungrounded_answer": ["ungrounded"],
        "ecommerce.no_plan#no_plan": ["invalid_arguments"],
    }
