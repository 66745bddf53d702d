"""Matching rules in isolation: normalisation, references, computed values, best assignment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from button.data_model.task import Task
from button.data_model.trajectory import Trajectory, TrajectoryStatus
from harness.score.calls import actual_calls
from harness.score.grounding import is_stated, stated_values
from harness.score.matching import assign, same_value
from harness.score.metrics import score_trajectory

FUNCTIONS = [
    {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}
    for name in ("lookup", "use")
]


def make_task(plan: list[list[dict[str, Any]]]) -> Task:
    return Task.model_validate(
        {
            "id": "t",
            "strategy": "sequential",
            "scenario": "s",
            "instruction": "i",
            "functions": FUNCTIONS,
            "plan": plan,
        }
    )


def make_trajectory(turns: list[list[tuple[str, dict[str, Any], Any]]], answer: str = "") -> Trajectory:
    """Each turn is one assistant message of (name, arguments, result) calls."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
    number = 0
    for calls in turns:
        tool_calls, results = [], []
        for name, arguments, result in calls:
            number += 1
            call_id = f"call_{number}"
            tool_calls.append(
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
            )
            results.append({"role": "tool", "tool_call_id": call_id, "content": json.dumps(result)})
        messages += [{"role": "assistant", "content": None, "tool_calls": tool_calls}, *results]
    messages.append({"role": "assistant", "content": answer})
    return Trajectory(
        id="t#0",
        task_id="t",
        run_id="r",
        messages=messages,
        status=TrajectoryStatus.COMPLETED,
        started_at=0,
        ended_at=1,
    )


def test_normalisation() -> None:
    assert same_value(" Denver ", "denver")
    assert same_value(2, 2.0)
    assert same_value({"a": [1, " X"]}, {"a": [1.0, "x"]})
    assert not same_value(True, 1)
    assert not same_value("2", 2)


def test_best_assignment_beats_the_greedy_one() -> None:
    """Two identical lookups; only the second one's result feeds the later call."""
    task = make_task(
        [
            [{"id": "c1", "name": "lookup", "arguments": {"q": "x"}}],
            [{"id": "c2", "name": "use", "arguments": {"v": {"from": "c1.val"}}}],
        ]
    )
    trajectory = make_trajectory(
        [[("lookup", {"q": "x"}, {"val": 5})], [("lookup", {"q": "x"}, {"val": 7})], [("use", {"v": 7}, {})]]
    )
    assignment = assign(task, actual_calls(trajectory))
    assert {key: pair.actual.call_id for key, pair in assignment.pairs.items()} == {
        "c1": "call_2",
        "c2": "call_3",
    }
    assert set(assignment.matched) == {"c1", "c2"}


def test_computed_from_needs_a_later_message() -> None:
    task = make_task(
        [
            [{"id": "c1", "name": "lookup", "arguments": {"q": "x"}}],
            [{"id": "c2", "name": "use", "arguments": {"v": {"computed_from": ["c1.val"]}}}],
        ]
    )
    later = make_trajectory([[("lookup", {"q": "x"}, {"val": 5})], [("use", {"v": 99}, {})]])
    same_turn = make_trajectory([[("lookup", {"q": "x"}, {"val": 5}), ("use", {"v": 99}, {})]])
    assert set(assign(task, actual_calls(later)).matched) == {"c1", "c2"}
    assert set(assign(task, actual_calls(same_turn)).matched) == {"c1"}


def test_missing_planned_argument_does_not_agree_but_extra_ones_are_ignored() -> None:
    task = make_task([[{"id": "c1", "name": "lookup", "arguments": {"q": "x"}}]])
    extra = make_trajectory([[("lookup", {"q": "X", "limit": 3}, {"val": 1})]])
    missing = make_trajectory([[("lookup", {}, {"val": 1})]])
    assert set(assign(task, actual_calls(extra)).matched) == {"c1"}
    assert assign(task, actual_calls(missing)).pairs["c1"].disagreeing == ("q",)


def test_grounding_values_and_statements() -> None:
    result = {
        "total": 2437.891,
        "id": "HT-1",
        "ok": True,
        "note": "x" * 41,
        "items": [{"status": "in_transit"}],
    }
    assert stated_values(result) == [2437.891, "HT-1", "in_transit"]
    answer = "Total $2,437.89 for booking ht-1; it is In Transit."
    assert all(is_stated(value, answer) for value in stated_values(result))
    assert not is_stated(2437.0, answer)


# An ISO date in a result, and answers with the verdict a careful reader gives: the date is
# stated when the answer names the same day in any common written form; a year left out is
# taken as meant (the conversation is about that date), a different year or day is not it.
DATE_STATED = [
    "The estimated delivery date is October 15, 2023.",
    "It arrives on 15 October 2023.",
    "Expected Oct. 15, 2023.",
    "Scheduled for delivery on October 15th.",
    "Delivery: the 15th of October.",
    "Delivery on 2023-10-15.",
    "Delivery on Sunday, 15 Oct 2023.",
]
DATE_NOT_STATED = [
    "The estimated delivery date is October 16, 2023.",
    "It arrives on October 15, 2024.",
    "It takes 15 days; it ships in October 2023.",
    "Delivery on 2023-10-16.",
    "Order 10-15 units by Friday.",
]


# A currency code in a result ("currency": "USD"): an answer states it by the code, the
# currency's name or its symbol; another currency, or the code inside a longer one, does not.
CURRENCY_STATED = [
    "Apple trades at 179.08 USD.",
    "Apple trades at 179.08 US dollars.",
    "Apple trades at $179.08.",
]
CURRENCY_NOT_STATED = [
    "Apple trades at 179.08 euros.",
    "Apple trades at CA$179.08.",
    "Apple trades at 179.08 USDT.",
]
# A 24-hour time: the 1.5B model answered a booked "09:00" with "9:00 AM".
TIME_STATED = ["The appointment with Dr. John Doe is confirmed for 9:00 AM on 2026-12-15."]
TIME_NOT_STATED = ["The appointment with Dr. John Doe is confirmed for 9:00 PM on 2026-12-15."]


def cases(value: str, answers: list[str]) -> list[tuple[str, str]]:
    return [(value, answer) for answer in answers]


@pytest.mark.parametrize(
    ("value", "answer"),
    cases("2023-10-15", DATE_STATED) + cases("USD", CURRENCY_STATED) + cases("09:00", TIME_STATED),
)
def test_a_value_is_stated_in_another_common_written_form(value: str, answer: str) -> None:
    assert is_stated(value, answer)


@pytest.mark.parametrize(
    ("value", "answer"),
    cases("2023-10-15", DATE_NOT_STATED)
    + cases("USD", CURRENCY_NOT_STATED)
    + cases("09:00", TIME_NOT_STATED),
)
def test_another_day_currency_or_time_does_not_state_it(value: str, answer: str) -> None:
    assert not is_stated(value, answer)


def test_no_final_answer_is_not_grounded() -> None:
    task = make_task([[{"id": "c1", "name": "lookup", "arguments": {"q": "x"}}]])
    score = score_trajectory(make_trajectory([[("lookup", {"q": "x"}, {"val": 5})]]), task)
    assert score.metrics["grounding"] == 0.0
    assert score.success is False
    stated = score_trajectory(make_trajectory([[("lookup", {"q": "x"}, {"val": 5})]], "It is 5."), task)
    assert stated.success is True


def _score(assignment: Any) -> tuple[int, int]:
    pairs = assignment.pairs.values()
    return sum(p.matched for p in pairs), sum(len(p.plan.arguments) - len(p.disagreeing) for p in pairs)


def _exhaustive(task: Task, calls: list[Any]) -> tuple[int, int]:
    """The best (matches, agreeing arguments) over every one-to-one pairing, by brute force."""
    from itertools import product

    from harness.score.matching import Assignment, make_pair

    planned = task.planned_calls()
    best = (0, 0)
    for choice in product([None, *range(len(calls))], repeat=len(planned)):
        chosen = [c for c in choice if c is not None]
        if len(chosen) != len(set(chosen)):
            continue
        if any(c is not None and calls[c].name != p.name for p, c in zip(planned, choice, strict=True)):
            continue
        assignment = Assignment()
        for plan, c in zip(planned, choice, strict=True):
            if c is not None:
                assignment.pairs[plan.id] = make_pair(plan, calls[c], assignment)
        best = max(best, _score(assignment))
    return best


def test_pruned_search_finds_the_exhaustive_best() -> None:
    """The bound of the branch and bound never cuts off a better pairing (random small cases)."""
    import random

    generator = random.Random(7)
    for _ in range(300):
        values = [1, 2]
        plan = [[{"id": "c1", "name": "lookup", "arguments": {"q": generator.choice(values)}}]]
        plan.append(
            [
                {
                    "id": f"c{n}",
                    "name": generator.choice(["lookup", "use"]),
                    "arguments": {
                        "q": generator.choice([1, 2, {"from": "c1.val"}, {"computed_from": ["c1.val"]}])
                    },
                }
                for n in (2, 3)
            ]
        )
        turns = [
            [
                (
                    generator.choice(["lookup", "use"]),
                    {"q": generator.choice(values)},
                    {"val": generator.choice(values)},
                )
                for _ in range(generator.randint(1, 2))
            ]
            for _ in range(generator.randint(1, 3))
        ]
        task = make_task(plan)
        calls = actual_calls(make_trajectory(turns))
        assert _score(assign(task, calls)) == _exhaustive(task, calls), (plan, turns)
