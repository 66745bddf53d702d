"""The rules-based parts of synthesis: text rules, function building, plan derivation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from button.data_model.task import Task
from button.validation.task_rules import check_task
from simulator.synthesis.atomic_verify import atomic_rules
from simulator.synthesis.compose_verify import instruction_problem
from simulator.synthesis.functions import FunctionBuilder
from simulator.synthesis.plan import build_task, derive_plan
from simulator.synthesis.rows import InstructedComposition, Subtask, SubtaskCall, WithFunctions
from simulator.synthesis.stage_context import Dropped, DropReason, prompt_messages
from simulator.synthesis.stage_store import Record, StageLog
from simulator.synthesis.text_rules import (
    NearDuplicates,
    TextProblem,
    can_hold_two_requests,
    has_concrete_detail,
    repeats_earlier,
    task_text_problem,
)


def test_text_rules() -> None:
    assert task_text_problem("Find the cheapest flight from ORD to DEN on 2026-12-08.") is None
    names = DropReason.NAMES_TOOL
    assert task_text_problem("Use search_flights to find a flight to Denver.") == TextProblem(
        names, "'search_flights'"
    )
    assert task_text_problem("Call getRent for the flat on Calle Mayor.") == TextProblem(names, "'getRent'")
    assert task_text_problem("Ask the weather API about Paris tomorrow.") == TextProblem(names, "'API'")
    assert task_text_problem("Find a tool-free way to post 3 parcels to Montreal.") is None
    assert task_text_problem("List the open bugs in the payments-api repository on GitHub.") is None
    assert task_text_problem("Buy an iPhone 15 at the Apple store in Berlin.") is None
    assert task_text_problem("Check rent.") == TextProblem(DropReason.TOO_SHORT, "11 chars, need 20")
    assert task_text_problem(", &#34;&#34;, &#34;.&#34;, &#34;x&#34;") == TextProblem(DropReason.MARKUP, "")
    assert task_text_problem("Rent 12, 2026-12-08, 25 kg.") == TextProblem(
        DropReason.TOO_FEW_WORDS, "2, need 4"
    )
    assert not has_concrete_detail("find some good flour for the bakery please")
    assert has_concrete_detail("find flour in Leeds")
    seen = NearDuplicates()
    assert seen.check("a", "Find the cheapest flight from ORD to DEN on 2026-12-08.") is None
    assert seen.check("b", "Find the cheapest flight from ORD to DEN on 2026-12-09.") == "a"
    assert seen.check("c", "Book a table for two at Nopa in San Francisco at 7 pm.") is None


def test_atomic_rules_in_order() -> None:
    check = atomic_rules()
    scenario = {"scenario": "A student in Madrid compares two apartments."}
    first = {**scenario, "text": "Get the monthly rent of the apartment at Calle Mayor 12, Madrid."}
    assert check("a0", first) is None
    assert (check("a1", first) or Dropped(DropReason.TASK_RULE)).reason is DropReason.NEAR_DUPLICATE
    copied = {**scenario, "text": "Find the cheapest nonstop flight from Chicago to Denver on 2026-12-31."}
    assert (check("a2", copied) or Dropped(DropReason.TASK_RULE)).reason is DropReason.OFF_SCENARIO
    short = check("a3", {**scenario, "text": "Rent in Madrid?"})
    assert short is not None and (short.reason, short.detail) == (DropReason.TOO_SHORT, "15 chars, need 20")


@pytest.mark.parametrize(
    ("scenario", "text", "on_scenario"),
    [
        # another form of a scenario's word is the same word (drops of a synthesis run, 2026-12)
        (
            "A retired teacher in Lyon wants to ship three parcels of books to his grandchildren in Montreal.",
            "Check if there are any express shipping options available in Paris by 2026-10-10.",
            True,
        ),
        (
            "A software team lead in Bangalore is triaging open bugs before a release on Friday.",
            "Convert the bug tracking system's date format to year-month-day (2026-07-31).",
            True,
        ),
        (
            "A runner in Boston is preparing for the city marathon and planning meals around her training.",
            "Convert $87.95 worth of meal prep into grams of protein and carbohydrates.",
            True,
        ),
        # nothing of the scenario in it
        (
            "A runner in Boston is preparing for the city marathon and planning meals around her training.",
            "Order 10 boxes of chocolate chips at the local grocery store on 2026-04-30.",
            False,
        ),
        (
            "A retired teacher in Lyon wants to ship three parcels of books to his grandchildren in Montreal.",
            "Find the cheapest nonstop flight from Chicago to Denver on 2026-12-31.",
            False,
        ),
    ],
)
def test_a_task_is_on_its_scenario_when_they_share_a_word_in_any_form(
    scenario: str, text: str, on_scenario: bool
) -> None:
    dropped = atomic_rules()("a0", {"scenario": scenario, "text": text})
    assert (dropped is None or dropped.reason is not DropReason.OFF_SCENARIO) is on_scenario, dropped


async def test_drop_reasons_are_kept_as_codes_and_an_unknown_one_is_done_again(tmp_path: Path) -> None:
    log = StageLog(tmp_path / "atomic.jsonl")
    await log.append(Record("kept", data={"text": "x"}))
    await log.append(Record("short", reason=DropReason.TOO_SHORT, detail="15 chars, need 20"))
    log.close()
    with (tmp_path / "atomic.jsonl").open("a") as handle:  # a code this version does not have
        handle.write(
            json.dumps({"key": "later", "reason": "rule: from a later version", "detail": ""}) + "\n"
        )
    lines = [json.loads(line) for line in (tmp_path / "atomic.jsonl").read_text().splitlines()]
    assert [line["reason"] for line in lines] == [None, "rule: too short", "rule: from a later version"]
    again = StageLog(tmp_path / "atomic.jsonl")
    assert {key: record.reason for key, record in again.done.items()} == {
        "kept": None,
        "short": DropReason.TOO_SHORT,
    }
    again.close()


def test_prompts_have_system_and_user_messages() -> None:
    messages = prompt_messages("compose_verify", scenario="A trip to Oslo.", subtasks="s1: Find a flight.")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "A trip to Oslo." in messages[1]["content"] and "$" not in messages[1]["content"]


def test_example_turns_come_before_the_request_and_are_valid_answers() -> None:
    """Examples are earlier turns (an example inside the request was copied by a small model)."""
    for name, values in [
        ("atomic", {"scenario": "A trip to Oslo.", "count": "2"}),
        ("compose_seq", {"scenario": "A trip to Oslo.", "task": "Find a flight to Oslo."}),
        ("compose_pts", {"scenario": "A trip to Oslo.", "task": "Find a flight to Oslo."}),
        ("atomic_verify", {"scenario": "A trip to Oslo.", "task": "Find a flight to Oslo."}),
        ("instruction", {"scenario": "A trip to Oslo.", "subtasks": "s1: Find a flight to Oslo."}),
    ]:
        messages = prompt_messages(name, **values)
        roles = [m["role"] for m in messages]
        assert roles[0] == "system" and roles[-1] == "user" and "assistant" in roles
        assert "Oslo" in messages[-1]["content"] and "Oslo" not in " ".join(
            m["content"] for m in messages[:-1]
        )
        for message in messages:
            assert "$" not in message["content"]
            if message["role"] == "assistant":
                assert isinstance(json.loads(message["content"]), dict)


def param(name: str, kind: str, source: str = "task", value: str = "") -> dict[str, str]:
    return {"name": name, "type": kind, "description": f"the {name}", "source": source, "value": value}


def two_steps(first: str, later: str, scenario: str = "A consultant plans a trip.") -> InstructedComposition:
    """A sequential composition whose second step uses the first's result."""
    return {
        "scenario_id": "sc0",
        "scenario": scenario,
        "strategy": "sequential",
        "instruction": f"{first} {later}",
        "subtasks": [
            {"id": "s1", "instruction": first, "depends_on": []},
            {"id": "s2", "instruction": later, "depends_on": ["s1"]},
        ],
    }


def form(name: str, params: list[dict[str, str]], returns: list[str], **extra: Any) -> dict[str, Any]:
    fields = [{"name": n, "type": "number", "description": f"the {n}"} for n in returns]
    return {
        "name": name,
        "description": "A reusable lookup.",
        "parameters": params,
        "returns": fields,
        **extra,
    }


PTS: InstructedComposition = {
    "scenario_id": "sc0",
    "scenario": "A student compares two flats in Madrid.",
    "strategy": "parallel-then-sequential",
    "instruction": "Get the rent of Calle Mayor 12 and of Calle de Alcala 40, then tell me which is cheaper.",
    "subtasks": [
        {"id": "s1", "instruction": "Get the rent of Calle Mayor 12.", "depends_on": []},
        {"id": "s2", "instruction": "Get the rent of Calle de Alcala 40.", "depends_on": []},
        {"id": "s3", "instruction": "Tell me which flat is cheaper.", "depends_on": ["s1", "s2"]},
    ],
}


def test_toolless_final_step_gives_one_parallel_group() -> None:
    builder = FunctionBuilder(PTS)
    subtasks = PTS["subtasks"]
    builder.add(subtasks[0], form("get_rent", [param("address", "string", value="Calle Mayor 12")], ["rent"]))
    builder.add(
        subtasks[1], form("get_rent", [param("address", "string", value="Calle de Alcala 40")], ["rent"])
    )
    builder.add(subtasks[2], form("compare", [param("a", "number", "s1.rent")], ["x"], needs_tool=False))
    assert len(builder.functions) == 1 and set(builder.calls) == {"s1", "s2"}
    task = Task.model_validate(
        build_task("sc0.a0.pts", WithFunctions(**PTS, functions=builder.functions, calls=builder.calls))
    )
    assert check_task(task) == []
    assert [[c.id for c in group] for group in task.plan or []] == [["c1", "c2"]]
    assert task.subtasks[2].function is None
    # two calls, three subtasks: the explicit links, not positions, pair each call with its step
    for address, step in (("Calle Mayor 12", "s1"), ("Calle de Alcala 40", "s2")):
        found = task.subtask_for("get_rent", {"address": address})
        assert found is not None and found.id == step


def test_a_name_word_the_description_uses_as_a_common_noun_is_generic() -> None:
    """``request_hotel_quote`` for "Four Seasons Hotel": the 1.5B model's function, dropped as named
    after its value. A careful reader sees a function for any hotel: its description says so."""
    quote_step = "Get a quote for one night at the Four Seasons Hotel in Denver."
    item = two_steps(quote_step, "Book that stay.", PTS["scenario"])
    builder = FunctionBuilder(item)
    hotel = [
        param("hotel_name", "string", value="Four Seasons Hotel"),
        param("city", "string", value="Denver"),
    ]
    quote = form("request_hotel_quote", hotel, ["price"])
    builder.add(item["subtasks"][0], {**quote, "description": "Get a price quote for a hotel stay."})
    assert builder.calls["s1"]["function"] == "request_hotel_quote"
    seasons = form(
        "four_seasons_quote", [param("hotel_name", "string", value="Four Seasons Hotel")], ["price"]
    )
    with pytest.raises(Dropped, match="function not generic"):  # capitalized: the value's name
        builder.add(item["subtasks"][1], {**seasons, "description": "Get a quote from the Four Seasons."})


def test_function_rules_drop() -> None:
    builder = FunctionBuilder(PTS)
    subtasks = PTS["subtasks"]
    with pytest.raises(Dropped, match="argument not in task"):
        builder.add(subtasks[0], form("get_rent", [param("address", "string", value="Gran Via 1")], ["rent"]))
    with pytest.raises(Dropped, match="function not generic"):
        builder.add(
            subtasks[0], form("rent_mayor", [param("street", "string", value="Calle Mayor")], ["rent"])
        )
    builder.add(subtasks[0], form("get_rent", [param("address", "string", value="Calle Mayor 12")], ["rent"]))
    builder.add(
        subtasks[1], form("get_rent", [param("address", "string", value="Calle de Alcala 40")], ["rent"])
    )
    # s3 depends on s1 and s2 but only reads s1's result
    with pytest.raises(Dropped, match="no data flow") as refused:
        builder.add(subtasks[2], form("pick", [param("a", "number", "s1.rent")], ["x"], needs_tool=True))
    assert refused.value.detail == "s3 uses no result of s2 (its sources: s2.rent)"


# A composed step and a step before it, with a careful reader's verdict: does the later step
# only ask again what the earlier one asks (maybe with more words), instead of doing something
# new with its result? The first four were composed by the 1.5B model, as were the last two of
# each list. A step that puts another detail in place of one of the earlier step's (apartment B
# at number 23 for apartment A at number 22) is about another thing; one that only adds details,
# or leaves some out, asks again.
REPEATS = [
    (
        "Convert 5,000 US dollars to euros.",
        "Convert 5,000 US dollars to euros using the current exchange rate.",
    ),
    (
        "Calculate the monthly cost of both apartments for a period of 12 months starting from October 2025.",
        "Calculate the monthly cost of each apartment for a 12-month period starting from October 2025.",
    ),
    (
        "Check the weather forecast for Algonquin Park on Saturday, June 18.",
        "Check the weather forecast for Algonquin Park on Saturday, June 18 and tell me if it will rain.",
    ),
    (
        "Find the cheapest nonstop flight from Chicago to Denver on 2026-12-08.",
        "Find the cheapest nonstop flight from Chicago to Denver on 2026-12-08 and book it.",
    ),
    (  # the same conversion, with details the scenario gives added
        "Convert $1,200 USD into local currency for the trip.",
        "Exchange $1,200 USD into local currency for the trip to Denver in December.",
    ),
    (  # part of the earlier request
        "Check the availability of a two-day flight from Chicago to Denver on December 15th and 16th.",
        "Check the availability of a one-day flight from Chicago to Denver on December 15th.",
    ),
]
DOES_SOMETHING_NEW = [
    (
        "Get a quote for moving a sofa, a bed and six boxes from Rua das Flores 12 to Avenida da Boavista 300.",
        "Book the removal with that quote's number for 09:00 on 2026-10-03 and pay the quoted price by card.",
    ),
    (
        "Find the supplier with the lowest price for 400 glass jars of 250 ml delivered to Oaxaca.",
        "Order 400 glass jars of 250 ml from that supplier for delivery to Calle Reforma 8, Oaxaca, by 2026-05-14.",
    ),
    (
        "Find the cheapest nonstop flight from Chicago to Denver on 2026-12-08.",
        "Book a hotel near that airport.",
    ),
    (  # a parallel step: the same kind of request about another place
        "Get the monthly rent of the apartment at Calle Mayor 12, Madrid.",
        "Get the monthly rent of the apartment at Calle de Alcala 40, Madrid.",
    ),
    (  # the 1.5B model's parallel steps: the same request about another apartment, another supplier
        "Check the monthly rent and utilities for Apartment A, located at Calle Complutense 22, Madrid, in 2026-04.",
        "Check the monthly rent and utilities for Apartment B, located at Calle Complutense 23, Madrid, in 2026-04.",
    ),
    (
        "Order 10 kg of flour from supplier A by 2026-04-15.",
        "Check the delivery dates for 10 kg of flour from supplier B by 2026-04-15.",
    ),
    (
        "Convert 5,000 US dollars to euros.",
        "Send that amount in euros to account DE89 3704 0044 0532 0130 00.",
    ),
]


# Whether a request's words can hold a second request, with a careful reader's verdict. The
# 1.5B verifier split single requests into their steps ("calculate the shipping cost; get the
# shipping rates"): its count of calls stands only where the words join two requests.
CAN_HOLD_TWO = [
    "Get the number of bedrooms and bathrooms in Apartment B, and calculate the total monthly rent.",
    "Compare the cost of a parking space in Apartment B to one outside the building.",
    "Book the Hotel Teatro in Denver for 2026-12-08 and then email the confirmation to my assistant.",
    "Look up the forecast for Oslo on 2026-12-08; book a ski lesson if it is sunny.",
    "Convert 4,200 US dollars to euros, then send the invoice to billing@acme.com.",
]
ONE_REQUEST = [  # drops of a synthesis run, 2026-12
    "Calculate the shipping cost for 3 parcels of books from Rue des Feuilles 7, Lyon to Boulevard de "
    "la Gaule 159, Montreal on 2026-10-10.",
    "Convert the total amount from USD to EUR, rounding to two decimal places.",
    "Order a quote for an invoice in USD to the client, including a 10% discount for international customers.",
]


@pytest.mark.parametrize("text", CAN_HOLD_TWO)
def test_words_that_join_two_requests(text: str) -> None:
    assert can_hold_two_requests(text)


@pytest.mark.parametrize("text", ONE_REQUEST)
def test_words_of_one_request(text: str) -> None:
    assert not can_hold_two_requests(text)


@pytest.mark.parametrize(("earlier", "later"), REPEATS)
def test_a_step_that_asks_the_earlier_one_again_repeats_it(earlier: str, later: str) -> None:
    assert repeats_earlier(earlier, later)


@pytest.mark.parametrize(("earlier", "later"), DOES_SOMETHING_NEW)
def test_a_step_that_does_something_new_does_not_repeat(earlier: str, later: str) -> None:
    assert not repeats_earlier(earlier, later)


BUGS: list[Subtask] = [
    {
        "id": "s1",
        "instruction": "Review the 20 most recent open bugs of repository acme/app.",
        "depends_on": [],
    },
    {"id": "s2", "instruction": "Assign the 10 most severe of them to developers.", "depends_on": ["s1"]},
]
# Instructions for BUGS with a careful reader's verdict: a user does not speak in the step list's
# ids or copy its notes (the 1.5B model wrote both kinds, for similar steps).
INSTRUCTION_NAMES_STEPS = [
    "In s1, review the 20 most recent open bugs of acme/app; in s2, assign the 10 most severe to developers.",
    "Review the 20 most recent open bugs of acme/app and assign the 10 most severe of them to "
    "developers (uses the result of s1).",
]
INSTRUCTION_ASKS_FOR_STEPS = [  # written by the 1.5B model: a list's heading, or a request for a plan
    "To triage the open bugs of acme/app, follow these steps:",
    "Please list all the steps required to review the 20 most recent open bugs of acme/app and assign "
    "the 10 most severe to developers.",
    "Please provide the detailed steps to review the 20 most recent open bugs of acme/app and assign the "
    "10 most severe of them.",
    "Review the 20 most recent open bugs of acme/app. Please provide the details for each step: reviewing "
    "them and assigning the 10 most severe.",
]
INSTRUCTION_FINE = [
    "Review the 20 most recent open bugs of acme/app, then assign the 10 most severe to developers.",
    "Look at our 20 newest open bugs in acme/app (the S1 release ones too) and assign the 10 most severe.",
    "Review the 20 most recent open bugs of acme/app and take the next steps: assign the 10 most severe.",
]

APARTMENTS: list[Subtask] = [
    {"id": "s1", "instruction": "Get the monthly rent of the apartment at Calle Mayor 12, Madrid.", "depends_on": []},
    {"id": "s2", "instruction": "Get the monthly rent of the apartment at Calle de Alcala 40, Madrid.", "depends_on": []},
    {"id": "s3", "instruction": "Book a viewing of the cheaper of the two apartments on 2026-12-01.",
     "depends_on": ["s1", "s2"]},
]  # fmt: skip
# An instruction leaves a step out when it says nothing that is that step's own: a word the
# steps share ("apartment") does not speak of the viewing.
MISSES_A_STEP = [
    (BUGS, "Review the 20 most recent open bugs of repository acme/app."),
    (
        APARTMENTS,
        "Get the monthly rent of the apartments at Calle Mayor 12 and Calle de Alcala 40 in Madrid.",
    ),
    (
        APARTMENTS,
        "Book a viewing of the cheaper of the apartments at Calle Mayor 12 and Calle Mayor 14 on 2026-12-01.",
    ),
    # a number a step states, left out: the user never gives it (the 1.5B model's, 2026-12)
    (
        [
            {"id": "s1", "instruction": "Search for 5 open bugs from the product backlog.", "depends_on": []},
            {
                "id": "s2",
                "instruction": "Search for 10 open bugs from the project backlog.",
                "depends_on": [],
            },
        ],
        "I'm searching for open bugs in the product backlog and project backlog, the top 5 of each.",
    ),
    (
        APARTMENTS,
        "Compare the rents at Calle Mayor 12 and Calle de Alcala 40, and book a viewing of the cheaper one.",
    ),
]
HOLDS_EVERY_STEP = [
    (APARTMENTS, "Compare the rents of the flats at Calle Mayor 12 and Calle de Alcala 40 in Madrid, then "
     "book a viewing of the cheaper one on 2026-12-01."),
    (BUGS, "Review our 20 latest open bugs in acme/app and give the 10 worst to developers."),
]  # fmt: skip


@pytest.mark.parametrize(("subtasks", "instruction"), MISSES_A_STEP)
def test_an_instruction_that_leaves_a_step_out_is_dropped(subtasks: list[Subtask], instruction: str) -> None:
    problem = instruction_problem(instruction, subtasks)
    assert problem is not None and problem.reason is DropReason.INSTRUCTION_MISSES_SUBTASK


@pytest.mark.parametrize(("subtasks", "instruction"), HOLDS_EVERY_STEP)
def test_an_instruction_that_holds_every_step_is_kept(subtasks: list[Subtask], instruction: str) -> None:
    assert instruction_problem(instruction, subtasks) is None


@pytest.mark.parametrize("instruction", INSTRUCTION_NAMES_STEPS)
def test_an_instruction_in_the_step_lists_words_is_dropped(instruction: str) -> None:
    problem = instruction_problem(instruction, BUGS)
    assert problem is not None and problem.reason is DropReason.INSTRUCTION_NAMES_STEP


@pytest.mark.parametrize("instruction", INSTRUCTION_ASKS_FOR_STEPS)
def test_an_instruction_that_asks_for_steps_instead_of_the_task_is_dropped(instruction: str) -> None:
    problem = instruction_problem(instruction, BUGS)
    assert problem is not None and problem.reason is DropReason.INSTRUCTION_ASKS_FOR_STEPS


@pytest.mark.parametrize("instruction", INSTRUCTION_FINE)
def test_an_instruction_in_a_users_words_is_kept(instruction: str) -> None:
    assert instruction_problem(instruction, BUGS) is None


# Forms the 1.5B model wrote, with a careful reader's verdict: a parameter or result field named
# after a step or the form's own fields says nothing of what it holds.
BADLY_NAMED = [
    form("get_rent", [param("s1", "string", value="Calle Mayor 12")], ["rent"]),
    form("get_rent", [param("s1_address", "string", value="Calle Mayor 12")], ["rent"]),
    form("get_rent", [param("address", "string", value="Calle Mayor 12")], ["s2"]),
    form("get_rent", [param("address", "string", value="Calle Mayor 12")], ["rent", "needs_tool"]),
    # a step at the end: "date_s1", "date_s2" for the dates of two forecasts (2026-12-01)
    form("get_rent", [param("address_s1", "string", value="Calle Mayor 12")], ["rent"]),
    form("get_rent", [param("address", "string", value="Calle Mayor 12")], ["rent_s2_total"]),
]


@pytest.mark.parametrize("bad", BADLY_NAMED)
def test_a_field_named_after_a_step_or_the_form_is_dropped(bad: dict[str, Any]) -> None:
    with pytest.raises(Dropped, match="named after a step"):
        FunctionBuilder(PTS).add(PTS["subtasks"][0], bad)


def test_a_literal_the_user_never_says_is_dropped() -> None:
    """The user simulator is given the instruction (and the scenario), not the steps: a value
    only a step states is one no assistant could know. The 1.5B model's instruction for a
    forecast on "Saturday, June 18" was "To plan a weekend of hiking in Algonquin Park and
    watch the weather, follow these steps:"."""
    item: InstructedComposition = {
        **PTS,
        "instruction": "Tell me which of my two flats in Madrid is cheaper.",
    }
    with pytest.raises(Dropped, match="argument not in task"):
        FunctionBuilder(item).add(
            PTS["subtasks"][0],
            form("get_rent", [param("address", "string", value="Calle Mayor 12")], ["rent"]),
        )
    in_scenario: InstructedComposition = {
        **item,
        "scenario": "A student compares Calle Mayor 12 with another flat.",
    }
    FunctionBuilder(in_scenario).add(
        PTS["subtasks"][0], form("get_rent", [param("address", "string", value="Calle Mayor 12")], ["rent"])
    )


def test_a_first_step_called_with_no_argument_is_dropped() -> None:
    """The 1.5B model left every value of ``search_hotels`` empty: the call would lose the
    details its step states."""
    empty = form("search_hotels", [param("city", "string"), param("check_in", "string")], ["hotel_id"])
    with pytest.raises(Dropped, match="no argument") as refused:
        FunctionBuilder(PTS).add(PTS["subtasks"][0], empty)
    # the next try is told which parameters were left empty (retry_advice.py)
    assert refused.value.detail == "search_hotels: city, check_in had no value"


def test_a_field_named_for_what_it_holds_is_kept() -> None:
    builder = FunctionBuilder(PTS)
    builder.add(
        PTS["subtasks"][0], form("get_rent", [param("section_1", "string", value="Calle Mayor 12")], ["rent"])
    )
    for returns in (["s_rent"], ["rent", "sizes"], ["rent_2026"]):
        address = param("address", "string", value="Calle Mayor 12")
        builder.add(PTS["subtasks"][0], form("get_rent", [address], returns))


def test_the_function_prompts_examples_pass_the_rules() -> None:
    messages = prompt_messages(
        "function", scenario="x", instruction="x", task="x", upstream="x", sources="task"
    )
    turns = [
        (messages[i]["content"], json.loads(messages[i + 1]["content"]))
        for i in range(1, len(messages) - 1, 2)
    ]
    steps: list[Subtask] = [
        {"id": "s1", "instruction": turns[0][0].split("Step: ")[1].split("\n")[0], "depends_on": []},
        {"id": "s2", "instruction": turns[1][0].split("Step: ")[1].split("\n")[0], "depends_on": ["s1"]},
    ]
    item: InstructedComposition = {
        **PTS,
        "subtasks": steps,
        "instruction": turns[0][0].split("Request: ")[1].split("\n")[0],
    }
    builder = FunctionBuilder(item)
    for step, (_, answer) in zip(steps, turns, strict=True):
        builder.add(step, answer)
    assert builder.calls["s2"]["arguments"]["quote_id"] == {"from": "s1.quote_id"}


def test_plan_groups_follow_dependency_depth() -> None:
    subtasks: list[Subtask] = [
        {"id": "s1", "instruction": "one", "depends_on": []},
        {"id": "s2", "instruction": "two", "depends_on": []},
        {"id": "s3", "instruction": "three", "depends_on": ["s1", "s2"]},
    ]
    calls: dict[str, SubtaskCall] = {
        "s1": {"function": "f", "arguments": {"x": 1}},
        "s2": {"function": "f", "arguments": {"x": 2}},
        "s3": {"function": "g", "arguments": {"a": {"from": "s1.y"}, "b": {"from": "s2.y"}}},
    }
    assert derive_plan(subtasks, calls) == [
        [
            {"id": "c1", "name": "f", "arguments": {"x": 1}, "subtask": "s1"},
            {"id": "c2", "name": "f", "arguments": {"x": 2}, "subtask": "s2"},
        ],
        [
            {
                "id": "c3",
                "name": "g",
                "arguments": {"a": {"from": "c1.y"}, "b": {"from": "c2.y"}},
                "subtask": "s3",
            }
        ],
    ]


def test_one_parameter_fed_by_every_parallel_result_becomes_from_all() -> None:
    builder = FunctionBuilder(PTS)
    subtasks = PTS["subtasks"]
    builder.add(subtasks[0], form("get_rent", [param("address", "string", value="Calle Mayor 12")], ["rent"]))
    builder.add(
        subtasks[1], form("get_rent", [param("address", "string", value="Calle de Alcala 40")], ["rent"])
    )
    assert "all.rent" in builder.sources(subtasks[2])
    builder.add(
        subtasks[2], form("cheapest", [param("rents", "number", "all.rent")], ["lowest"], needs_tool=True)
    )
    assert builder.calls["s3"]["arguments"] == {"rents": {"from_all": ["s1.rent", "s2.rent"]}}
    task = build_task("sc0.a0.pts", WithFunctions(**PTS, functions=builder.functions, calls=builder.calls))
    (final,) = task["plan"][-1]
    assert final["arguments"] == {"rents": {"from_all": ["c1.rent", "c2.rent"]}}
    (spec,) = [f for f in task["functions"] if f["function"]["name"] == "cheapest"]
    assert spec["function"]["parameters"]["properties"]["rents"]["type"] == "array"
