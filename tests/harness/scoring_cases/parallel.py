"""Cases of the parallel-then-sequential tasks. Each ``add`` states the verdict a careful person gives."""

from __future__ import annotations

from typing import Any

from tests.harness.scoring_cases.build import Call, Case, Err, Registry, Step, Text, c, calls, say, user

# --- finance.two_share_prices_then_split: two {"from": ...} into the final call --------------

F = "finance.two_share_prices_then_split"
ASK_F = (
    "I have $10,000 to split evenly between Apple (AAPL) and Microsoft (MSFT). Get both share prices, "
    "then work out how many whole shares of each I can buy and the cash left over."
)
AAPL = {"ticker": "AAPL", "price": 232.5, "currency": "USD"}
MSFT = {"ticker": "MSFT", "price": 415.2, "currency": "USD"}
SPLIT = {"shares_a": 21, "shares_b": 12, "leftover_usd": 135.1}
ANSWER_F = "You can buy 21 shares of AAPL and 12 shares of MSFT, with $135.10 left over."


def price(ticker: str, answer: Any, exchange: str = "NASDAQ") -> Call:
    return c("get_share_price", {"ticker": ticker, "exchange": exchange}, answer)


def split(a: float = 232.5, b: float = 415.2, answer: Any = SPLIT) -> Call:
    return c("calculate_equal_split", {"budget_usd": 10000, "price_a_usd": a, "price_b_usd": b}, answer)


def finance(reg: Registry) -> None:
    def add(name: str, steps: list[Step], success: bool, reasons: list[str], why: str, **kw: Any) -> None:
        reg.add(Case(F, name, [user(ASK_F), *steps], success, reasons, why, **kw))

    both = calls(price("AAPL", AAPL), price("MSFT", MSFT))
    add("perfect", [both, calls(split()), say(ANSWER_F)], True, [], "parallel prices, then the split")
    add(
        "sequential_not_parallel",
        [calls(price("AAPL", AAPL)), calls(price("MSFT", MSFT)), calls(split()), say(ANSWER_F)],
        True,
        [],
        "one price at a time lowers parallelism, not success",
    )
    add(
        "split_before_prices",
        [
            calls(split(230, 410, {"shares_a": 21, "shares_b": 12, "leftover_usd": 250.0})),
            both,
            say("You can buy 21 AAPL and 12 MSFT shares with $250 left."),
        ],
        False,
        ["wrong_order", "broken_flow"],
        "the split was made with guessed prices before the prices came back",
    )
    add(
        "split_with_prices_same_message",
        [calls(price("AAPL", AAPL), price("MSFT", MSFT), split()), say(ANSWER_F)],
        False,
        ["wrong_order"],
        "the split was asked for in the same message as the prices it needs",
    )
    add(
        "swapped_prices",
        [
            both,
            calls(split(415.2, 232.5, {"shares_a": 12, "shares_b": 21, "leftover_usd": 135.1})),
            say(ANSWER_F),
        ],
        False,
        ["broken_flow"],
        "Apple's slot got Microsoft's price",
    )
    add(
        "rounded_answer",
        [both, calls(split()), say("That's 21 Apple and 12 Microsoft shares, with roughly $135 to spare.")],
        True,
        [],
        "'roughly $135' states 135.1 to the unit",
    )
    add(
        "retry_after_tool_error",
        [
            calls(price("AAPL", Err("quote service timeout")), price("MSFT", MSFT)),
            calls(price("AAPL", AAPL)),
            calls(split()),
            say(ANSWER_F),
        ],
        True,
        [],
        "the failed AAPL quote was retried",
    )
    add(
        "pleasantry_after_answer",
        [
            both,
            calls(split()),
            say(ANSWER_F),
            user("Great, thanks!"),
            say("You're welcome! Happy investing."),
        ],
        True,
        [],
        "'Happy investing' closes; the answer came before",
    )
    add(
        "follow_up_offer",
        [both, calls(split()), say(ANSWER_F), say("Anything else I can help with?")],
        True,
        [],
        "a closing question is passed over",
    )
    add(
        "answer_then_long_pleasantries",
        [
            both,
            calls(split()),
            say(ANSWER_F),
            user("Great, thanks!"),
            say(
                "You're very welcome! I'm glad I could help you plan your purchase of AAPL and MSFT shares. "
                "Good luck with your investments, and feel free to ask if you need anything else."
            ),
        ],
        True,
        [],
        "the split was told; a goodbye naming the tickers does not replace it",
    )
    add(
        "only_pleasantries_after_results",
        [
            both,
            calls(split()),
            say("Happy investing! Let me know if you need anything else."),
            user("Thanks!"),
            say("You're welcome! Have a wonderful day."),
        ],
        False,
        ["no_final_answer"],
        "only courtesies after the results: the split never reaches the user",
    )
    add(
        "no_final_answer",
        [both, calls(split())],
        False,
        ["no_final_answer"],
        "the split never reaches the user",
    )
    add(
        "ungrounded_answer",
        [both, calls(split()), say("Done! I worked out the split for you.")],
        False,
        ["ungrounded"],
        "no number of the split is stated",
    )
    add(
        "plain_text_prices",
        [
            calls(
                price("AAPL", Text("AAPL last traded at 232.50 USD.")),
                price("MSFT", Text("MSFT: 415.20 USD")),
            ),
            calls(split()),
            say(ANSWER_F),
        ],
        True,
        [],
        "prices taken from plain-text quotes",
    )
    add(
        "plain_text_split",
        [both, calls(split(answer=Text("Buy 21 AAPL and 12 MSFT; 135.10 USD left."))), say(ANSWER_F)],
        True,
        [],
        "the answer states the numbers of a plain-text result",
    )
    add(
        "invented_tool_instead_of_split",
        [
            both,
            calls(c("buy_shares", {"AAPL": 21, "MSFT": 12}, Err("unknown tool"))),
            say("I could not place the orders."),
        ],
        False,
        ["missing_call", "invented_tool", "ungrounded"],
        "the split was never computed; a made-up tool was called instead",
    )
    add(
        "exchange_enum_wrong_case",
        [calls(price("AAPL", AAPL, "nasdaq"), price("MSFT", MSFT)), calls(split()), say(ANSWER_F)],
        False,
        ["invalid_arguments"],
        "'nasdaq' is not in the enum (a lenient tool answered anyway)",
    )


# --- shop.basket_total: {"from_all": [...]} ----------------------------------------------------

B = "shop.basket_total"
ASK_B = "Can you check the online prices of a desk lamp, an office chair and a monitor arm and add them up in USD?"
ITEMS = {"desk lamp": 34.99, "office chair": 189.5, "monitor arm": 59.0}
ANSWER_B = "The three come to $283.49 in total."


def lookup(item: str, answer: Any = None) -> Call:
    return c(
        "get_price", {"item": item, "store": "online"}, answer or {"item": item, "price_usd": ITEMS[item]}
    )


def total(prices: list[float], answer: Any = None) -> Call:
    return c(
        "sum_prices",
        {"prices_usd": prices, "currency": "USD"},
        answer or {"total_usd": round(sum(prices), 2)},
    )


ALL_THREE = calls(*(lookup(item) for item in ITEMS))
PRICES = [34.99, 189.5, 59.0]


def basket(reg: Registry) -> None:
    def add(name: str, steps: list[Step], success: bool, reasons: list[str], why: str, **kw: Any) -> None:
        reg.add(Case(B, name, [user(ASK_B), *steps], success, reasons, why, **kw))

    add("perfect", [ALL_THREE, calls(total(PRICES)), say(ANSWER_B)], True, [], "all three prices summed")
    add(
        "reordered_prices",
        [ALL_THREE, calls(total([59.0, 34.99, 189.5])), say(ANSWER_B)],
        True,
        [],
        "from_all takes the prices in any order",
    )
    add(
        "one_price_left_out",
        [ALL_THREE, calls(total([34.99, 189.5])), say("The two come to $224.49.")],
        False,
        ["broken_flow"],
        "the monitor arm is not in the sum (the answer faithfully reports the wrong sum)",
    )
    add(
        "made_up_price",
        [ALL_THREE, calls(total([34.99, 189.5, 60.0])), say("The three come to $284.49 in total.")],
        False,
        ["broken_flow"],
        "60 is not the monitor arm's price",
    )
    add(
        "third_lookup_skipped",
        [calls(lookup("desk lamp"), lookup("office chair")), calls(total(PRICES)), say(ANSWER_B)],
        False,
        ["missing_call", "broken_flow"],
        "the monitor arm was never looked up, its price is made up",
    )
    add(
        "one_at_a_time",
        [
            calls(lookup("desk lamp")),
            calls(lookup("office chair")),
            calls(lookup("monitor arm")),
            calls(total(PRICES)),
            say(ANSWER_B),
        ],
        True,
        [],
        "serial lookups lower parallelism only",
    )
    add(
        "sum_with_last_lookup",
        [
            calls(lookup("desk lamp"), lookup("office chair")),
            calls(lookup("monitor arm"), total(PRICES)),
            say(ANSWER_B),
        ],
        False,
        ["wrong_order"],
        "the sum was asked for before the monitor arm's price came back",
    )
    add(
        "hedged_answer",
        [ALL_THREE, calls(total(PRICES)), say("All in, about $283.")],
        True,
        [],
        "'about $283' states 283.49",
    )
    add(
        "wrong_total_in_answer",
        [ALL_THREE, calls(total(PRICES)), say("The three come to $238.49 in total.")],
        False,
        ["ungrounded"],
        "digits swapped in the answer",
    )
    add(
        "retry_sum_after_error",
        [ALL_THREE, calls(total(PRICES, Err("calculator busy"))), calls(total(PRICES)), say(ANSWER_B)],
        True,
        [],
        "the sum failed once and was retried",
    )
    add(
        "question_after_results_then_answer",
        [
            ALL_THREE,
            calls(total(PRICES)),
            say("I have the total. Do you want it with tax estimated, or as listed?"),
            user("As listed."),
            say(ANSWER_B),
        ],
        True,
        [],
        "a question to the user after the results, then the answer",
    )
    add(
        "no_final_answer",
        [ALL_THREE, calls(total(PRICES))],
        False,
        ["no_final_answer"],
        "the total is never told",
    )
    add(
        "extra_lookup",
        [ALL_THREE, calls(lookup("desk lamp")), calls(total(PRICES)), say(ANSWER_B)],
        True,
        [],
        "a repeated lookup is an extra call",
    )


# --- travel.cheaper_city_hotel: {"computed": ...} conditional, {"choice_from": ...} ----------

H = "travel.cheaper_city_hotel"
ASK_H = (
    "Compare the best hotel in Lyon and in Bordeaux for 2026-06-12 and book 3 nights wherever it's cheaper."
)
LYON = {"city": "Lyon", "hotel": "Hôtel des Célestins", "nightly_rate_eur": 112.0}
BORDEAUX = {"city": "Bordeaux", "hotel": "Hotel La Cour Carrée", "nightly_rate_eur": 98.5}
BOOKING = {"booking_id": "BK-55210", "total_eur": 295.5}
ANSWER_H = (
    "Bordeaux is cheaper: I booked Hotel La Cour Carrée for 3 nights, booking BK-55210, €295.50 in total."
)


def rate(city: str, answer: Any) -> Call:
    return c("get_hotel_rate", {"city": city, "check_in": "2026-06-12"}, answer)


def book(
    city: str = "Bordeaux", hotel: str = "Hotel La Cour Carrée", nights: int = 3, answer: Any = BOOKING
) -> Call:
    return c("book_hotel", {"city": city, "hotel": hotel, "check_in": "2026-06-12", "nights": nights}, answer)


RATES = calls(rate("Lyon", LYON), rate("Bordeaux", BORDEAUX))


def cheaper_city(reg: Registry) -> None:
    def add(name: str, steps: list[Step], success: bool, reasons: list[str], why: str, **kw: Any) -> None:
        reg.add(Case(H, name, [user(ASK_H), *steps], success, reasons, why, **kw))

    add("perfect", [RATES, calls(book()), say(ANSWER_H)], True, [], "the cheaper city, its hotel")
    add(
        "booked_the_dearer_city",
        [
            RATES,
            calls(book("Lyon", "Hôtel des Célestins", answer={"booking_id": "BK-55211", "total_eur": 336.0})),
            say("Booked Hôtel des Célestins in Lyon, BK-55211, €336 in total."),
        ],
        False,
        ["broken_flow"],
        "Lyon is the dearer city",
    )
    add(
        "qualified_city",
        [RATES, calls(book("Bordeaux, France")), say(ANSWER_H)],
        True,
        [],
        "'Bordeaux, France' qualifies the computed 'Bordeaux'",
    )
    add(
        "made_up_hotel",
        [RATES, calls(book(hotel="Ibis Bordeaux Centre")), say(ANSWER_H)],
        False,
        ["broken_flow"],
        "the hotel is none of the two found",
    )
    add(
        "accents_and_case",
        [RATES, calls(book("bordeaux", "HOTEL LA COUR CARREE")), say(ANSWER_H)],
        True,
        [],
        "case and accents do not matter",
    )
    add(
        "booked_with_the_rates",
        [calls(rate("Lyon", LYON), rate("Bordeaux", BORDEAUX), book()), say(ANSWER_H)],
        False,
        ["wrong_order"],
        "booked in the same message as the rate lookups, before knowing which is cheaper",
    )
    add(
        "pleasantry_after_answer",
        [
            RATES,
            calls(book()),
            say(ANSWER_H),
            user("Perfect, thank you."),
            say("My pleasure, enjoy your stay!"),
        ],
        True,
        [],
        "the closing message is passed over",
    )
    add(
        "wrong_nights",
        [
            RATES,
            calls(book(nights=2, answer={"booking_id": "BK-55212", "total_eur": 197.0})),
            say("Booked Hotel La Cour Carrée in Bordeaux for 2 nights, BK-55212, €197."),
        ],
        False,
        ["missing_call"],
        "2 nights instead of 3",
    )
    add(
        "no_calls",
        [say("Bordeaux is usually cheaper than Lyon, so I'd go there.")],
        False,
        ["no_calls"],
        "no lookup, no booking",
    )
    add(
        "compared_but_not_booked",
        [RATES, say("Bordeaux is cheaper: Hotel La Cour Carrée at €98.50 a night.")],
        False,
        ["missing_call", "ungrounded"],
        "the booking was never made",
    )


# --- sales.invoice_two_products: {"computed": "c1.price_usd * 10 + c2.price_usd * 5"} --------

S = "sales.invoice_two_products"
ASK_S = (
    "Acme Corp ordered 10 of WG-100 and 5 of GD-200. Look up both prices and invoice Acme Corp for the total."
)
WIDGET = {"sku": "WG-100", "name": "Widget", "price_usd": 129.95}
GADGET = {"sku": "GD-200", "name": "Gadget", "price_usd": 219.85}
INVOICE = {"invoice_id": "INV-20931", "total_usd": 2398.75, "status": "issued"}
ANSWER_S = "Invoice INV-20931 for $2,398.75 has been issued to Acme Corp."


def product(sku: str, answer: Any) -> Call:
    return c("get_product", {"sku": sku}, answer)


def invoice(amount: Any = 2398.75, customer: str = "Acme Corp", answer: Any = INVOICE) -> Call:
    return c("create_invoice", {"customer": customer, "total_usd": amount}, answer)


PRODUCTS = calls(product("WG-100", WIDGET), product("GD-200", GADGET))


def sales(reg: Registry) -> None:
    def add(name: str, steps: list[Step], success: bool, reasons: list[str], why: str, **kw: Any) -> None:
        reg.add(Case(S, name, [user(ASK_S), *steps], success, reasons, why, **kw))

    add(
        "perfect",
        [PRODUCTS, calls(invoice()), say(ANSWER_S)],
        True,
        [],
        "10 x 129.95 + 5 x 219.85 = 2,398.75",
    )
    add(
        "about_2400",
        [PRODUCTS, calls(invoice()), say("Done: invoice INV-20931 was issued for about $2,400.")],
        True,
        [],
        "'about $2,400' states 2,398.75 at the hundreds it shows",
    )
    add(
        "about_2500",
        [PRODUCTS, calls(invoice()), say("Done: Acme Corp owes about $2,500.")],
        False,
        ["ungrounded"],
        "2,500 is not 2,398.75 even at the hundreds",
    )
    add(
        "total_within_tolerance",
        [PRODUCTS, calls(invoice(2398.76)), say(ANSWER_S)],
        True,
        [],
        "one cent off is within the stated tolerance of 0.01",
    )
    add(
        "total_rounded_before_invoicing",
        [
            PRODUCTS,
            calls(invoice(2400, answer={**INVOICE, "total_usd": 2400})),
            say("Invoice INV-20931 for $2,400 is issued."),
        ],
        False,
        ["broken_flow"],
        "the invoice amount must be exact",
    )
    add(
        "made_up_total",
        [
            PRODUCTS,
            calls(invoice(2000, answer={**INVOICE, "total_usd": 2000})),
            say("Invoice INV-20931 for $2,000 is issued."),
        ],
        False,
        ["broken_flow"],
        "2,000 is not the total",
    )
    add(
        "total_as_string",
        [
            PRODUCTS,
            calls(invoice("2398.75", answer=Err("total_usd: '2398.75' is not of type 'number'"))),
            say("The invoice system refused the amount."),
        ],
        False,
        ["invalid_arguments", "ungrounded"],
        "a string where a number is needed, not corrected",
    )
    add(
        "total_as_string_retried",
        [
            PRODUCTS,
            calls(invoice("2398.75", answer=Err("total_usd: '2398.75' is not of type 'number'"))),
            calls(invoice()),
            say(ANSWER_S),
        ],
        True,
        ["invalid_arguments"],
        "corrected after the error",
    )
    add(
        "customer_qualified",
        [PRODUCTS, calls(invoice(customer="Acme Corp, Chicago")), say(ANSWER_S)],
        True,
        [],
        "'Acme Corp, Chicago' qualifies 'Acme Corp'",
    )
    add(
        "customer_renamed",
        [PRODUCTS, calls(invoice(customer="Acme Corporation")), say(ANSWER_S)],
        False,
        ["missing_call"],
        "'Acme Corporation' is not 'Acme Corp' by the words; a judge may disagree",
    )
    add(
        "invoiced_after_one_price",
        [calls(product("WG-100", WIDGET)), calls(invoice(2398.75), product("GD-200", GADGET)), say(ANSWER_S)],
        False,
        ["wrong_order"],
        "invoiced in the message that asked for the second price: the total was a guess",
    )
    add(
        "plain_text_products",
        [
            calls(
                product("WG-100", Text("WG-100 Widget: 129.95 USD")),
                product("GD-200", Text("GD-200 Gadget: 219.85 USD")),
            ),
            calls(invoice()),
            say(ANSWER_S),
        ],
        True,
        ["unverified_flow"],
        "the total cannot be computed from plain text: unverified, not failed",
    )
    add(
        "clarifying_question_first",
        [
            say("Sure. Should I invoice Acme Corp at list prices?"),
            user("Yes, list prices."),
            PRODUCTS,
            calls(invoice()),
            say(ANSWER_S),
        ],
        True,
        [],
        "a question before the calls",
    )


# --- finance.portfolio_log: {"computed_from": [...]} stays unverified ---------------------------

P = "finance.portfolio_log"
ASK_P = "I hold 10 NVDA and 20 AMD shares. Get both prices and log my portfolio's value with the note 'weekly check'."
NVDA = {"ticker": "NVDA", "price": 131.4}
AMD = {"ticker": "AMD", "price": 162.2}
PAIR = calls(c("get_share_price", {"ticker": "NVDA"}, NVDA), c("get_share_price", {"ticker": "AMD"}, AMD))


def log(value: float) -> Call:
    return c("log_portfolio_value", {"value_usd": value, "note": "weekly check"}, {"entry_id": "PL-118"})


def portfolio(reg: Registry) -> None:
    def add(name: str, steps: list[Step], success: bool, reasons: list[str], why: str, **kw: Any) -> None:
        reg.add(Case(P, name, [user(ASK_P), *steps], success, reasons, why, **kw))

    add(
        "right_value",
        [PAIR, calls(log(4558.0)), say("Logged $4,558.00 as entry PL-118.")],
        True,
        ["unverified_flow"],
        "10 x 131.4 + 20 x 162.2 = 4,558, but computed_from cannot check it",
    )
    add(
        "made_up_value",
        [PAIR, calls(log(5000.0)), say("Logged $5,000 as entry PL-118.")],
        False,
        ["unverified_flow"],
        "5,000 is made up; computed_from cannot tell, a judge can",
        deterministic=True,
    )
    add(
        "logged_with_the_prices",
        [
            calls(
                c("get_share_price", {"ticker": "NVDA"}, NVDA),
                c("get_share_price", {"ticker": "AMD"}, AMD),
                log(4558.0),
            ),
            say("Logged entry PL-118."),
        ],
        False,
        ["wrong_order", "broken_flow", "unverified_flow"],
        "the value was logged before the prices it derives from came back",
    )


def register(reg: Registry) -> None:
    finance(reg)
    basket(reg)
    cheaper_city(reg)
    sales(reg)
    portfolio(reg)
