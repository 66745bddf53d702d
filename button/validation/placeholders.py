"""Argument values that are template slots, not values (``<order-id>``, ``{{code}}``).

A small assistant that has not yet got a value from an earlier call often
writes a slot where the value belongs and calls everything at once. A real
API would refuse such an id; a tool simulator that answers it plausibly hides
the mistake and lets the conversation go on with invented data. So the tool
simulator refuses a call holding a slot, with an error the assistant can act
on (tests/button/test_placeholders.py holds the cases).

A slot is a whole string value (blanks around it aside) of one of the forms
``<words-or_names>`` (with a ``-``, ``_`` or space inside, or in capitals,
so ``<b>`` and ``<br>`` stay HTML), ``{{anything}}``, or ``{name}``.
"""

from __future__ import annotations

import re
from typing import Any

ANGLE_SLOT = re.compile(r"<([A-Za-z][A-Za-z0-9 _.\-]*)>")
DOUBLE_BRACE_SLOT = re.compile(r"\{\{.+\}\}")
BRACE_SLOT = re.compile(r"\{\s*[A-Za-z_][\w.\[\]]*\s*\}")


def is_placeholder(text: str) -> bool:
    """True when the whole of ``text`` is a template slot."""
    text = text.strip()
    angle = ANGLE_SLOT.fullmatch(text)
    if angle is not None:
        name = angle.group(1)
        return any(mark in name for mark in " _-") or (len(name) > 1 and name.isupper())
    return DOUBLE_BRACE_SLOT.fullmatch(text) is not None or BRACE_SLOT.fullmatch(text) is not None


def placeholder_in(value: Any, where: str = "") -> tuple[str, str] | None:
    """The first slot in ``value`` as (path such as ``legs[1].from``, the slot), or None."""
    if isinstance(value, str):
        return (where, value) if is_placeholder(value) else None
    if isinstance(value, dict):
        items = ((f"{where}.{key}" if where else str(key), item) for key, item in value.items())
    elif isinstance(value, list):
        items = ((f"{where}[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    for path, item in items:
        found = placeholder_in(item, path)
        if found is not None:
            return found
    return None
