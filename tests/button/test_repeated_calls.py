"""Which of a reply's calls repeat a call the conversation already had answered."""

from __future__ import annotations

from button.data_model.json_types import ChatMessage, ToolCall
from button.embedded.repeated_calls import answered_calls, new_calls


def call(name: str, arguments: str, call_id: str = "call_x") -> ToolCall:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


HISTORY: list[ChatMessage] = [
    {"role": "user", "content": "Book a table for two at Nopi tonight."},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            call("find_restaurant", '{"name": "Nopi", "city": "London"}', "call_1"),
            call("get_weather", '{"city": "London"}', "call_2"),
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"restaurant_id": "R-9"}'},
]


def test_a_call_answered_before_is_a_repeat_whatever_its_spelling() -> None:
    answered = answered_calls(HISTORY)
    repeats = [
        call("find_restaurant", '{"name": "Nopi", "city": "London"}'),
        call("find_restaurant", '{"city":"London","name":"Nopi"}'),  # key order and spacing differ
    ]
    assert new_calls(repeats, answered) == []


def test_new_arguments_a_new_function_and_an_unanswered_call_are_new() -> None:
    answered = answered_calls(HISTORY)
    fresh = [
        call("find_restaurant", '{"name": "Nopi", "city": "Leeds"}'),
        call("book_table", '{"restaurant_id": "R-9", "people": 2}'),
        call("get_weather", '{"city": "London"}'),  # called before, but no result came back
    ]
    assert new_calls(fresh, answered) == fresh


def test_a_conversation_without_results_has_nothing_answered() -> None:
    assert answered_calls(HISTORY[:2]) == set()
