"""Structured output against an endpoint that refuses ``json_schema`` (llama-cpp-python's own server)."""

from __future__ import annotations

import json
from typing import Any

from button.llm.client import ModelClient
from button.llm.endpoints import EndpointConfig, Role
from button.llm.structured import JSON_OBJECT_SCHEMA, StructuredOutput
from tests.harness.scripted_openai import Reply, ScriptedOpenAI

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
REFUSAL = b'{"error": {"message": "response_format: Input should be \'text\' or \'json_object\'"}}'


def refuses_json_schema(body: dict[str, Any]) -> Reply:
    if body["response_format"]["type"] == "json_schema":
        return Reply(status=500, raw=REFUSAL)
    assert body["response_format"] == {"type": "json_object", "schema": SCHEMA}
    return Reply(content=json.dumps({"city": "Lisbon"}))


async def test_a_refusal_of_json_schema_switches_the_endpoint_to_json_object_once() -> None:
    with ScriptedOpenAI(refuses_json_schema) as server:
        StructuredOutput.known_modes.pop(server.base_url, None)
        config = EndpointConfig(role=Role.TOOL, base_url=server.base_url, model="scripted")
        client = ModelClient(config, server.base_url)
        for _ in range(2):
            value, _ = await client.complete_json(
                [{"role": "user", "content": "where?"}], SCHEMA, name="place"
            )
            assert value == {"city": "Lisbon"}
        await client.client.close()
        kinds = [request["response_format"]["type"] for request in server.requests]
    assert kinds == ["json_schema", "json_object", "json_object"]  # refused once, then never asked again
    assert StructuredOutput.known_modes[server.base_url] == JSON_OBJECT_SCHEMA
