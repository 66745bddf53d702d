"""Endpoint configuration: flags win over the environment; keys never stored."""

from __future__ import annotations

import argparse
import asyncio
import socket

import pytest

from button.errors import ConfigError, ModelError
from button.llm.client import ModelClient
from button.llm.endpoints import EndpointConfig, Role, add_endpoint_flags, endpoint_from_args
from tests.conftest import TINY_MODEL


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_endpoint_flags(parser, Role.ASSISTANT, Role.TOOL)
    return parser.parse_args(argv)


def test_no_configuration_means_the_embedded_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUTTON_ASSISTANT_BASE_URL", raising=False)
    monkeypatch.delenv("BUTTON_ASSISTANT_MODEL", raising=False)
    config = endpoint_from_args(parse(), Role.ASSISTANT)
    assert config.embedded and config.model == TINY_MODEL


def test_flags_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUTTON_TOOL_BASE_URL", "http://env:1/v1")
    monkeypatch.setenv("BUTTON_TOOL_MODEL", "env-model")
    from_env = endpoint_from_args(parse(), Role.TOOL)
    assert (from_env.base_url, from_env.model) == ("http://env:1/v1", "env-model")
    from_flags = endpoint_from_args(
        parse("--tool-base-url", "http://flag:2/v1/", "--tool-model", "m", "--tool-temperature", "0.2"),
        Role.TOOL,
    )
    assert (from_flags.base_url, from_flags.model, from_flags.temperature) == ("http://flag:2/v1", "m", 0.2)


def test_a_base_url_without_a_model_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUTTON_ASSISTANT_MODEL", raising=False)
    with pytest.raises(ConfigError, match="--assistant-model"):
        endpoint_from_args(parse("--assistant-base-url", "http://x/v1"), Role.ASSISTANT)


def test_the_api_key_comes_from_the_environment_and_is_not_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-secret")
    config = endpoint_from_args(
        parse(
            "--assistant-base-url",
            "http://x/v1",
            "--assistant-model",
            "m",
            "--assistant-api-key-env",
            "MY_KEY",
        ),
        Role.ASSISTANT,
    )
    assert config.api_key() == "sk-secret"
    assert "sk-secret" not in str(config.public())


async def test_a_busy_endpoint_passes_the_check_and_a_closed_port_does_not() -> None:
    """A server that takes the connection but does not list its models in time is busy (the
    embedded server serves one request at a time); nothing listening is broken."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()

    busy = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = busy.sockets[0].getsockname()[1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    for url, ok in ((f"http://127.0.0.1:{port}/v1", True), (f"http://127.0.0.1:{closed}/v1", False)):
        config = EndpointConfig(role=Role.ASSISTANT, base_url=url, model="m", timeout_s=0.5)
        client = ModelClient(config, url)
        try:
            await client.check()
            assert ok
        except ModelError:
            assert not ok
        finally:
            await client.client.close()
    busy.close()
