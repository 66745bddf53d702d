"""Which assistant message is the final answer.

The final answer is the last assistant message that has text, makes no tool
call and comes after the last tool call, passing over *closing* messages: a
message every word of which is a courtesy word (``CLOSING_WORDS``: "Thanks!",
"Glad to help! Let me know if you need anything else.", "You're welcome, have
a great trip!"). When only closing messages are left, there is no final
answer. A message with any other word (a name, a number, "booked") is not
closing.
"""

from __future__ import annotations

from button.trajectory import Trajectory
from harness.scoring.normalise import tokens
from harness.scoring.text import message_text

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


def final_answer(trajectory: Trajectory) -> str | None:
    """The text of the final answer (see the module doc), or None."""
    messages = trajectory.messages
    last_call = max(
        (i for i, m in enumerate(messages) if m.get("role") == "assistant" and m.get("tool_calls")),
        default=-1,
    )
    for message in reversed(messages[last_call + 1 :]):
        if message.get("role") != "assistant" or message.get("tool_calls"):
            continue
        text = message_text(message.get("content")).strip()
        if text and not is_closing(text):
            return text
    return None
