"""Which of an embedded reply's calls go out now: not a call already answered, and, beside a
call that is ready, not one that waits for a value (a template slot, or a code or number that
nobody gave). The verdicts are a careful assistant's."""

from __future__ import annotations

import json
from typing import Any

from button.data_model.json_types import ChatMessage, ToolCall
from button.embedded.calls_to_make import calls_to_make


def call(name: str, arguments: dict[str, Any] | str, call_id: str = "call_x") -> ToolCall:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def names(calls: list[ToolCall]) -> list[str]:
    return [c["function"]["name"] for c in calls]


ASKED = "Book a table for two at Nopi in London tonight and tell me the weather there."
HISTORY: list[ChatMessage] = [
    {"role": "user", "content": ASKED},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            call("find_restaurant", {"name": "Nopi", "city": "London"}, "call_1"),
            call("get_weather", {"city": "London"}, "call_2"),
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"restaurant_id": "R-9"}'},
]


def said(text: str) -> list[ChatMessage]:
    """A conversation in which the user has said ``text``."""
    return [{"role": "user", "content": text}]


def test_a_call_answered_before_is_left_out_whatever_its_spelling() -> None:
    repeats = [
        call("find_restaurant", '{"name": "Nopi", "city": "London"}'),
        call("find_restaurant", '{"city":"London","name":"Nopi"}'),  # key order and spacing differ
    ]
    assert calls_to_make(repeats, HISTORY) == []


def test_new_arguments_a_new_function_and_an_unanswered_call_go_out() -> None:
    fresh = [
        call("find_restaurant", {"name": "Nopi", "city": "Leeds"}),
        call("book_table", {"restaurant_id": "R-9", "people": 2}),
        call("get_weather", {"city": "London"}),  # called before, but no result came back
    ]
    assert calls_to_make(fresh, HISTORY) == fresh
    assert calls_to_make(fresh[:1], HISTORY[:2]) == fresh[:1]  # nothing answered yet


def test_calls_waiting_for_a_slot_wait_beside_a_ready_call() -> None:
    """The 1.5B model called a lookup and, in the same reply, the calls needing its result
    with ``<nearest-warehouse-id>`` for the id: only the lookup is ready to run."""
    calls = [
        call("find_warehouse", {"postal_code": "3012 KM"}),
        call("check_stock", {"warehouse_id": "<nearest-warehouse-id>"}),
        call("check_stock", {"warehouse_id": "{{ warehouse.id }}"}),
    ]
    assert names(calls_to_make(calls, said("Find the warehouse nearest to 3012 KM."))) == ["find_warehouse"]


COURSES_ASKED = (
    "Find Introduction to Statistics and a section open in Spring 2027. My student ID is S1048832."
)


def test_a_code_or_number_nobody_gave_waits_beside_a_ready_call() -> None:
    """The 1.5B model searched for a course and, in the same reply, listed the sections of
    ``STAT101`` and enrolled in ``STAT101_001`` (the search returned ``STAT 1010``); it
    priced a split of $10,000 with share prices it made up before looking them up."""
    calls = [
        call("search_courses", {"query": "Introduction to Statistics"}),
        call("list_open_sections", {"course_id": "STAT101", "term": "Spring 2027"}),
        call("enroll_student", {"student_id": "S1048832", "section_id": "STAT101_001"}),
    ]
    assert names(calls_to_make(calls, said(COURSES_ASKED))) == ["search_courses"]
    split = [
        call("get_share_price", {"ticker": "AAPL"}),
        call("calculate_split", {"budget_usd": 10000, "price_a_usd": 256.78, "price_b_usd": 349.56}),
    ]
    assert names(calls_to_make(split, said("Split $10,000 between AAPL and MSFT."))) == ["get_share_price"]


def test_values_the_conversation_gave_and_values_that_are_not_codes_are_ready() -> None:
    """A code from the user or a tool result (any case), a number written with a thousands
    separator, a date, a time, a phrase."""
    seen = COURSES_ASKED + ' Budget 10,000.\n{"course_id": "STAT 1010"}\n{"section_id": "SEC-7", "seats": 3}'
    calls = [
        call("list_open_sections", {"course_id": "STAT 1010", "term": "Spring 2027"}),
        call("enroll_student", {"student_id": "s1048832", "section_id": "SEC-7", "start": "2027-01-12"}),
        call("pay", {"amount": 10000, "seats": 3, "at": "09:00"}),
    ]
    assert calls_to_make(calls, said(seen)) == calls


def test_calls_that_all_wait_go_out() -> None:
    """Nothing is ready: the tool answers (it refuses a slot; an unknown id is its error to give)."""
    calls = [call("enroll_student", {"section_id": "STAT101_001"}), call("check", {"id": "<section-id>"})]
    assert calls_to_make(calls, said(COURSES_ASKED)) == calls
