"""What the assistant told the user after the tool results: the text grounding reads.

Grounding reads the *answer messages*: every assistant message that has text
and makes no tool call and comes after the last tool call and the last tool
result, in order. That is the answer plus anything sent after it (a reply to
a question the assistant asked, a goodbye that names the hotel), not one
chosen message. Text sent with a tool call ("Let me check.") or before the
last results (a clarifying question) is not read.

There is no final answer when every answer message is *closing*: a message
every word of which is a courtesy word (``CLOSING_WORDS``: "Thanks!", "Glad to
help! Let me know if you need anything else.", "You're welcome, have a great
trip!"), or when there is no answer message. A message with any other word (a
name, a number, "booked") is not closing.

A value counts as stated when any one answer message states it
(``harness.score.grounding.is_stated``: word boundaries, the precision the
message shows, no negation just before it). Each message is read on its own,
so a later message that takes a value back ("Sorry, it was not approved") does
not unsay an earlier one: contradictions are the judge's job.
"""

from __future__ import annotations

from button.data_model.trajectory import Trajectory
from harness.score.normalise import tokens
from harness.score.text import message_text

CLOSING_WORDS = frozenset(
    [
        "a",
        "reading",
        "traveling",
        "travelling",
        "shopping",
        "investing",
        "like",
        "would",
        "could",
        "can",
        "again",
        "all",
        "always",
        "am",
        "an",
        "and",
        "any",
        "anytime",
        "anything",
        "are",
        "as",
        "ask",
        "assist",
        "assistance",
        "at",
        "be",
        "best",
        "bye",
        "care",
        "cheers",
        "course",
        "day",
        "do",
        "else",
        "enjoy",
        "evening",
        "feel",
        "for",
        "free",
        "further",
        "glad",
        "good",
        "goodbye",
        "great",
        "happy",
        "have",
        "help",
        "helped",
        "helpful",
        "helping",
        "helps",
        "here",
        "hope",
        "i",
        "if",
        "im",
        "is",
        "it",
        "its",
        "journey",
        "just",
        "know",
        "let",
        "lovely",
        "luck",
        "me",
        "more",
        "much",
        "my",
        "need",
        "nice",
        "no",
        "of",
        "okay",
        "ok",
        "other",
        "out",
        "pleasure",
        "problem",
        "question",
        "questions",
        "reach",
        "regards",
        "safe",
        "see",
        "so",
        "stay",
        "sure",
        "take",
        "thank",
        "thanks",
        "that",
        "the",
        "there",
        "this",
        "time",
        "to",
        "travels",
        "trip",
        "very",
        "was",
        "we",
        "welcome",
        "were",
        "will",
        "wish",
        "with",
        "wonderful",
        "you",
        "youre",
        "your",
    ]
)


def is_closing(text: str) -> bool:
    words = tokens(text)
    return bool(words) and all(word in CLOSING_WORDS for word in words)


def answer_messages(trajectory: Trajectory) -> list[str]:
    """The texts grounding reads (see the module doc); empty when there is no final answer."""
    messages = trajectory.messages
    last_result = max(
        (
            i
            for i, m in enumerate(messages)
            if m.get("role") == "tool" or (m.get("role") == "assistant" and m.get("tool_calls"))
        ),
        default=-1,
    )
    texts = [
        message_text(message.get("content")).strip()
        for message in messages[last_result + 1 :]
        if message.get("role") == "assistant" and not message.get("tool_calls")
    ]
    texts = [text for text in texts if text]
    return texts if any(not is_closing(text) for text in texts) else []
