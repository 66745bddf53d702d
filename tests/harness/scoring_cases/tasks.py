"""The tasks of the scoring cases: two from fixtures/scoring/tasks.jsonl and eight more,
several with the checkable plan forms (from_all, choice_from, computed) and one with
computed_from."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import FIXTURES

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
STRING = {"type": "string"}
NUMBER = {"type": "number"}


def fn(name: str, description: str, params: dict[str, Any], returns: dict[str, Any]) -> dict[str, Any]:
    """A function whose parameters are all required and closed, and whose result is an object."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": params,
                "required": list(params),
                "additionalProperties": False,
            },
        },
        "returns": {"type": "object", "properties": returns, "required": list(returns)},
    }


def task(
    task_id: str, strategy: str, scenario: str, instruction: str, functions: list[dict[str, Any]], plan: Any
) -> dict[str, Any]:
    return {
        "id": task_id,
        "strategy": strategy,
        "scenario": scenario,
        "instruction": instruction,
        "functions": functions,
        "plan": plan,
    }


GET_PRICE = fn(
    "get_price",
    "Return the current price of an item in a store.",
    {"item": STRING, "store": {"type": "string", "enum": ["online", "outlet"]}},
    {"item": STRING, "price_usd": NUMBER},
)
SUM_PRICES = fn(
    "sum_prices",
    "Add up a list of prices.",
    {
        "prices_usd": {"type": "array", "items": NUMBER},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    },
    {"total_usd": NUMBER},
)
BASKET = task(
    "shop.basket_total",
    "parallel-then-sequential",
    "Someone furnishing a home office compares what three items cost in the online store.",
    "Look up the online prices of a desk lamp, an office chair and a monitor arm, then add them up in USD.",
    [GET_PRICE, SUM_PRICES],
    [
        [
            {"id": f"c{n}", "name": "get_price", "arguments": {"item": item, "store": "online"}}
            for n, item in ((1, "desk lamp"), (2, "office chair"), (3, "monitor arm"))
        ],
        [
            {
                "id": "c4",
                "name": "sum_prices",
                "arguments": {
                    "prices_usd": {"from_all": ["c1.price_usd", "c2.price_usd", "c3.price_usd"]},
                    "currency": "USD",
                },
            }
        ],
    ],
)

HOTEL_RATE = fn(
    "get_hotel_rate",
    "The best-rated hotel in a city and its nightly rate for a check-in date.",
    {"city": STRING, "check_in": DATE},
    {"city": STRING, "hotel": STRING, "nightly_rate_eur": NUMBER},
)
BOOK_HOTEL = fn(
    "book_hotel",
    "Book a hotel for some nights.",
    {"city": STRING, "hotel": STRING, "check_in": DATE, "nights": {"type": "integer", "minimum": 1}},
    {"booking_id": STRING, "total_eur": NUMBER},
)
CHEAPER_CITY = task(
    "travel.cheaper_city_hotel",
    "parallel-then-sequential",
    "A traveller touring French wine regions can stay in Lyon or Bordeaux and wants the cheaper one.",
    "Compare the best hotel in Lyon and in Bordeaux for 2026-06-12 and book 3 nights in whichever is cheaper.",
    [HOTEL_RATE, BOOK_HOTEL],
    [
        [
            {"id": "c1", "name": "get_hotel_rate", "arguments": {"city": "Lyon", "check_in": "2026-06-12"}},
            {
                "id": "c2",
                "name": "get_hotel_rate",
                "arguments": {"city": "Bordeaux", "check_in": "2026-06-12"},
            },
        ],
        [
            {
                "id": "c3",
                "name": "book_hotel",
                "arguments": {
                    "city": {
                        "computed": "c1.city if c1.nightly_rate_eur <= c2.nightly_rate_eur else c2.city"
                    },
                    "hotel": {"choice_from": ["c1.hotel", "c2.hotel"]},
                    "check_in": "2026-06-12",
                    "nights": 3,
                },
            }
        ],
    ],
)

GET_PRODUCT = fn(
    "get_product",
    "Look up a product by SKU.",
    {"sku": {"type": "string", "pattern": r"^[A-Z]{2}-\d{3}$"}},
    {"sku": STRING, "name": STRING, "price_usd": NUMBER},
)
CREATE_INVOICE = fn(
    "create_invoice",
    "Issue an invoice to a customer for a total amount.",
    {"customer": STRING, "total_usd": {"type": "number", "exclusiveMinimum": 0}},
    {"invoice_id": STRING, "total_usd": NUMBER, "status": STRING},
)
INVOICE = task(
    "sales.invoice_two_products",
    "parallel-then-sequential",
    "A sales rep bills a customer for an order of two products.",
    "Acme Corp ordered 10 of WG-100 and 5 of GD-200: look up both prices and issue Acme Corp an invoice for the total.",
    [GET_PRODUCT, CREATE_INVOICE],
    [
        [
            {"id": "c1", "name": "get_product", "arguments": {"sku": "WG-100"}},
            {"id": "c2", "name": "get_product", "arguments": {"sku": "GD-200"}},
        ],
        [
            {
                "id": "c3",
                "name": "create_invoice",
                "arguments": {
                    "customer": "Acme Corp",
                    "total_usd": {"computed": "c1.price_usd * 10 + c2.price_usd * 5", "tolerance": 0.01},
                },
            }
        ],
    ],
)

FIND_EMPLOYEE = fn(
    "find_employee",
    "Find an employee by full name.",
    {"name": STRING},
    {"employee_id": STRING, "name": STRING, "department": STRING},
)
LEAVE_REQUEST = fn(
    "get_leave_request",
    "An employee's leave request for a month and its status.",
    {"employee_id": STRING, "month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"}},
    {"request_id": STRING, "status": STRING, "days": {"type": "integer"}},
)
LEAVE = task(
    "hr.leave_status",
    "sequential",
    "An HR assistant answers an employee's question about a leave request.",
    "Find the employee José Álvarez and tell me the status of his leave request for 2026-07.",
    [FIND_EMPLOYEE, LEAVE_REQUEST],
    [
        [{"id": "c1", "name": "find_employee", "arguments": {"name": "José Álvarez"}}],
        [
            {
                "id": "c2",
                "name": "get_leave_request",
                "arguments": {"employee_id": {"from": "c1.employee_id"}, "month": "2026-07"},
            }
        ],
    ],
)

GEOCODE = fn(
    "geocode", "Coordinates of a place.", {"place": STRING}, {"latitude": NUMBER, "longitude": NUMBER}
)
FORECAST = fn(
    "get_forecast",
    "The weather forecast at coordinates on a date.",
    {"latitude": NUMBER, "longitude": NUMBER, "date": DATE},
    {"summary": STRING, "high_c": NUMBER, "low_c": NUMBER},
)
WEATHER = task(
    "weather.city_forecast",
    "sequential",
    "Someone planning a weekend walk wants the forecast for the city they are visiting.",
    "What is the weather forecast for Paris on 2026-05-02?",
    [GEOCODE, FORECAST],
    [
        [{"id": "c1", "name": "geocode", "arguments": {"place": "Paris"}}],
        [
            {
                "id": "c2",
                "name": "get_forecast",
                "arguments": {
                    "latitude": {"from": "c1.latitude"},
                    "longitude": {"from": "c1.longitude"},
                    "date": "2026-05-02",
                },
            }
        ],
    ],
)

GET_ORDER = fn(
    "get_order",
    "Look up an order.",
    {"order_id": {"type": "string", "pattern": r"^ORD-\d{5}$"}},
    {"order_id": STRING, "weight_kg": NUMBER, "destination_country": STRING},
)
CREATE_SHIPMENT = fn(
    "create_shipment",
    "Create a shipment for an order with a carrier.",
    {
        "order_id": STRING,
        "carrier": {"type": "string", "enum": ["UPS", "FedEx", "DHL"]},
        "weight_kg": {"type": "number", "exclusiveMinimum": 0},
    },
    {"tracking_number": STRING, "eta": DATE},
)
SHIP = task(
    "logistics.ship_order",
    "sequential",
    "A warehouse clerk ships a customer's order.",
    "Look up order ORD-48213 and ship it with DHL; tell me the tracking number and when it arrives.",
    [GET_ORDER, CREATE_SHIPMENT],
    [
        [{"id": "c1", "name": "get_order", "arguments": {"order_id": "ORD-48213"}}],
        [
            {
                "id": "c2",
                "name": "create_shipment",
                "arguments": {
                    "order_id": {"from": "c1.order_id"},
                    "carrier": "DHL",
                    "weight_kg": {"from": "c1.weight_kg"},
                },
            }
        ],
    ],
)

SEARCH_EVENTS = fn(
    "search_events",
    "Find the best-reviewed concert in a city on a date among some genres.",
    {"city": STRING, "genres": {"type": "array", "items": STRING}, "date": DATE},
    {"event_id": STRING, "title": STRING, "venue": STRING},
)
RESERVE_SEATS = fn(
    "reserve_seats",
    "Reserve seats at an event.",
    {"event_id": STRING, "seats": {"type": "integer", "minimum": 1}},
    {"reservation_id": STRING, "total_eur": NUMBER},
)
EVENTS = task(
    "events.concert_seats",
    "sequential",
    "A couple visiting Montréal want a night out at a concert.",
    "Find a jazz or blues concert in Montréal on 2026-07-03 and reserve 2 seats.",
    [SEARCH_EVENTS, RESERVE_SEATS],
    [
        [
            {
                "id": "c1",
                "name": "search_events",
                "arguments": {"city": "Montréal", "genres": ["jazz", "blues"], "date": "2026-07-03"},
            }
        ],
        [
            {
                "id": "c2",
                "name": "reserve_seats",
                "arguments": {"event_id": {"from": "c1.event_id"}, "seats": 2},
            }
        ],
    ],
)

SHARE_PRICE = fn(
    "get_share_price",
    "The latest traded price of a stock.",
    {"ticker": STRING},
    {"ticker": STRING, "price": NUMBER},
)
LOG_VALUE = fn(
    "log_portfolio_value",
    "Record the value of a portfolio with a note.",
    {"value_usd": NUMBER, "note": STRING},
    {"entry_id": STRING},
)
PORTFOLIO = task(
    "finance.portfolio_log",
    "parallel-then-sequential",
    "An investor keeps a weekly log of what a small portfolio is worth.",
    "I hold 10 NVDA and 20 AMD shares: get both prices and log my portfolio's value with the note 'weekly check'.",
    [SHARE_PRICE, LOG_VALUE],
    [
        [
            {"id": "c1", "name": "get_share_price", "arguments": {"ticker": "NVDA"}},
            {"id": "c2", "name": "get_share_price", "arguments": {"ticker": "AMD"}},
        ],
        [
            {
                "id": "c3",
                "name": "log_portfolio_value",
                "arguments": {
                    "value_usd": {"computed_from": ["c1.price", "c2.price"]},
                    "note": "weekly check",
                },
            }
        ],
    ],
)

NEW_TASKS = [BASKET, CHEAPER_CITY, INVOICE, LEAVE, WEATHER, SHIP, EVENTS, PORTFOLIO]
REUSED = ("travel.flight_then_hotel", "finance.two_share_prices_then_split")


def all_tasks() -> list[dict[str, Any]]:
    lines = (FIXTURES / "scoring" / "tasks.jsonl").read_text(encoding="utf-8").splitlines()
    reused = [task for task in map(json.loads, lines) if task["id"] in REUSED]
    return reused + NEW_TASKS


def tools_of(task: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "function", "function": spec["function"]} for spec in task["functions"]]
