"""The embedded serving path as any OpenAI client sees it: tool results reach the model, tool calls
come back as ``tool_calls``, text as text, and what agent frameworks send is taken."""

from __future__ import annotations

import json
import re
import secrets

import openai
import pytest
from llama_cpp import Llama
from openai.types.chat import (
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageParam,
    ChatCompletionToolChoiceOptionParam,
)

from button.embedded.catalog import embedded_model
from button.embedded.chat_template import render_prompt
from button.embedded.model_files import model_file
from button.validation.taskfile import load_tasks
from tests.conftest import QUALITY_MODEL, REPO, TASKS_FILE, TINY_MODEL

pytestmark = pytest.mark.model

BOOKING_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_booking",
        "description": "Look up a booking by its id; returns its confirmation code.",
        "parameters": {
            "type": "object",
            "properties": {"booking_id": {"type": "string", "pattern": "^B-\\d+$"}},
            "required": ["booking_id"],
        },
    },
}


def booking_conversation(code: str) -> list[ChatCompletionMessageParam]:
    """A user question, the assistant's call (content null, as OpenAI clients send it), the result."""
    return [
        {"role": "system", "content": "When a function result is available, answer the user's question in "
         "plain text using that result; do not call the same function again."},
        {"role": "user", "content": "What is the confirmation code of booking B-7? Tell me the code."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_booking", "arguments": '{"booking_id": "B-7"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1",
         "content": [{"type": "text", "text": json.dumps({"booking_id": "B-7", "confirmation_code": code})}]},
    ]  # fmt: skip


def chat_template(name: str) -> tuple[str, str, str]:
    """The model's own chat template from its GGUF file (vocabulary only: nothing is computed)."""
    llama = Llama(model_path=str(model_file(embedded_model(name))), vocab_only=True, verbose=False)
    bos = llama.detokenize([llama.token_bos()], special=True).decode() if llama.token_bos() >= 0 else ""
    eos = llama.detokenize([llama.token_eos()], special=True).decode()
    return llama.metadata["tokenizer.chat_template"], bos, eos


@pytest.mark.parametrize("name", [TINY_MODEL, QUALITY_MODEL])
def test_the_rendered_prompt_holds_the_tool_result_and_the_tools(name: str) -> None:
    template, bos, eos = chat_template(name)
    code = secrets.token_hex(6).upper()
    messages = [dict(message) for message in booking_conversation(code)]
    prompt = render_prompt(template, messages, [dict(BOOKING_TOOL)], bos_token=bos, eos_token=eos)
    assert code in prompt  # the result reaches the model
    assert "Look up a booking by its id" in prompt  # the tool and its description are listed
    assert '{"booking_id": "B-7"}' in prompt  # the earlier call, written once, quotes unescaped
    assert "&#34;" not in prompt and "&quot;" not in prompt
    assert prompt.rstrip().endswith("assistant")  # the reply starts next


async def test_a_tool_result_is_in_the_tiny_models_prompt(embedded_base_url: str) -> None:
    async with openai.AsyncOpenAI(base_url=embedded_base_url, api_key="none") as client:
        tokens = []
        for code in ("X", "X" * 200):
            response = await client.chat.completions.create(
                model=TINY_MODEL,
                messages=booking_conversation(code),
                tools=[BOOKING_TOOL],
                max_tokens=1,
            )
            assert response.usage is not None
            tokens.append(response.usage.prompt_tokens)
        assert tokens[1] - tokens[0] >= 20  # 199 more characters of tool result in the prompt


async def test_a_forced_tool_with_a_digit_pattern_streams_a_call(embedded_base_url: str) -> None:
    """Any client's schema may hold ``\\d`` (it crashed the grammar builder), and may ask for a stream."""
    async with openai.AsyncOpenAI(base_url=embedded_base_url, api_key="none") as client:
        stream = await client.chat.completions.create(
            model=TINY_MODEL,
            messages=[{"role": "user", "content": "Look up booking B-12."}],
            tools=[BOOKING_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_booking"}},
            max_tokens=48,
            stream=True,
        )
        calls = [
            call
            async for chunk in stream
            for call in (chunk.choices[0].delta.tool_calls or [])
            if chunk.choices
        ]
        assert [call.function.name for call in calls if call.function] == ["get_booking"]
        assert calls[0].function is not None and "booking_id" in json.loads(
            calls[0].function.arguments or "{}"
        )


# (a pattern, a value it refuses): the pattern reaches the grammar, so the tiny model, asked to
# copy the value, writes one that fits. With every pattern left out the 1.5B model named a
# parameter "s1.bug_details" three times in a row; with ``\\d`` left out (as an escape it crashed
# the server; it is now ``[0-9]``), the 1.5B tool simulator answered a date "unknown" three times.
PATTERNS = [("^[a-z][a-z0-9_]{2,30}$", "S1.Bug-Details"), ("^\\d{4}-\\d{2}-\\d{2}$", "unknown")]


@pytest.mark.parametrize(("pattern", "refused"), PATTERNS)
async def test_a_pattern_holds_a_structured_answer(
    embedded_base_url: str, pattern: str, refused: str
) -> None:
    schema = {
        "type": "object",
        "properties": {"value": {"type": "string", "pattern": pattern}},
        "required": ["value"],
    }
    async with openai.AsyncOpenAI(base_url=embedded_base_url, api_key="none") as client:
        for seed in range(3):
            response = await client.chat.completions.create(
                model=TINY_MODEL,
                messages=[{"role": "user", "content": f'Repeat this JSON exactly: {{"value": "{refused}"}}'}],
                extra_body={"response_format": {"type": "json_object", "schema": schema}},
                max_tokens=40,
                seed=seed,
            )
            answer = json.loads(response.choices[0].message.content or "{}")
            assert re.search(pattern, answer["value"]), answer


async def test_required_and_allowed_tools_force_a_call(embedded_base_url: str) -> None:
    async with openai.AsyncOpenAI(base_url=embedded_base_url, api_key="none") as client:
        choices: list[ChatCompletionToolChoiceOptionParam] = [
            "required",
            {
                "type": "allowed_tools",
                "allowed_tools": {
                    "mode": "required",
                    "tools": [{"type": "function", "function": {"name": "get_booking"}}],
                },
            },
        ]
        for choice in choices:
            response = await client.chat.completions.create(
                model=TINY_MODEL,
                messages=[{"role": "user", "content": "Booking B-3, please."}],
                tools=[BOOKING_TOOL],
                tool_choice=choice,
                max_tokens=128,
                temperature=0,
            )
            calls = response.choices[0].message.tool_calls or []
            assert [call.function.name for call in calls if call.type == "function"] == ["get_booking"]
            assert response.choices[0].finish_reason == "tool_calls"


async def test_a_reply_that_ends_at_once_is_asked_for_again(embedded_base_url: str) -> None:
    """The 1.5B model ended its turn at once after a second tool result, with the answer still
    owed; the server asks again, held to a reply that says something. Here a bias makes the
    end of turn the tiny model's first choice."""
    llama = Llama(model_path=str(model_file(embedded_model(TINY_MODEL))), vocab_only=True, verbose=False)
    async with openai.AsyncOpenAI(base_url=embedded_base_url, api_key="none") as client:
        response = await client.chat.completions.create(
            model=TINY_MODEL,
            messages=booking_conversation("X"),
            tools=[BOOKING_TOOL],
            logit_bias={str(llama.token_eos()): 100},
            max_tokens=8,
            temperature=0,
        )
    message = response.choices[0].message
    assert (message.content or "").strip() or message.tool_calls


@pytest.mark.quality
async def test_a_code_only_in_a_tool_result_comes_back_in_the_next_reply(quality_base_url: str) -> None:
    """Through ``button model serve``'s OpenAI API: the code cannot be guessed, only read."""
    async with openai.AsyncOpenAI(base_url=quality_base_url, api_key="none") as client:
        code = "QX" + secrets.token_hex(3).upper()
        response = await client.chat.completions.create(
            model=QUALITY_MODEL, messages=booking_conversation(code), tools=[BOOKING_TOOL],
            temperature=0, max_tokens=64,
        )  # fmt: skip
        message = response.choices[0].message
        assert message.content is not None and code in message.content
        assert not message.tool_calls


@pytest.mark.quality
async def test_a_call_already_answered_is_not_made_again_the_answer_is(quality_base_url: str) -> None:
    """Without a system line asking it not to, the 1.5B model calls ``get_booking`` again with the
    same id (measured at temperature 0 and 0.7); the server leaves the repeat out and asks for text."""
    async with openai.AsyncOpenAI(base_url=quality_base_url, api_key="none") as client:
        code = "QX" + secrets.token_hex(3).upper()
        response = await client.chat.completions.create(
            model=QUALITY_MODEL, messages=booking_conversation(code)[1:], tools=[BOOKING_TOOL],
            temperature=0, max_tokens=64,
        )  # fmt: skip
    message = response.choices[0].message
    assert not message.tool_calls and response.choices[0].finish_reason == "stop"
    assert message.content is not None and code in message.content


@pytest.mark.quality
async def test_a_call_with_numbers_nobody_gave_waits_for_the_lookups(quality_base_url: str) -> None:
    """At temperature 0 the 1.5B model looks up the share prices and, in the same reply, splits
    the budget with prices it made up (``calculate_equal_split`` with 150 and 200, measured
    through ``native_tools_handler`` with the hold-back off); the server holds that call back
    until the prices are in."""
    task = next(t for t in load_tasks(TASKS_FILE) if t.id == "finance.two_share_prices_then_split")
    tools: list[ChatCompletionFunctionToolParam] = [
        {
            "type": "function",
            "function": {"name": f.name, "description": f.description, "parameters": f.parameters},
        }
        for f in (spec.function for spec in task.functions)
    ]
    system = (REPO / "harness/run/prompts/assistant_system.md").read_text()
    asked = (
        "I need to split $10,000 between Apple (AAPL) and Microsoft (MSFT), get the current share prices, "
        "then work out how many whole shares of each I can buy and how much cash is left over."
    )
    async with openai.AsyncOpenAI(base_url=quality_base_url, api_key="none") as client:
        response = await client.chat.completions.create(
            model=QUALITY_MODEL,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": asked}],
            tools=tools,
            temperature=0,
            max_tokens=200,
        )
    calls = [c.function for c in response.choices[0].message.tool_calls or [] if c.type == "function"]
    assert calls and {c.name for c in calls} == {"get_share_price"}
    assert {json.loads(c.arguments)["ticker"] for c in calls} <= {"AAPL", "MSFT"}


@pytest.mark.quality
async def test_the_default_model_calls_a_tool_by_itself_and_answers_in_text(quality_base_url: str) -> None:
    async with openai.AsyncOpenAI(base_url=quality_base_url, api_key="none") as client:
        asked: list[ChatCompletionMessageParam] = [
            {"role": "user", "content": "What is the confirmation code of booking B-42?"}
        ]
        first = await client.chat.completions.create(
            model=QUALITY_MODEL,
            messages=asked,
            tools=[BOOKING_TOOL],
            temperature=0,
            max_tokens=96,
        )
        calls = first.choices[0].message.tool_calls or []
        assert first.choices[0].finish_reason == "tool_calls"
        assert [
            (c.function.name, json.loads(c.function.arguments)) for c in calls if c.type == "function"
        ] == [("get_booking", {"booking_id": "B-42"})]
        chat = await client.chat.completions.create(
            model=QUALITY_MODEL, messages=[{"role": "user", "content": "Say hello in three words."}],
            tools=[BOOKING_TOOL], temperature=0, max_tokens=16,
        )  # fmt: skip
        assert chat.choices[0].message.content and not chat.choices[0].message.tool_calls
