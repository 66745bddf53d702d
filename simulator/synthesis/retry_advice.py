"""What a row's next try is told about why its last answer was refused.

A rule refused what the model wrote; asked again with the same prompt and a new
seed, the 1.5B model wrote the same thing (``2026-06-18`` for "Saturday, June
18", three tries of three). Told what was wrong, it can write something else.
The note goes at the end of the try's writing prompts; a model's verdict (a
check) is never asked again, so it never sees one.
"""

from __future__ import annotations

from simulator.synthesis.stage_context import Dropped, DropReason

MAX_DETAIL_CHARS = 200

# ``{detail}`` is the refusal's detail: the value, name or step it was about
ADVICE: dict[DropReason, str] = {
    DropReason.TOO_SHORT: "it was too short: write a whole request with its details",
    DropReason.TOO_LONG: "it was too long: write one or two sentences",
    DropReason.MARKUP: "it had markup or code characters ({detail}): write plain sentences",
    DropReason.TOO_FEW_WORDS: "it had too few words: write a whole sentence",
    DropReason.NAMES_TOOL: "it named a tool or an identifier ({detail}): say what the person wants in plain words",
    DropReason.NO_DETAIL: "it had no concrete detail: state the names, places, dates or amounts it needs",
    DropReason.OFF_SCENARIO: "it was not about the scenario: keep to its person, places and things",
    DropReason.REPEATS_SUBTASK: (
        "a step repeated an earlier one ({detail}): write a step that does something different, "
        "using what the earlier step found"
    ),
    DropReason.INSTRUCTION_NAMES_TOOL: "it named a tool ({detail}): say what the user wants in plain words",
    DropReason.INSTRUCTION_NAMES_STEP: (
        "it mentioned the step list ({detail}): write what the user would say, with no step ids or notes"
    ),
    DropReason.INSTRUCTION_ASKS_FOR_STEPS: (
        "it asked for a plan or a list of steps: ask for the task itself to be done"
    ),
    DropReason.INSTRUCTION_MISSES_SUBTASK: "it {detail}: ask for what every step does, with its details",
    DropReason.OFF_CONVERSATION: "it was not about the conversation: keep to what the user said",
    DropReason.NAME_NOT_IN_CONVERSATION: "it named {detail}, which the conversation does not: keep to its names",
    DropReason.ARGUMENT_NOT_BOOLEAN: "a yes-or-no parameter had the value {detail}: write true or false",
    DropReason.ARGUMENT_NOT_INTEGER: "a whole-number parameter had the value {detail}: write a whole number",
    DropReason.ARGUMENT_NOT_IN_TASK: (
        "the value {detail} is not written in the task: give each value as the task writes it "
        "(add no year, date or number it does not give), or take it from an earlier step's result"
    ),
    DropReason.FUNCTION_NOT_GENERIC: (
        "the function's name holds a value ({detail}): name it for what it does with any value, "
        "and pass the value as a parameter"
    ),
    DropReason.NAMED_AFTER_STEP: "a field was named after a step ({detail}): name each field for what it holds",
    DropReason.NO_ARGUMENT: (
        "the function took no value ({detail}): give it parameters for the places, dates, names "
        "or amounts the step states, each with its value, and leave out a parameter the step gives "
        "no value for"
    ),
    DropReason.NO_DATA_FLOW: "{detail}: give a parameter one of those sources in place of a value",
    DropReason.FED_ANOTHER_KIND: (
        "{detail}, which holds another kind of value: feed it a result that holds what its name "
        "says, or give it the value the task states"
    ),
    DropReason.NUMBER_LEFT_OUT: "{detail}: give the function a parameter with that number as its value",
    DropReason.NAME_LEFT_OUT: "{detail}: give the function a parameter with that name as its value",
    DropReason.INVALID_SCHEMA: "the function was not valid ({detail})",
    DropReason.FEWER_THAN_TWO_CALLS: (
        "only {detail} needed a tool: every step that looks something up or acts needs its function"
    ),
    DropReason.MODEL_OUTPUT_INVALID: "the answer did not fit the form ({detail}): fill in every field as asked",
}


def retry_note(refused: Dropped) -> str:
    """The sentence appended to a try's writing prompts after ``refused``."""
    detail = refused.detail[:MAX_DETAIL_CHARS] or "no detail"
    advice = ADVICE.get(refused.reason, f"{refused.reason} ({{detail}})").format(detail=detail)
    return f"An earlier answer to this was refused: {advice}. Write a new answer that avoids this."
