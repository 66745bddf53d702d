"""argparse types that check a flag's value as it is parsed, so a bad one is a usage error
naming the flag: numbers within bounds (the message names the bounds and what was given),
and command lines that split into words."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)


def number_in(kind: type[N], low: N, high: N) -> Callable[[str], N]:
    """An argparse ``type`` that takes a ``kind`` from ``low`` to ``high``, inclusive."""
    noun = "a whole number" if kind is int else "a number"

    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {noun}: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {text}")
        return value

    return parse


port_number = number_in(int, 0, 65535)


def command_line(text: str) -> str:
    """An argparse ``type`` for a shell-quoted command: it must split into at least one word."""
    try:
        words = shlex.split(text)
    except ValueError as error:  # an unclosed quote
        raise argparse.ArgumentTypeError(f"cannot split {text!r} into words: {error}") from None
    if not words:
        raise argparse.ArgumentTypeError("the command is empty")
    return text
