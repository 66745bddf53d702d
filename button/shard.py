"""Shards: one deterministic share of a command's work, so N jobs together do the work of one.

``Shard(index, count)`` owns a unit of work by a key: for runs and scoring the
key is the task id and the trial, for synthesis the scenario's key. A unit
belongs to shard ``(h(key) + trial) mod count``, with ``h`` the first 8 bytes of
the key's SHA-256: a pure function of the unit, so a shard's share does not
move when other tasks or trials are added, and one task's trials go round the
shards in turn. ``--workers K`` reuses it: worker ``w`` of shard ``I/N`` is
shard ``I + N*w`` of ``N*K`` (``split``), exactly the units of ``I/N`` with
``(h + trial) // N mod K == w``.

``--shard`` takes ``I/N`` (0-based) or ``auto``, read from the scheduler:
Slurm job arrays (``SLURM_ARRAY_TASK_ID``, ``SLURM_ARRAY_TASK_COUNT``, and
``SLURM_ARRAY_TASK_MIN`` and ``_STEP`` when set, so ``--array=1-8`` and
``--array=0-14:2`` work too) or Kubernetes
Indexed Jobs (``JOB_COMPLETION_INDEX``; N from ``auto/N`` or ``BUTTON_SHARD_COUNT``,
since Kubernetes does not put the completion count in the pod's environment).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from button.errors import ConfigError

WHERE = "--shard"
COUNT_ENV = "BUTTON_SHARD_COUNT"
_FIXED = re.compile(r"(\d+)/(\d+)")
_AUTO = re.compile(r"auto(?:/(\d+))?")


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ConfigError(
                f"{self.index}/{self.count}: the index must be from 0 to N-1 and N at least 1", where=WHERE
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def whole(self) -> bool:
        """The one shard of one: all the work."""
        return self.count == 1

    def owns(self, key: str, trial: int = 0) -> bool:
        return (key_number(key) + trial) % self.count == self.index

    def split(self, worker: int, workers: int) -> Shard:
        """The share of worker ``worker`` (0-based) of ``workers`` within this shard."""
        return Shard(self.index + self.count * worker, self.count * workers)


WHOLE = Shard(0, 1)


def key_number(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


def parse_shard(text: str | None, env: Mapping[str, str] | None = None) -> Shard:
    """``--shard``'s value: None (the whole), ``I/N`` or ``auto[/N]`` read from ``env``."""
    if text is None:
        return WHOLE
    env = os.environ if env is None else env
    fixed = _FIXED.fullmatch(text.strip())
    if fixed:
        return Shard(int(fixed[1]), int(fixed[2]))
    auto = _AUTO.fullmatch(text.strip())
    if auto:
        return _from_scheduler(env, int(auto[1]) if auto[1] else None)
    raise ConfigError(f"{text!r} is not I/N (such as 0/4) or auto or auto/N", where=WHERE)


def _from_scheduler(env: Mapping[str, str], count: int | None) -> Shard:
    if "SLURM_ARRAY_TASK_ID" in env:
        task_id = _number(env, "SLURM_ARRAY_TASK_ID")
        low = _number(env, "SLURM_ARRAY_TASK_MIN") if "SLURM_ARRAY_TASK_MIN" in env else 0
        step = _number(env, "SLURM_ARRAY_TASK_STEP") if "SLURM_ARRAY_TASK_STEP" in env else 1
        if step < 1 or (task_id - low) % step:
            raise ConfigError(
                f"SLURM_ARRAY_TASK_ID {task_id} is not on the array's steps ({low}, {low}+{step}, ...)",
                where=WHERE,
            )
        if count is None:
            if "SLURM_ARRAY_TASK_COUNT" not in env:
                raise ConfigError(
                    "SLURM_ARRAY_TASK_COUNT is not set; give the count as --shard auto/N", where=WHERE
                )
            count = _number(env, "SLURM_ARRAY_TASK_COUNT")
        return _checked((task_id - low) // step, count, f"SLURM_ARRAY_TASK_ID {task_id}")
    if "JOB_COMPLETION_INDEX" in env:
        index = _number(env, "JOB_COMPLETION_INDEX")
        if count is None:
            if COUNT_ENV not in env:
                raise ConfigError(
                    f"JOB_COMPLETION_INDEX is set but not the count: give --shard auto/N or {COUNT_ENV}",
                    where=WHERE,
                )
            count = _number(env, COUNT_ENV)
        return _checked(index, count, f"JOB_COMPLETION_INDEX {index}")
    raise ConfigError(
        "auto needs SLURM_ARRAY_TASK_ID (a Slurm job array) or JOB_COMPLETION_INDEX "
        "(a Kubernetes Indexed Job); neither is set",
        where=WHERE,
    )


def _number(env: Mapping[str, str], name: str) -> int:
    value = env[name].strip()
    if not value.isdigit():
        raise ConfigError(f"{name}={env[name]!r} is not a whole number", where=WHERE)
    return int(value)


def _checked(index: int, count: int, source: str) -> Shard:
    if count < 1 or not 0 <= index < count:
        raise ConfigError(f"{source} gives shard {index} of {count}, outside 0 to {count - 1}", where=WHERE)
    return Shard(index, count)


def add_shard_flag(parser: argparse.ArgumentParser, unit: str) -> None:
    """``--shard I/N|auto[/N]`` on a command whose work is divided by ``unit``."""
    parser.add_argument(
        "--shard",
        metavar="I/N",
        help=f"do only shard I of N (0-based) of the work, divided by {unit}; N such jobs, each with "
        "its own output, do the work of one (join them with `button merge`). auto: from a Slurm "
        f"job array (SLURM_ARRAY_TASK_ID and _COUNT) or a Kubernetes Indexed Job "
        f"(JOB_COMPLETION_INDEX, with N from auto/N or {COUNT_ENV})",
    )


def refuse_mixed(shards: list[tuple[Path, Shard, str | None]], what: str, shard_field: str = "shard") -> None:
    """Refuse a set of shard outputs, given as (where, its shard, the first setting in which it
    differs from the first one or None), that are not shards of one ``what`` (a run, a
    synthesis): a differing setting or shard count, or a shard given twice."""
    first_folder, first_shard, _ = shards[0]
    seen: dict[int, Path] = {}
    for folder, shard, differs in shards:
        if differs is None and shard.count != first_shard.count:
            differs = f"{shard_field}: {first_shard} -> {shard} (a different shard count)"
        if differs is not None:
            raise ConfigError(
                f"not a shard of the same {what} as {first_folder} ({differs})", where=str(folder)
            )
        if shard.index in seen:
            raise ConfigError(
                f"shard {shard} is given twice: {seen[shard.index]} and {folder}", where=str(folder)
            )
        seen[shard.index] = folder
