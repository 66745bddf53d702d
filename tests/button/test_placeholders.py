"""Which argument values are placeholders, not values: the cases decided first.

A careful reader of a tool call says "the assistant has not got this value
yet" for a template slot that stands where a value should be, and "that is a
value" for anything a real user or API could mean, even when it holds angle
brackets or braces.
"""

from __future__ import annotations

from typing import Any

import pytest

from button.validation.placeholders import placeholder_in

PLACEHOLDERS: list[tuple[dict[str, Any], str, str]] = [
    ({"warehouse_id": "<nearest-warehouse-id>"}, "warehouse_id", "<nearest-warehouse-id>"),
    ({"city": "<hotel city>"}, "city", "<hotel city>"),
    ({"order_id": "<order_id>"}, "order_id", "<order_id>"),
    ({"id": "<ID>"}, "id", "<ID>"),
    ({"code": "{{confirmation_code}}"}, "code", "{{confirmation_code}}"),
    ({"code": "{{ steps[0].code }}"}, "code", "{{ steps[0].code }}"),
    ({"ticker": "{ticker}"}, "ticker", "{ticker}"),
    ({"price": "<result of get_share_price>"}, "price", "<result of get_share_price>"),
    (
        {"legs": [{"from": "DEN"}, {"from": "<previous arrival airport>"}]},
        "legs[1].from",
        "<previous arrival airport>",
    ),
    ({"filter": {"ids": ["A1", "<order-id-from-step-1>"]}}, "filter.ids[1]", "<order-id-from-step-1>"),
    ({"code": "  <nearest-warehouse-id>  "}, "code", "  <nearest-warehouse-id>  "),
]

VALUES: list[dict[str, Any]] = [
    {"query": "a < b"},
    {"html": "<b>bold</b>"},
    {"tag": "<br>"},
    {"text": "I <3 Leeds"},
    {"note": "meet at <the usual place> tomorrow"},
    {"json": '{"a": 1}'},
    {"set": "{1, 2}"},
    {"expr": "x < 3 and y > 2"},
    {"ticker": "AAPL", "price": 191.5, "when": None, "ok": True},
    {"email": "Ann <ann@example.com>"},
    {"empty": ""},
    {"braces": "{}"},
]


@pytest.mark.parametrize(("arguments", "where", "value"), PLACEHOLDERS)
def test_a_template_slot_standing_for_a_value_is_a_placeholder(
    arguments: dict[str, Any], where: str, value: str
) -> None:
    assert placeholder_in(arguments) == (where, value)


@pytest.mark.parametrize("arguments", VALUES)
def test_text_that_merely_holds_brackets_is_a_value(arguments: dict[str, Any]) -> None:
    assert placeholder_in(arguments) is None
