"""The normalisation, grounding and final-answer rules at their edges."""

from __future__ import annotations

from typing import Any

import pytest

from button.data_model.trajectory import Trajectory, TrajectoryStatus
from harness.score.answer import answer_messages, is_closing
from harness.score.grounding import is_stated, text_contains, text_values
from harness.score.normalise import strings_agree, tokens, values_agree


@pytest.mark.parametrize(
    ("planned", "actual", "agree"),
    [
        ("Paris", "Paris, France", True),
        ("Paris", "Paris (FR)", True),
        ("Paris", "Paris - Île-de-France", True),
        ("Paris, France", "Paris", True),  # symmetric: either may qualify the other
        ("Paris", "Parisian", False),
        ("Paris", "Paris Orly", False),
        ("Paris", "Paris-Orly", False),  # a dash without spaces joins, it does not separate
        ("York", "New York", False),
        ("New York", "York", False),
        ("Montréal", "MONTREAL", True),
        ("O'Hare", "OHare", True),
        ("in_transit", "In Transit", True),
        ("ﬁnance", "finance", True),  # NFKC folds the ligature
        ("", ", France", False),
    ],
)
def test_string_agreement(planned: str, actual: str, agree: bool) -> None:
    assert strings_agree(planned, actual) is agree


@pytest.mark.parametrize(
    ("planned", "actual", "agree"),
    [
        ("2026-12-06", "December 6, 2026", True),  # one day, two forms
        ("2026-12-06", "6 Dec 2026", True),
        ("December 6th", "2026-12-06", True),  # the user gave no year: the assistant's is as good as any
        ("Sunday, June 24", "2026-06-24", True),
        ("2026-12-06", "December 6", False),  # the year the user gave is left out
        ("2026-12-06", "2025-12-06", False),
        ("June 24", "2026-06-25", False),
        ("June 24", "June 24 or 25", False),  # not one date
        ("2026-12-06", "Flight on 2026-12-06", False),  # more than a date: compared as text
    ],
)
def test_date_agreement(planned: str, actual: str, agree: bool) -> None:
    """A date agrees with the same day written in another form, unless the plan has a year the call lacks."""
    assert values_agree(planned, actual) is agree


def test_value_agreement() -> None:
    assert values_agree(["jazz", "blues"], ["Blues", "jazz"])
    assert not values_agree(["jazz", "blues"], ["blues", "jazz"], ordered=True)
    assert not values_agree(["jazz", "jazz"], ["jazz", "blues"])  # multisets, not sets
    assert values_agree({"a": [1, " X"]}, {"a": [1.0, "x"]})
    assert values_agree(2398.75, 2398.76, tolerance=0.01) and not values_agree(
        2398.75, 2398.77, tolerance=0.01
    )
    assert not values_agree(True, 1) and not values_agree("2", 2) and not values_agree(None, "")
    assert tokens("Café  del-Mar!") == ["cafe", "del", "mar"]


@pytest.mark.parametrize(
    ("value", "answer", "stated"),
    [
        (2398.75, "about $2,400", True),
        (2398.75, "about $2,500", False),
        (2398.75, "$2,400", False),  # unhedged, 2,400 shows the unit
        (2398.75, "$2,398.75", True),
        (2437.891, "Total $2,437.89", True),
        (2437.0, "Total $2,437.89", False),
        (18.4, "a high of 18°C", True),
        (1432, "flight UA1432", False),  # inside a code
        (3, "on 2026-03-14", False),  # inside a date
        ("approved", "It was approved.", True),
        ("approved", "It was not approved.", False),
        ("approved", "It has not been approved.", False),
        ("approved", "It wasn't approved.", False),
        ("approved", "It is unapproved.", False),
        ("approved", "Not the loan: the leave was approved.", True),
        ("USD", "paid in USDT", False),
        ("USD", "paid in USD.", True),
        ("Denver, CO", "a hotel in Denver", True),
    ],
)
def test_stated(value: object, answer: str, stated: bool) -> None:
    assert is_stated(value, answer) is stated


def test_plain_text_values_and_sources() -> None:
    text = "Booking HB-7731 on 2026-12-08 at 10:05: 2 nights, 412.50 USD."
    assert text_values(text) == [2.0, 412.5, "HB-7731"]
    assert text_contains(text, 412.5) and text_contains(text, "hb-7731") and not text_contains(text, 7731)
    assert text_contains("Found José Álvarez, employee ID E-4471.", "E-4471")
    assert not text_contains("Found José Álvarez, employee ID E-4471.", "E-447")


def conversation(*messages: dict[str, Any]) -> Trajectory:
    return Trajectory(
        id="t#0",
        task_id="t",
        run_id="r",
        messages=list(messages),
        status=TrajectoryStatus.COMPLETED,
        started_at=0,
        ended_at=1,
    )


ASSISTANT_CALL = {
    "role": "assistant",
    "content": "Let me check.",
    "tool_calls": [{"id": "a", "function": {}}],
}


RESULT = {"role": "tool", "tool_call_id": "a", "content": '{"hotel_id": "HT-1"}'}


def test_answer_messages_are_all_the_text_after_the_results() -> None:
    question = {"role": "assistant", "content": "Which date?"}
    answer = {"role": "assistant", "content": "Your hotel is HT-1, $409 in total."}
    thanks = {"role": "user", "content": "Thanks!"}
    goodbye = {"role": "assistant", "content": "You're welcome! Enjoy HT-1."}
    glad = {"role": "assistant", "content": "Glad to help! Let me know if you need anything else."}
    texts = answer_messages(
        conversation(question, ASSISTANT_CALL, RESULT, answer, thanks, goodbye, thanks, glad)
    )
    assert texts == [answer["content"], goodbye["content"], glad["content"]]  # not the question before
    assert answer_messages(conversation(ASSISTANT_CALL, RESULT, glad, thanks, glad)) == []  # courtesy only
    assert answer_messages(conversation(ASSISTANT_CALL, RESULT)) == []  # "Let me check." came with the call
    assert answer_messages(conversation(ASSISTANT_CALL)) == []  # an unanswered call
    assert answer_messages(conversation(question)) == ["Which date?"]  # no call at all
    assert is_closing(
        "You're welcome! I'm here to help. If you have any further questions, feel free to ask."
    )
    assert not is_closing("You're welcome: HT-1 is booked.")
