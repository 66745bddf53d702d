"""What ``ModelClient`` sends: the request as JSON built by us, lone surrogates replaced."""

from __future__ import annotations

from button.llm.client import ModelClient
from button.llm.endpoints import EndpointConfig, Role
from tests.harness.scripted_openai import ScriptedOpenAI, call


async def test_the_request_reaches_the_endpoint_whole_and_valid_utf8() -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather in a city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    with ScriptedOpenAI(lambda body: call(("get_weather", {"city": "Oslo"}))) as server:
        config = EndpointConfig(Role.ASSISTANT, base_url=server.base_url, model="scripted", max_tokens=9)
        client = ModelClient(config, server.base_url)
        try:
            reply = await client.chat(
                [{"role": "user", "content": "Weather in Oslo \ud800 and Zürich?"}],
                tools=tools,
                tool_choice="auto",
                seed=3,
            )
        finally:
            await client.client.close()
    (sent,) = server.requests
    assert sent["messages"] == [{"role": "user", "content": "Weather in Oslo \ufffd and Zürich?"}]
    assert sent["tools"] == tools and sent["tool_choice"] == "auto"
    assert (sent["model"], sent["max_tokens"], sent["seed"]) == ("scripted", 9, 3)
    assert reply.message["tool_calls"][0]["function"]["name"] == "get_weather"
    assert client.usage.requests == 1
