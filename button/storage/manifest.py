"""Manifests: the settings recorded beside work on disk, and the one change check.

``button run`` (``harness.run.run_dir``) and ``button synth``
(``simulator.synthesis.stage_store``) resume earlier work only when it was made with the
same settings. Each keeps its settings in a ``Manifest`` model, written as
``manifest.json``; ``changed_from`` compares the recorded JSON with the new
settings, nested objects key by key, and names the first setting that
differs, so the refusal says what changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeAlias, TypeVar

from pydantic import BaseModel, ValidationError

from button.errors import RunFileError
from button.storage.records import write_atomically

ManifestT = TypeVar("ManifestT", bound="Manifest")
RecordedManifest: TypeAlias = dict[str, Any]
"""A ``manifest.json`` as it was written, before it is read as its model: kept as JSON so
that ``Manifest.changed_from`` compares it key by key, keys this version does not know included."""

SHOWN_CHARS = 60  # a changed value longer than this is cut in the message


class Manifest(BaseModel):
    """Settings that work on disk depends on."""

    compared: ClassVar[tuple[str, ...] | None] = None  # the fields a resume must match; None: all

    def changed_from(self, recorded: Mapping[str, Any]) -> str | None:
        """The first compared setting that differs from ``recorded`` (a manifest's JSON), as
        ``'name: old -> new'``; a file digest (``..._sha256``) as ``'name: contents changed'``."""
        new = self.model_dump(mode="json")
        for name in self.compared if self.compared is not None else tuple(new):
            before, after = _flatten(recorded.get(name), name), _flatten(new.get(name), name)
            for key in sorted(set(before) | set(after)):
                old_value, new_value = before.get(key), after.get(key)
                if old_value != new_value:
                    if key.endswith("sha256"):
                        return f"{key}: contents changed"
                    return f"{key}: {_short(old_value)} -> {_short(new_value)}"
        return None

    def write(self, path: Path) -> None:
        write_atomically(path, self.model_dump_json(indent=2) + "\n")


def read_recorded(path: Path, hint: str = "") -> RecordedManifest:
    """A manifest file as it was written: a JSON object, else a ``RunFileError`` (``hint`` appended)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunFileError(f"unreadable manifest: {error}{hint}", where=str(path)) from error
    if not isinstance(value, dict):
        raise RunFileError(f"the manifest is not a JSON object{hint}", where=str(path))
    return value


def read_manifest(path: Path, model: type[ManifestT]) -> ManifestT:
    """A manifest file as ``model``; a ``RunFileError`` naming the first field that does not fit."""
    try:
        return model.model_validate(read_recorded(path))
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(manifest)"
        raise RunFileError(f"{field}: {first['msg']}", where=str(path)) from error


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    """Nested objects as dotted keys under ``prefix``; an empty object, a list or a scalar is one value."""
    if not isinstance(value, dict) or not value:
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, inner in value.items():
        flat.update(_flatten(inner, f"{prefix}.{key}"))
    return flat


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."
