"""``scores.jsonl`` by trajectory id, each score parsed only when it is shown.

Opening reads each line's ``trajectory_id`` and keeps its offset; keeping
10,000 parsed scores (with their details) would cost tens of MiB and a second
before the first screen.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from button.data_model.trajectory import Score


class ScoreIndex:
    def __init__(self, path: Path | None = None, notices: list[str] | None = None) -> None:
        self.path = path
        self._offsets: dict[str, tuple[int, int]] = {}  # trajectory id -> (offset, line number)
        self._parsed: dict[str, Score | None] = {}
        self.problems: dict[str, str] = {}  # trajectory id -> why its score is unusable
        if path is not None:
            self._scan(path, notices if notices is not None else [])

    def __len__(self) -> int:
        return len(self._offsets)

    def __contains__(self, trajectory_id: str) -> bool:
        return trajectory_id in self._offsets

    def ids(self) -> list[str]:
        return list(self._offsets)

    def get(self, trajectory_id: str) -> Score | None:
        if trajectory_id in self._parsed:
            return self._parsed[trajectory_id]
        found = self._offsets.get(trajectory_id)
        score = None
        if found is not None and self.path is not None:
            offset, number = found
            with self.path.open("rb") as handle:
                handle.seek(offset)
                raw = handle.readline()
            try:
                score = Score.model_validate_json(raw)
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(map(str, first["loc"])) or "(record)"
                self.problems[trajectory_id] = f"{self.path}:{number}: {where}: {first['msg']}"
        self._parsed[trajectory_id] = score
        return score

    def _scan(self, path: Path, notices: list[str]) -> None:
        offset = 0
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if raw.strip():
                    try:
                        value = json.loads(raw)
                    except (json.JSONDecodeError, UnicodeDecodeError) as error:
                        notices.append(f"{path}:{number}: bad JSON ({error}); score skipped")
                        value = None
                    trajectory_id = value.get("trajectory_id") if isinstance(value, dict) else None
                    if isinstance(trajectory_id, str):
                        self._offsets[trajectory_id] = (offset, number)  # a rescore appended later wins
                    elif value is not None:
                        notices.append(f"{path}:{number}: no trajectory_id; score skipped")
                offset += len(raw)
