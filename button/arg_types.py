"""argparse types for numbers within bounds: the message names the bounds and what was given."""

from __future__ import annotations

import argparse
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
