"""Endpoint configuration: flags win over the environment; keys never stored."""

from __future__ import annotations

import argparse

import pytest

from button.endpoints import Role, add_endpoint_flags, endpoint_from_args
from button.errors import ConfigError
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
