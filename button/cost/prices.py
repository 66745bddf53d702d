"""What tokens cost: a ``--prices FILE`` first, then the genai-prices table.

A ledger line (one role's use of one model) gets its price from the first of:

1. the model's entry in ``--prices FILE``: US dollars per million prompt,
   cached prompt and completion tokens, for self-hosted models and
   negotiated rates;
2. the embedded model: free;
3. genai-prices, pydantic's maintained table of provider prices, for the
   provider whose API the line's base URL is. A base URL of no provider it
   knows (a self-hosted vLLM, a proxy) has no price there: the model could
   be anything under that name. A line with no base URL (a tool simulator
   behind another MCP server) is looked up by model name, and says so;
4. nothing: the money is unknown (None) and the line says so. A price is
   never guessed.

A line is priced as its mean request times its number of requests: exact for
prices per token, and a price tiered by prompt size (some long-context
models) is taken at the size of a typical request rather than of the sum.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from button.cost.ledger import Ledger, LedgerLine
from button.errors import ConfigError
from button.llm.endpoints import is_embedded_name

PerMillion = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
PRICE_SUFFIXES = {".json", ".toml", ".yaml", ".yml"}
MILLION = Decimal(1_000_000)


class ModelPrice(BaseModel):
    """One model's prices in a ``--prices`` file, in US dollars per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input: PerMillion  # prompt tokens
    output: PerMillion  # completion tokens
    cached_input: PerMillion | None = None  # prompt tokens served from a prompt cache (default: input)

    def cost(self, line: LedgerLine) -> Decimal:
        cached = Decimal(str(self.input if self.cached_input is None else self.cached_input))
        fresh = line.prompt_tokens - line.cached_tokens
        total = (
            Decimal(fresh) * Decimal(str(self.input))
            + Decimal(line.cached_tokens) * cached
            + Decimal(line.completion_tokens) * Decimal(str(self.output))
        )
        return total / MILLION


class PriceFile(RootModel[dict[str, ModelPrice]]):
    """A ``--prices`` file: model name -> its prices."""


@dataclass(frozen=True)
class _Found:
    """How genai-prices knows a model: at the provider of ``url``, else (None) by its name."""

    url: str | None
    label: str


@dataclass
class PriceBook:
    """Prices a ledger. ``overrides`` are a ``--prices`` file's, named by ``source``."""

    overrides: dict[str, ModelPrice] = field(default_factory=dict)
    source: str = ""
    _found: dict[tuple[str, str], _Found | None] = field(default_factory=dict)

    def priced(self, ledger: Ledger) -> Ledger:
        """A copy of ``ledger`` with every line's money and price source worked out."""
        copy = ledger.model_copy(deep=True)
        for line in copy.lines:
            usd, line.price = self.price(line)
            line.usd = None if usd is None else float(usd)
        return copy

    def known(self, model: str, base_url: str = "") -> bool:
        """Whether ``model`` (reached at ``base_url``) has a price."""
        return model in self.overrides or is_embedded_name(model) or self._lookup(model, base_url) is not None

    def price(self, line: LedgerLine) -> tuple[Decimal | None, str]:
        """The line's money (None when unknown) and where it came from."""
        if line.model in self.overrides:
            return self.overrides[line.model].cost(line), f"--prices {self.source}"
        if is_embedded_name(line.model):
            return Decimal(0), "embedded: free"
        found = self._lookup(line.model, line.base_url)
        if found is None:
            return None, "unknown: no known price; give one with --prices FILE"
        return _genai_cost(line, found.url), found.label

    def _lookup(self, model: str, base_url: str) -> _Found | None:
        key = (model, base_url)
        if key not in self._found:
            self._found[key] = _genai_lookup(model, base_url)
        return self._found[key]


def _genai_lookup(model: str, base_url: str) -> _Found | None:
    """genai-prices' entry for ``model`` at the provider whose API ``base_url`` is (with no base
    URL: the provider the name belongs to); None when there is none."""
    from genai_prices import Usage, __version__, calc_price

    url = base_url or None
    try:
        found = calc_price(Usage(input_tokens=0, output_tokens=0), model, provider_api_url=url)
    except LookupError:
        return None
    note = "" if url else " (matched by model name)"
    return _Found(url, f"genai-prices {__version__}: {found.provider.name} {found.model.id}{note}")


def _genai_cost(line: LedgerLine, url: str | None) -> Decimal:
    from genai_prices import Usage, calc_price

    requests = max(line.requests, 1)
    mean = Usage(
        input_tokens=Decimal(line.prompt_tokens) / requests,
        cache_read_tokens=Decimal(line.cached_tokens) / requests,
        output_tokens=Decimal(line.completion_tokens) / requests,
    )
    return calc_price(mean, line.model, provider_api_url=url).total_price * requests


def load_prices(path: Path) -> PriceBook:
    """A ``--prices`` file (JSON, TOML or YAML by its suffix): ``ConfigError`` naming the file,
    and the model and field, when it is not one."""
    if path.suffix.lower() not in PRICE_SUFFIXES:
        raise ConfigError(
            f"a prices file is {', '.join(sorted(PRICE_SUFFIXES))}, not {path.suffix or 'no suffix'}",
            where=str(path),
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read: {error}", where=str(path)) from error
    value = _parse(text, path)
    if not isinstance(value, dict):
        raise ConfigError(
            'must map model names to prices, e.g. {"my-model": {"input": 0.2, "output": 0.6}}',
            where=str(path),
        )
    try:
        table = PriceFile.model_validate(value)
    except ValidationError as error:
        first = error.errors()[0]
        place = ": ".join(str(part) for part in first["loc"])
        raise ConfigError(f"{place}: {first['msg']}", where=str(path)) from None
    return PriceBook(overrides=table.root, source=str(path))


def _parse(text: str, path: Path) -> Any:
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"line {error.lineno}: not JSON: {error.msg}", where=str(path)) from None
    if suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"not TOML: {error}", where=str(path)) from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"not YAML: {' '.join(str(error).split())}", where=str(path)) from None
