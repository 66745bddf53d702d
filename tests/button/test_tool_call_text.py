"""Tool calls written as ``<tool_call>`` text read back as OpenAI tool calls."""

from __future__ import annotations

import json

from button.embedded.tool_call_text import parse_reply

OFFERED = {"get_weather", "get_time"}


def arguments(reply_call: dict[str, object]) -> object:
    return json.loads(reply_call["function"]["arguments"])  # type: ignore[index]


def test_one_call_and_no_text() -> None:
    reply = parse_reply(
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Lisbon"}}\n</tool_call>', OFFERED
    )
    assert reply.content is None
    assert [call["function"]["name"] for call in reply.tool_calls] == ["get_weather"]
    assert arguments(reply.tool_calls[0]) == {"city": "Lisbon"}
    assert reply.tool_calls[0]["id"].startswith("call_") and reply.tool_calls[0]["type"] == "function"


def test_parallel_calls_keep_their_order_and_get_distinct_ids() -> None:
    text = (
        "Checking both.\n"
        '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>\n'
        '<tool_call>{"name": "get_time", "arguments": {"zone": "CET"}}</tool_call>'
    )
    reply = parse_reply(text, OFFERED)
    assert reply.content == "Checking both."
    assert [arguments(call) for call in reply.tool_calls] == [{"city": "Oslo"}, {"zone": "CET"}]
    assert len({call["id"] for call in reply.tool_calls}) == 2


def test_plain_text_stays_text() -> None:
    reply = parse_reply("The weather in Lisbon is 21 °C and sunny.", OFFERED)
    assert reply.content == "The weather in Lisbon is 21 °C and sunny." and reply.tool_calls == []


def test_an_unterminated_last_block_and_arguments_as_text_are_read() -> None:
    reply = parse_reply('<tool_call>\n{"name": "get_time", "arguments": "{\\"zone\\": \\"UTC\\"}"}', OFFERED)
    assert arguments(reply.tool_calls[0]) == {"zone": "UTC"}


def test_a_raw_newline_inside_a_string_is_tolerated() -> None:
    reply = parse_reply(
        '<tool_call>{"name": "get_weather", "arguments": {"city": "New\nYork"}}</tool_call>', OFFERED
    )
    assert arguments(reply.tool_calls[0]) == {"city": "New\nYork"}


def test_a_block_that_is_not_a_call_is_left_in_the_text() -> None:
    reply = parse_reply("<tool_call>not json</tool_call> sorry", OFFERED)
    assert reply.tool_calls == [] and reply.content == "<tool_call>not json</tool_call> sorry"


def test_a_bare_json_call_counts_only_for_an_offered_tool() -> None:
    bare = '{"name": "get_weather", "arguments": {"city": "Rome"}}'
    assert arguments(parse_reply(bare, OFFERED).tool_calls[0]) == {"city": "Rome"}
    other = '{"name": "launch", "arguments": {}}'
    assert parse_reply(other, OFFERED).content == other
    assert parse_reply(bare, set()).tool_calls == []


def test_calls_in_code_fences_count_for_offered_tools_only() -> None:
    text = (
        'Let me check.\n```json\n{\n  "name": "get_weather",\n  "arguments": {"city": "Oslo"}\n}\n```\n'
        '```json\n{"name": "get_time", "arguments": {"zone": "CET"}}\n```'
    )
    reply = parse_reply(text, OFFERED)
    assert reply.content == "Let me check."
    assert [arguments(call) for call in reply.tool_calls] == [{"city": "Oslo"}, {"zone": "CET"}]
    example = 'Use it like this:\n```json\n{"name": "launch", "arguments": {}}\n```'
    assert parse_reply(example, OFFERED).tool_calls == []


def test_line_comments_outside_strings_are_ignored() -> None:
    text = '```json\n{"name": "get_weather", // the tool\n "arguments": {"city": "say \\"//\\" http://x//y"} // where\n}\n```'
    reply = parse_reply(text, OFFERED)
    assert arguments(reply.tool_calls[0]) == {"city": 'say "//" http://x//y'}


def test_a_call_written_as_text_is_told_from_an_answer() -> None:
    from button.embedded.chat_handler import meant_to_call

    def reply(content: str, calls: list[object] | None = None) -> dict[str, object]:
        return {"choices": [{"message": {"content": content, "tool_calls": calls}}]}

    assert meant_to_call(reply('<function name="get_weather" arguments="Oslo"/>'), OFFERED)
    assert meant_to_call(reply('<tool_response>\n{"temp": 3}\n</tool_response>'), OFFERED)
    assert not meant_to_call(reply("It is 3 °C in Oslo; get your weather gear ready."), OFFERED)
    assert not meant_to_call(reply("get_weather", calls=[{"id": "c"}]), OFFERED)


def names_and_arguments(text: str) -> list[tuple[str, object]]:
    return [(call["function"]["name"], arguments(call)) for call in parse_reply(text, OFFERED).tool_calls]


def test_parallel_calls_written_in_a_row_in_one_fence_are_all_read() -> None:
    # What Qwen2.5-Coder-1.5B wrote for "get the price of AAPL and of MSFT" (names changed).
    text = (
        '```json\n{\n  "name": "get_weather",\n  "arguments": {"city": "Oslo"}\n}\n'
        '{\n  "name": "get_weather",\n  "arguments": {"city": "Rome"}\n}\n```'
    )
    assert names_and_arguments(text) == [("get_weather", {"city": "Oslo"}), ("get_weather", {"city": "Rome"})]


def test_parallel_calls_as_a_bare_json_list_or_bare_lines_are_read() -> None:
    listed = '[{"name": "get_weather", "arguments": {"city": "Oslo"}}, {"name": "get_time", "arguments": {}}]'
    lines = '{"name": "get_weather", "arguments": {"city": "Oslo"}}\n{"name": "get_time", "arguments": {}}'
    expected = [("get_weather", {"city": "Oslo"}), ("get_time", {})]
    assert names_and_arguments(listed) == expected
    assert names_and_arguments(lines) == expected


def test_calls_in_a_row_count_only_when_every_one_is_an_offered_call() -> None:
    unoffered = '{"name": "get_weather", "arguments": {}}\n{"name": "rm_rf", "arguments": {}}'
    trailing = '{"name": "get_weather", "arguments": {}}\nand then I will check the time'
    not_a_call = '{"name": "get_weather", "arguments": {}}\n{"city": "Oslo"}'
    for text in (unoffered, trailing, not_a_call):
        reply = parse_reply(text, OFFERED)
        assert reply.tool_calls == [] and reply.content == text
