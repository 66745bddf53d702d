"""The calls each episode has seen, held within a budget of bytes.

An episode (one conversation, one world) remembers its finished calls so that
later results agree with earlier ones and an identical call gets the same
answer. A client decides how large arguments are, so memory is bounded by
bytes, not only by counts (README, "Limits"):

- a call's arguments whose JSON is longer than ``ARGUMENTS_KEPT`` characters
  are not kept: a ``LongArguments`` stands in for them, holding their sha256
  (an identical call is still recognised) and their first characters with a
  marker (what the tool model is shown of an earlier call);
- one episode holds at most ``EPISODE_BYTES`` of calls: past it, its oldest
  calls are forgotten (only the last ``HISTORY_SHOWN`` ever reach a prompt);
- a store holds at most ``STORE_BYTES`` over all its episodes and at most
  ``EPISODE_LIMIT`` episodes: past either, the least recently used episode is
  forgotten. ``button serve`` shares one store among every task it serves.

Sizes are the UTF-8 bytes of the JSON kept; Python's own overhead per call is
a small constant on top.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from button.data_model.json_types import ToolArguments
from button.data_model.trajectory import Usage
from simulator.sim_cache import canonical_json

ARGUMENTS_KEPT = 1500  # characters of a call's arguments JSON kept as they are
HISTORY_SHOWN = 12  # earlier calls shown to the tool model (a small model has a small window)
EPISODE_BYTES = 256 * 1024  # one episode's calls
STORE_BYTES = 8 * 1024 * 1024  # every episode of a store
EPISODE_LIMIT = 4096  # episodes of a store
CALL_OVERHEAD = 800  # bytes counted for a call besides its JSON: about what its Python objects add


def clipped(text: str, limit: int) -> str:
    """``text`` up to ``limit`` characters; a longer one ends with a marker saying its full size."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [clipped: {len(text):,} characters in all]"


@dataclass(frozen=True)
class LongArguments:
    """Stands in for arguments too long to keep: their digest and what is shown of them."""

    sha256: str
    shown: str


@dataclass(frozen=True)
class Given:
    """The arguments of a call being answered, with their JSON worked out once."""

    value: ToolArguments
    text: str  # canonical JSON

    @classmethod
    def of(cls, arguments: ToolArguments) -> Given:
        return cls(arguments, canonical_json(arguments))

    @cached_property
    def kept(self) -> ToolArguments | LongArguments:
        """What an episode keeps of them."""
        if len(self.text) <= ARGUMENTS_KEPT:
            return self.value
        digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        return LongArguments(digest, clipped(self.text, ARGUMENTS_KEPT))


def stands_for(arguments: ToolArguments | LongArguments) -> Any:
    """A JSON value equal for equal arguments, whether they are kept or stood in for:
    the arguments themselves, or ``{"sha256": ...}`` for long ones."""
    return {"sha256": arguments.sha256} if isinstance(arguments, LongArguments) else arguments


def shown(arguments: ToolArguments | LongArguments) -> str:
    """The arguments' JSON as the tool model is shown it."""
    return arguments.shown if isinstance(arguments, LongArguments) else canonical_json(arguments)


@dataclass(frozen=True)
class ToolCall:
    """One finished call of an episode."""

    name: str
    arguments: ToolArguments | LongArguments
    result: Any
    size: int = field(default=0, compare=False)  # bytes it holds (set by ``of``)

    @classmethod
    def of(cls, name: str, given: Given, result: Any) -> ToolCall:
        kept = given.kept
        held = len(shown(kept).encode("utf-8")) + len(canonical_json(result).encode("utf-8"))
        return cls(name, kept, result, held + CALL_OVERHEAD)


class Running:
    """The place of a call still running in ``Episode.calls`` (compared by identity)."""


@dataclass
class Episode:
    """The calls of one episode in arrival order.

    A call takes its place when it starts, so concurrent calls keep their
    arrival order; a failed call gives its place up (it never happened in this world).
    """

    calls: list[ToolCall | Running] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    size: int = 0  # bytes of its finished calls

    def history(self) -> list[ToolCall]:
        return [call for call in self.calls if isinstance(call, ToolCall)]

    def same_call(self, name: str, given: Given) -> ToolCall | None:
        """An earlier call of ``name`` with these arguments, if the episode still holds one."""
        wanted = canonical_json(stands_for(given.kept))
        return next(
            (
                call
                for call in self.history()
                if call.name == name and canonical_json(stands_for(call.arguments)) == wanted
            ),
            None,
        )

    def start(self) -> Running:
        place = Running()
        self.calls.append(place)
        return place

    def finish(self, place: Running, call: ToolCall | None) -> int:
        """Put the finished call in its place (or give up the place of a failed one), then forget
        the oldest calls past ``EPISODE_BYTES``; the change in bytes held."""
        index = self.calls.index(place)
        if call is None:
            del self.calls[index]
            return 0
        self.calls[index] = call
        change = call.size
        while self.size + change > EPISODE_BYTES:
            oldest = next(i for i, held in enumerate(self.calls) if isinstance(held, ToolCall))
            forgotten = self.calls.pop(oldest)
            assert isinstance(forgotten, ToolCall)
            change -= forgotten.size
        self.size += change
        return change


class EpisodeStore:
    """Episodes by key, least recently used first, within ``STORE_BYTES`` and ``EPISODE_LIMIT``."""

    def __init__(self, max_bytes: int = STORE_BYTES, max_episodes: int = EPISODE_LIMIT) -> None:
        self.max_bytes = max_bytes
        self.max_episodes = max_episodes
        self.size = 0
        self._episodes: OrderedDict[tuple[str, str], Episode] = OrderedDict()

    def __len__(self) -> int:
        return len(self._episodes)

    def episode(self, key: tuple[str, str]) -> Episode:
        """The episode of ``key`` (a task id and an episode id), made when new; now the most recent."""
        episode = self._episodes.get(key)
        if episode is None:
            episode = self._episodes[key] = Episode()
            self._trim()
        self._episodes.move_to_end(key)
        return episode

    def finish(self, key: tuple[str, str], episode: Episode, place: Running, call: ToolCall | None) -> None:
        """``Episode.finish``, counted against the store unless the episode was forgotten meanwhile."""
        change = episode.finish(place, call)
        if self._episodes.get(key) is episode:
            self.size += change
            self._trim()

    def _trim(self) -> None:
        while len(self._episodes) > 1 and (
            self.size > self.max_bytes or len(self._episodes) > self.max_episodes
        ):
            _, forgotten = self._episodes.popitem(last=False)
            self.size -= forgotten.size
