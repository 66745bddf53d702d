"""Model endpoints: one per role, from flags or the environment.

Each role (synthesizer, user simulator, tool simulator, assistant, judge) has
its own base URL, model name and sampling settings. Flags win over the
environment (``BUTTON_<ROLE>_BASE_URL``, ``BUTTON_<ROLE>_MODEL``,
``BUTTON_<ROLE>_API_KEY_ENV``). With no base URL a role uses the embedded
default model. API keys are read from the environment at call time and never
stored in any config or record.
"""

from __future__ import annotations

import argparse
import enum
import os
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from button.cli.arg_types import number_in
from button.embedded.catalog import CATALOG, DEFAULT_MODEL, EMBEDDED_ENV, embedded_model
from button.errors import ConfigError
from button.redact import public_url, remember, remember_url

# Completion limits used when none is given. Simulator and synthesizer turns are
# short, and a small model can otherwise write until its context is full
# (minutes on the embedded one). The assistant under test keeps its endpoint's
# own limit, except on the embedded model.
DEFAULT_MAX_TOKENS = {"synth": 512, "user": 256, "tool": 512, "judge": 256, "assistant": 256}
# Sampling temperatures on the embedded model, whose server samples at 0.8 unless told: the
# 1.5B assistant's calls and the simulators' JSON were far less reliable there (duplicate
# calls, invented tool responses in one demo run); greedy calls, a little variety elsewhere.
EMBEDDED_TEMPERATURE = {"assistant": 0.0, "user": 0.3, "tool": 0.3, "judge": 0.0}

# How long one try may take and how often a transient failure (429, 5xx, a
# timeout, a lost connection) is tried again. A remote endpoint that is dead or
# silent costs at most 3 tries x 40 s (plus backoff) = about 2 minutes before
# the conversation ends with an error. The embedded model on 2 cores can take
# minutes for one long prompt, so its tries are longer; it is checked for life
# before every call.
DEFAULT_TIMEOUT_S = 40.0
DEFAULT_RETRIES = 2
EMBEDDED_TIMEOUT_S = 600.0
EMBEDDED_RETRIES = 1


class Role(enum.StrEnum):
    SYNTH = "synth"
    USER = "user"
    TOOL = "tool"
    ASSISTANT = "assistant"
    JUDGE = "judge"


ROLE_HELP = {
    Role.SYNTH: "the synthesizer (bottom-up task construction)",
    Role.USER: "the user simulator",
    Role.TOOL: "the tool simulator behind the MCP tools",
    Role.ASSISTANT: "the assistant under test",
    Role.JUDGE: "the optional LLM judge",
}


class EndpointRecord(BaseModel):
    """An endpoint as a manifest records it (``EndpointConfig.public``); every field may be
    absent from a manifest written by hand or by an older version."""

    role: str | None = None
    base_url: str | None = None  # credentials removed
    model: str | None = None
    api_key_env: str | None = None  # the variable's name, never its value
    temperature: float | None = None
    max_tokens: int | None = None


@dataclass(frozen=True)
class EndpointConfig:
    """Where and how one role talks to a model. ``base_url=None``: the embedded model."""

    role: Role
    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float | None = None
    max_tokens: int | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_RETRIES

    @property
    def embedded(self) -> bool:
        return self.base_url is None

    def public(self) -> EndpointRecord:
        """The config as recorded in manifests: what shapes the answers. The key is never
        here; nor are the timeout and retries, which may change between reruns."""
        return EndpointRecord(
            role=self.role.value,
            base_url=public_url(self.base_url) if self.base_url else None,
            model=self.model,
            api_key_env=self.api_key_env,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )

    def api_key(self) -> str:
        # Local servers (llama.cpp, vLLM, Ollama) ignore the key but the client needs one.
        key = os.environ.get(self.api_key_env) or "sk-no-key"
        remember(key)
        remember_url(self.base_url)
        return key


def add_endpoint_flags(parser: argparse.ArgumentParser, *roles: Role) -> None:
    """Add ``--embedded`` and, for each role, ``--<role>-base-url``, ``--<role>-model``, ..."""
    add_embedded_flag(parser)
    for role in roles:
        group = parser.add_argument_group(
            f"{role.value} endpoint ({ROLE_HELP[role]}; default: the embedded model)"
        )
        prefix = f"--{role.value}"
        env = f"BUTTON_{role.value.upper()}"
        group.add_argument(
            f"{prefix}-base-url", metavar="URL", help=f"OpenAI-compatible base URL [env {env}_BASE_URL]"
        )
        group.add_argument(f"{prefix}-model", metavar="NAME", help=f"model name [env {env}_MODEL]")
        group.add_argument(
            f"{prefix}-api-key-env",
            metavar="VAR",
            help=f"environment variable holding the API key (default OPENAI_API_KEY) [env {env}_API_KEY_ENV]",
        )
        group.add_argument(
            f"{prefix}-temperature",
            type=float,
            metavar="T",
            help="sampling temperature (default: the endpoint's own"
            + (
                f"; {EMBEDDED_TEMPERATURE[role.value]} on the embedded model)"
                if role.value in EMBEDDED_TEMPERATURE
                else ")"
            ),
        )
        group.add_argument(
            f"{prefix}-max-tokens",
            type=int,
            metavar="N",
            help=f"completion token limit (default {DEFAULT_MAX_TOKENS[role.value]}"
            + ("; none for a non-embedded assistant)" if role == Role.ASSISTANT else ")"),
        )
        group.add_argument(
            f"{prefix}-timeout",
            type=_positive_seconds,
            metavar="S",
            help=f"seconds one try may take (default {DEFAULT_TIMEOUT_S:g}; {EMBEDDED_TIMEOUT_S:g} on the "
            "embedded model)",
        )
        group.add_argument(
            f"{prefix}-retries",
            type=number_in(int, 0, 20),
            metavar="N",
            help=f"tries again after a timeout, 429 or 5xx, with backoff (default {DEFAULT_RETRIES}; "
            f"{EMBEDDED_RETRIES} on the embedded model)",
        )


def add_embedded_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--embedded",
        metavar="NAME|FILE.gguf",
        help=f"the embedded model for roles without a base URL: {', '.join(CATALOG)}, or a GGUF "
        f"file of your own [env {EMBEDDED_ENV}; default {DEFAULT_MODEL}]",
    )


def is_embedded_name(model: str | None) -> bool:
    """A model name the embedded server answers to (a catalog name or a GGUF path)."""
    return model is not None and (model in CATALOG or model.endswith(".gguf"))


def endpoint_from_args(args: argparse.Namespace, role: Role) -> EndpointConfig:
    """The endpoint of ``role`` from parsed flags, falling back to the environment."""

    def pick(name: str) -> Any:
        flag = getattr(args, f"{role.value}_{name}", None)
        if flag is not None:
            return flag
        return os.environ.get(f"BUTTON_{role.value.upper()}_{name.upper()}") or None

    base_url = pick("base_url")
    model = pick("model")
    if base_url and not model:
        raise ConfigError(
            f"--{role.value}-base-url is set but no model name: give --{role.value}-model "
            f"or BUTTON_{role.value.upper()}_MODEL",
            where=f"--{role.value}-model",
        )
    return EndpointConfig(
        role=role,
        base_url=base_url.rstrip("/") if base_url else None,
        model=model or (None if base_url else embedded_model(getattr(args, "embedded", None)).name),
        api_key_env=pick("api_key_env") or "OPENAI_API_KEY",
        temperature=_temperature(args, role, base_url),
        max_tokens=_max_tokens(args, role, model),
        timeout_s=_given(args, role, "timeout", DEFAULT_TIMEOUT_S if base_url else EMBEDDED_TIMEOUT_S),
        max_retries=_given(args, role, "retries", DEFAULT_RETRIES if base_url else EMBEDDED_RETRIES),
    )


def _given(args: argparse.Namespace, role: Role, name: str, default: Any) -> Any:
    value = getattr(args, f"{role.value}_{name}", None)
    return default if value is None else value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 86400 seconds, not {text}")
    return value


def _temperature(args: argparse.Namespace, role: Role, base_url: str | None) -> float | None:
    given: float | None = getattr(args, f"{role.value}_temperature", None)
    if given is not None or base_url:
        return given
    return EMBEDDED_TEMPERATURE.get(role.value)


def _max_tokens(args: argparse.Namespace, role: Role, model: str | None) -> int | None:
    given: int | None = getattr(args, f"{role.value}_max_tokens", None)
    if given is not None:
        return given
    if role == Role.ASSISTANT and model is not None and not is_embedded_name(model):
        return None
    return DEFAULT_MAX_TOKENS[role.value]
