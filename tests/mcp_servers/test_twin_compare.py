"""``button serve --twin-command ... --compare N`` against a real local MCP server over stdio."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from button.cli.main import main
from mcp_servers.schema_samples import samples
from tests.harness.scripted_openai import Reply, ScriptedOpenAI, say

ORIGINAL = """\
import json
import sys
from typing import Annotated

from fastmcp import FastMCP
from pydantic import BaseModel, Field

LOG = sys.argv[1]
server = FastMCP("weather-original")


class Forecast(BaseModel):
    city: str
    days: int
    high_c: float


def logged(name, arguments):
    with open(LOG, "a") as log:
        log.write(json.dumps([name, arguments]) + "\\n")


@server.tool
def forecast(
    city: Annotated[str, Field(pattern="^[A-Z][a-z]{2,8}$")], days: Annotated[int, Field(ge=1, le=5)]
) -> Forecast:
    \"\"\"The forecast for a city.\"\"\"
    logged("forecast", {"city": city, "days": days})
    return Forecast(city=city, days=days, high_c=21.5)


@server.tool(name="notes.count", output_schema=None)
def count(folder: str) -> str:
    \"\"\"How many notes a folder holds, as JSON text.\"\"\"
    logged("notes.count", {"folder": folder})
    return json.dumps({"count": 3})


server.run(transport="stdio", show_banner=False)
"""


def tool_model(body: dict[str, Any]) -> Reply:
    """The twin's simulator: a forecast shaped as the original's; a note count as plain text."""
    prompt = body["messages"][-1]["content"]
    call = re.search(r"\nCall: (\w+)\((.*)\)$", prompt, re.DOTALL)
    assert call is not None, prompt
    if call.group(1) == "forecast":
        arguments = json.loads(call.group(2))
        return say(json.dumps({"city": arguments["city"], "days": arguments["days"], "high_c": 19.0}))
    return say(json.dumps({"text": "three notes"}))


def called(requests: list[dict[str, Any]]) -> list[list[Any]]:
    found = []
    for body in requests:
        call = re.search(r"\nCall: (\w+)\((.*)\)$", body["messages"][-1]["content"], re.DOTALL)
        assert call is not None
        found.append([call.group(1).replace("notes_count", "notes.count"), json.loads(call.group(2))])
    return found


def test_compare_reports_schema_and_result_shape_agreement_per_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    original, log = tmp_path / "original.py", tmp_path / "calls.jsonl"
    original.write_text(ORIGINAL)
    with ScriptedOpenAI(tool_model) as scripted:
        for key, value in scripted.env("tool").items():
            monkeypatch.setenv(key, value)
        command = f"{sys.executable} {original} {log}"
        assert main(["serve", "--twin-command", command, "--compare", "4", "--json"]) == 0
        twin_calls = called(scripted.requests)
    report = {row["tool"]: row for row in json.loads(capfd.readouterr().out)}

    assert report["forecast"] == {
        "tool": "forecast",
        "schema_agrees": True,
        "schema_differs": [],
        "calls": 4,
        "shapes_agree": 4,
        "original_errors": 0,
        "twin_errors": 0,
        "first_difference": None,
    }
    counted = report["notes.count"]
    assert counted["schema_agrees"] and counted["calls"] == 4 and counted["shapes_agree"] == 0
    assert counted["first_difference"].endswith(': original text {"count":number}, twin text')
    # both sides got the same generated arguments, valid against the tool's input schema
    original_calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(map(json.dumps, original_calls)) == sorted(map(json.dumps, twin_calls))
    forecasts = [arguments for name, arguments in original_calls if name == "forecast"]
    assert len({json.dumps(a, sort_keys=True) for a in forecasts}) == 4
    assert all(re.fullmatch("[A-Z][a-z]{2,8}", a["city"]) and 1 <= a["days"] <= 5 for a in forecasts)


def test_compare_needs_a_twin(capfd: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["serve", "fixtures/tasks.jsonl", "--task", "travel.flight_then_hotel", "--compare", "2"]) == 2
    )
    assert capfd.readouterr().err.strip() == (
        "error: --compare: compares a twin with its original: give --twin or --twin-command"
    )


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"code": {"type": "string", "pattern": "^RL-[0-9]{6}$"}}, "required": ["code"]},
        {"type": "object", "properties": {"n": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}}},
        {"type": "object", "properties": {"tags": {"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 1}}},
        {"$defs": {"day": {"type": "string", "format": "date"}}, "type": "object",
         "properties": {"on": {"$ref": "#/$defs/day"}, "flag": {"type": ["boolean", "null"]}}, "required": ["on"]},
    ],
)  # fmt: skip
def test_samples_are_distinct_valid_and_the_same_every_time(schema: dict[str, Any]) -> None:
    found = samples(schema, 5)
    assert len(found) == 5 and len({json.dumps(value, sort_keys=True) for value in found}) == 5
    assert all(Draft202012Validator(schema).is_valid(value) for value in found)
    assert samples(schema, 5) == found
