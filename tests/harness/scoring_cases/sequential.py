"""Cases of the sequential tasks. Each ``add`` states the verdict a careful person gives."""

from __future__ import annotations

from typing import Any

from tests.harness.scoring_cases.build import Case, Err, Registry, Step, Text, c, calls, say, user

# --- travel.flight_then_hotel: {"from": ...} into the second call ----------------------------

T = "travel.flight_then_hotel"
ASK_T = (
    "Find me the cheapest nonstop flight from Chicago O'Hare (ORD) to Denver (DEN) on 2026-12-08, then a hotel "
    "in the city it lands in, checking in on the arrival date for 2 nights, at no more than $220 a night."
)
FLIGHT_ARGS = {
    "origin": "ORD",
    "destination": "DEN",
    "departure_date": "2026-12-08",
    "nonstop_only": True,
    "sort_by": "price",
}
FLIGHT = {
    "flight_number": "UA 1432",
    "arrival": {"airport": "DEN", "city": "Denver", "date": "2026-12-08", "time": "10:55"},
    "price_usd": 189.0,
}
HOTEL_ARGS = {"city": "Denver", "check_in": "2026-12-08", "nights": 2, "max_price_per_night_usd": 220}
HOTEL = {
    "hotel_id": "HT-77120",
    "name": "Larimer Square Inn",
    "price_per_night_usd": 204.5,
    "total_price_usd": 409.0,
}
ANSWER_T = "Your flight is UA 1432 for $189. I found the Larimer Square Inn (HT-77120) at $204.50 a night, $409.00 in total."


def flight(args: dict[str, Any] | None = None, answer: Any = FLIGHT) -> Step:
    return calls(c("search_flights", args or FLIGHT_ARGS, answer))


def hotel(answer: Any = HOTEL, **changes: Any) -> Step:
    return calls(c("search_hotels", {**HOTEL_ARGS, **changes}, answer))


def travel(reg: Registry) -> None:
    def add(name: str, steps: list[Step], success: bool, reasons: list[str], why: str, **kw: Any) -> None:
        reg.add(Case(T, name, [user(ASK_T), *steps], success, reasons, why, **kw))

    add("perfect", [flight(), hotel(), say(ANSWER_T)], True, [], "every call right, answer states the hotel")
    add(
        "natural_wording",
        [
            flight(),
            hotel(),
            say("Booked on UA 1432. The larimer square inn has a room at $204.50/night, about $410 all in."),
        ],
        True,
        [],
        "paraphrase with a hedged total: name, rate and total are stated",
    )
    add(
        "pleasantry_after_answer",
        [flight(), hotel(), say(ANSWER_T), user("Thanks!"), say("Glad to help! Have a great trip.")],
        True,
        [],
        "the answer is the message before the pleasantry",
    )
    add(
        "clarifying_question_first",
        [
            say("Happy to. Should the hotel be within a budget per night?"),
            user("Yes, at most $220 a night."),
            flight(),
            hotel(),
            say(ANSWER_T),
        ],
        True,
        [],
        "a question before the calls costs nothing",
    )
    add(
        "retry_after_tool_error",
        [flight(), hotel(Err("search_hotels failed: upstream timeout")), hotel(), say(ANSWER_T)],
        True,
        [],
        "the failed attempt is not preferred over the successful retry",
    )
    add(
        "retry_after_invalid_arguments",
        [
            flight({**FLIGHT_ARGS, "departure_date": "12/08/2026"}, Err("departure_date: does not match")),
            flight(),
            hotel(),
            say(ANSWER_T),
        ],
        True,
        ["invalid_arguments"],
        "the corrected retry does the job; the invalid attempt is reported, not fatal",
    )
    add(
        "wrong_order",
        [hotel(), flight(), say(ANSWER_T)],
        False,
        ["wrong_order"],
        "the hotel was searched before the flight said where it lands",
    )
    add(
        "broken_flow",
        [flight(), hotel(city="Boulder"), say(ANSWER_T)],
        False,
        ["broken_flow"],
        "the hotel is not in the city the flight lands in",
    )
    add(
        "made_up_check_in",
        [flight(), hotel(check_in="2026-12-09"), say(ANSWER_T)],
        False,
        ["broken_flow"],
        "the check-in date is not the arrival date",
    )
    add(
        "invented_tool",
        [
            calls(c("book_trip", {"to": "DEN"}, Err("unknown tool book_trip"))),
            flight(),
            hotel(),
            say(ANSWER_T),
        ],
        True,
        ["invented_tool"],
        "a call of a tool that does not exist, then the right calls",
    )
    add(
        "extra_calls",
        [flight(), flight({**FLIGHT_ARGS, "sort_by": "duration"}), hotel(), say(ANSWER_T)],
        True,
        [],
        "an extra search lowers precision, not success",
    )
    add(
        "no_calls",
        [say("The Larimer Square Inn in Denver is usually around $200 a night.")],
        False,
        ["no_calls"],
        "nothing was looked up",
    )
    add(
        "no_final_answer", [flight(), hotel()], False, ["no_final_answer"], "the results never reach the user"
    )
    add(
        "only_pleasantry_after_calls",
        [flight(), hotel(), say("Glad to help! Let me know if you need anything else.")],
        False,
        ["no_final_answer"],
        "a pleasantry is not an answer",
    )
    add(
        "answer_then_long_pleasantries",
        [
            flight(),
            hotel(),
            say(ANSWER_T),
            user("thanks"),
            say(
                "You're welcome! I'm glad I could help. Have a great night at the Larimer Square Inn "
                "and enjoy your flight with UA 1432."
            ),
            user("thanks again"),
            say("You're welcome! I'm here to help. If you have any further questions, feel free to ask."),
        ],
        True,
        [],
        "the user was told the results; the later goodbyes that name the hotel take nothing away",
    )
    add(
        "question_after_results_then_answer",
        [
            flight(),
            hotel(),
            say(
                "Your flight is UA 1432 and I found the Larimer Square Inn (HT-77120). "
                "Would you like the nightly rate or the total for both nights?"
            ),
            user("Just the total, please."),
            say("It comes to $409.00 for the two nights."),
        ],
        True,
        [],
        "the answer is given over two messages around the user's reply; together they state the results",
    )
    add(
        "only_pleasantries_after_results",
        [
            flight(),
            hotel(),
            say("Glad I could help! Let me know if you need anything else."),
            user("Thanks!"),
            say("You're welcome! Have a great trip, and feel free to ask if you have any more questions."),
        ],
        False,
        ["no_final_answer"],
        "every message after the results is a courtesy: the results never reach the user",
    )
    add(
        "missing_hotel_call",
        [flight(), say("Your flight is UA 1432, landing in Denver at 10:55 for $189.")],
        False,
        ["missing_call", "ungrounded"],
        "no hotel was searched, so none is reported",
    )
    add(
        "ungrounded_answer",
        [flight(), hotel(), say("All set, enjoy your stay in Denver!")],
        False,
        ["ungrounded"],
        "the answer states no hotel detail",
    )
    add(
        "hotel_error_not_retried",
        [
            flight(),
            hotel(Err("search_hotels failed: upstream timeout")),
            say("Sorry, the hotel search is down."),
        ],
        False,
        ["tool_error", "ungrounded"],
        "the hotel search failed and was not retried",
    )
    add(
        "qualified_city",
        [flight(), hotel(city="Denver, CO"), say(ANSWER_T)],
        True,
        [],
        "'Denver, CO' qualifies 'Denver'",
    )
    add(
        "city_not_a_qualifier",
        [flight(), hotel(city="Denver Tech Center"), say(ANSWER_T)],
        False,
        ["broken_flow"],
        "'Denver Tech Center' is another place, not 'Denver' qualified",
    )
    add(
        "wrong_literal",
        [flight(), hotel(nights=3), say(ANSWER_T)],
        False,
        ["missing_call"],
        "3 nights instead of 2",
    )


# --- hr.leave_status: accents, negation, word boundaries ---------------------------------------

H = "hr.leave_status"
ASK_H = "Can you find Jose Alvarez and tell me the status of his leave request for July 2026 (2026-07)?"
EMPLOYEE = {"employee_id": "E-4471", "name": "José Álvarez", "department": "Logistics"}
LEAVE = {"request_id": "LR-0932", "status": "approved", "days": 5}
ANSWER_H = "José Álvarez's leave request LR-0932 for 5 days is approved."


def employee(name: str = "José Álvarez", answer: Any = EMPLOYEE) -> Step:
    return calls(c("find_employee", {"name": name}, answer))


def leave(employee_id: str = "E-4471", answer: Any = LEAVE) -> Step:
    return calls(c("get_leave_request", {"employee_id": employee_id, "month": "2026-07"}, answer))


def hr(reg: Registry) -> None:
    def add(name: str, steps: list[Step], success: bool, reasons: list[str], why: str, **kw: Any) -> None:
        reg.add(Case(H, name, [user(ASK_H), *steps], success, reasons, why, **kw))

    add("perfect", [employee(), leave(), say(ANSWER_H)], True, [], "right calls, status stated")
    add(
        "name_without_accents",
        [employee("Jose Alvarez"), leave(), say(ANSWER_H)],
        True,
        [],
        "accents are stripped before comparing",
    )
    add(
        "name_qualified",
        [employee("José Álvarez (Logistics)"), leave(), say(ANSWER_H)],
        True,
        [],
        "a parenthesised qualifier after the name",
    )
    add(
        "negated_status",
        [employee(), leave(), say("I'm afraid his leave request was not approved.")],
        False,
        ["ungrounded"],
        "'was not approved' contradicts 'approved' and does not state it",
    )
    add(
        "status_inside_longer_word",
        [employee(), leave(), say("His request is marked unapproved.")],
        False,
        ["ungrounded"],
        "'approved' inside 'unapproved' is not a statement of it",
    )
    add(
        "contradicting_status",
        [employee(), leave(), say("Leave request LR-0932 (5 days) was rejected.")],
        False,
        [],
        "states the id and days but contradicts the status: only a judge sees it",
        deterministic=True,
    )
    add(
        "answer_then_contradiction",
        [
            employee(),
            leave(),
            say(ANSWER_H),
            user("Are you sure?"),
            say("Sorry, I misread it: his leave request was not approved."),
        ],
        False,
        [],
        "the later message takes the status back; each message is read on its own, so the floor still "
        "finds 'approved' stated in the answer: only a judge sees the contradiction",
        deterministic=True,
    )
    add(
        "wrong_employee_id",
        [employee(), leave("E-4417"), say(ANSWER_H)],
        False,
        ["broken_flow"],
        "a mistyped employee id",
    )
    add("no_final_answer", [employee(), leave()], False, ["no_final_answer"], "nothing said to the user")
    add(
        "plain_text_employee",
        [employee(answer=Text("Found José Álvarez, employee ID E-4471, Logistics.")), leave(), say(ANSWER_H)],
        True,
        [],
        "the id is taken from a plain-text result that contains it",
    )
    add(
        "retry_after_tool_error",
        [employee(answer=Err("directory unavailable")), employee(), leave(), say(ANSWER_H)],
        True,
        [],
        "the lookup failed once and was retried",
    )


# --- weather.city_forecast: plain-text results ---------------------------------------------

W = "weather.city_forecast"
ASK_W = "What's the weather forecast for Paris on 2026-05-02?"
COORDS = {"latitude": 48.8566, "longitude": 2.3522}
FORECAST = {"summary": "light rain", "high_c": 18, "low_c": 9}
COORDS_TEXT = Text("Paris, France is at latitude 48.8566 and longitude 2.3522.")
FORECAST_TEXT = Text("Forecast for 2026-05-02: light rain, high 18 C, low 9 C.")
ANSWER_W = "Paris on 2026-05-02: light rain, with a high of 18°C and a low of 9°C."


def geocode(place: str = "Paris", answer: Any = COORDS) -> Step:
    return calls(c("geocode", {"place": place}, answer))


def forecast(latitude: float = 48.8566, longitude: float = 2.3522, answer: Any = FORECAST) -> Step:
    args = {"latitude": latitude, "longitude": longitude, "date": "2026-05-02"}
    return calls(c("get_forecast", args, answer))


def weather(reg: Registry) -> None:
    def add(name: str, steps: list[Step], success: bool, reasons: list[str], why: str, **kw: Any) -> None:
        reg.add(Case(W, name, [user(ASK_W), *steps], success, reasons, why, **kw))

    add("perfect", [geocode(), forecast(), say(ANSWER_W)], True, [], "JSON results, all stated")
    add(
        "plain_text_results",
        [geocode(answer=COORDS_TEXT), forecast(answer=FORECAST_TEXT), say(ANSWER_W)],
        True,
        [],
        "coordinates come from a text result; the answer states the text forecast's numbers",
    )
    add(
        "plain_text_swapped_coordinates",
        [geocode(answer=COORDS_TEXT), forecast(2.3522, 48.8566, FORECAST_TEXT), say(ANSWER_W)],
        True,
        [],
        "both numbers are in the text, so a text source cannot tell them apart (JSON can: next case)",
    )
    add(
        "swapped_coordinates",
        [geocode(), forecast(2.3522, 48.8566), say(ANSWER_W)],
        False,
        ["broken_flow"],
        "latitude and longitude swapped",
    )
    add(
        "qualified_place",
        [geocode("Paris, France"), forecast(), say(ANSWER_W)],
        True,
        [],
        "'Paris, France' qualifies 'Paris'",
    )
    add(
        "wrong_paris",
        [
            geocode("Paris, Texas", {"latitude": 33.6609, "longitude": -95.5555}),
            forecast(33.6609, -95.5555, {"summary": "sunny", "high_c": 27, "low_c": 15}),
            say("Paris on 2026-05-02: sunny, high 27°C, low 15°C."),
        ],
        False,
        [],
        "a qualifier is accepted whatever it says: that it names another Paris is for a judge",
        deterministic=True,
    )
    add(
        "no_calls",
        [say("Paris in early May is usually mild, around 18°C.")],
        False,
        ["no_calls"],
        "a guess, no lookup",
    )
    add(
        "rounded_answer",
        [
            geocode(),
            forecast(answer={"summary": "light rain", "high_c": 18.4, "low_c": 9.2}),
            say("Light rain in Paris that day, a high of around 18°C and a low near 9°C."),
        ],
        True,
        [],
        "a whole number shows precision to the unit: 18 states 18.4, 9 states 9.2",
    )


# --- logistics.ship_order: enums and schema validity ------------------------------------------

L = "logistics.ship_order"
ASK_L = (
    "Please look up order ORD-48213 and ship it with DHL. What's the tracking number and when will it arrive?"
)
ORDER = {"order_id": "ORD-48213", "weight_kg": 3.2, "destination_country": "Germany"}
SHIPMENT = {"tracking_number": "JD014600003828", "eta": "2026-03-14"}
SHIP_ARGS = {"order_id": "ORD-48213", "carrier": "DHL", "weight_kg": 3.2}
ANSWER_L = "Order ORD-48213 ships with DHL, tracking number JD014600003828, arriving on 2026-03-14."


def order() -> Step:
    return calls(c("get_order", {"order_id": "ORD-48213"}, ORDER))


def ship(answer: Any = SHIPMENT, **changes: Any) -> Step:
    args = {key: value for key, value in {**SHIP_ARGS, **changes}.items() if value is not None}
    return calls(c("create_shipment", args, answer))


def logistics(reg: Registry) -> None:
    def add(name: str, steps: list[Step], success: bool, reasons: list[str], why: str, **kw: Any) -> None:
        reg.add(Case(L, name, [user(ASK_L), *steps], success, reasons, why, **kw))

    add("perfect", [order(), ship(), say(ANSWER_L)], True, [], "right calls, tracking and date stated")
    add(
        "enum_wrong_case",
        [order(), ship(carrier="dhl"), say(ANSWER_L)],
        False,
        ["invalid_arguments"],
        "'dhl' is not in the enum: the call is invalid even if a lenient tool answered",
    )
    add(
        "enum_wrong_case_retried",
        [
            order(),
            ship(Err("carrier: 'dhl' is not one of ['UPS', 'FedEx', 'DHL']"), carrier="dhl"),
            ship(),
            say(ANSWER_L),
        ],
        True,
        ["invalid_arguments"],
        "the invalid call was answered with an error and corrected",
    )
    add(
        "missing_required_weight",
        [
            order(),
            ship(Err("'weight_kg' is a required property"), weight_kg=None),
            say("The shipment could not be created."),
        ],
        False,
        ["invalid_arguments", "ungrounded"],
        "a required argument left out, not retried",
    )
    add(
        "wrong_carrier",
        [order(), ship(carrier="UPS"), say(ANSWER_L)],
        False,
        ["missing_call"],
        "UPS instead of DHL",
    )
    add(
        "unknown_argument",
        [order(), ship(insurance=True), say(ANSWER_L)],
        False,
        ["invalid_arguments"],
        "an argument the tool does not take (additionalProperties is false)",
    )
    add(
        "tracking_inside_longer_code",
        [order(), ship(), say("Shipped with DHL: tracking JD0146000038281, arriving 2026-03-15.")],
        False,
        ["ungrounded"],
        "neither the tracking number (only inside a longer code) nor the date is stated",
    )


# --- events.concert_seats: lists as multisets, qualified literals -----------------------------

E = "events.concert_seats"
ASK_E = "We're in Montréal on 2026-07-03: find us a jazz or blues concert and reserve 2 seats."
EVENT = {"event_id": "EV-3390", "title": "Blue Note Nights", "venue": "Upstairs Jazz Bar"}
SEATS = {"reservation_id": "RS-7781", "total_eur": 64.0}
ANSWER_E = "Reserved 2 seats for Blue Note Nights at Upstairs Jazz Bar: reservation RS-7781, total €64."


def events_search(city: str = "Montréal", genres: list[str] | None = None) -> Step:
    args = {"city": city, "genres": genres or ["jazz", "blues"], "date": "2026-07-03"}
    return calls(c("search_events", args, EVENT))


def reserve() -> Step:
    return calls(c("reserve_seats", {"event_id": "EV-3390", "seats": 2}, SEATS))


def events(reg: Registry) -> None:
    def add(name: str, steps: list[Step], success: bool, reasons: list[str], why: str, **kw: Any) -> None:
        reg.add(Case(E, name, [user(ASK_E), *steps], success, reasons, why, **kw))

    add("perfect", [events_search(), reserve(), say(ANSWER_E)], True, [], "as planned")
    add(
        "reordered_genres",
        [events_search(genres=["blues", "jazz"]), reserve(), say(ANSWER_E)],
        True,
        [],
        "a list compares as a multiset",
    )
    add(
        "qualified_city_without_accent",
        [events_search("Montreal, QC"), reserve(), say(ANSWER_E)],
        True,
        [],
        "accent stripped, then a comma qualifier",
    )
    add(
        "missing_genre",
        [events_search(genres=["jazz"]), reserve(), say(ANSWER_E)],
        False,
        ["missing_call"],
        "blues left out of the search",
    )
    add(
        "other_city",
        [events_search("Montréal-Nord"), reserve(), say(ANSWER_E)],
        False,
        ["missing_call"],
        "'Montréal-Nord' is another borough: a dash without spaces is no separator",
    )


def register(reg: Registry) -> None:
    travel(reg)
    hr(reg)
    weather(reg)
    logistics(reg)
    events(reg)
