"""``$ref`` in task schemas: only refs inside the same schema resolve; nothing is read or fetched."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from button.cli.main import main
from button.errors import TaskFileError
from button.validation.schemas import all_errors, first_error, schema_problem
from button.validation.taskfile import load_tasks
from tests.conftest import TASKS_FILE

SECRET = "top-secret-file-content-4242"


class Tripwire:
    """A loopback HTTP server that records every request: any request fails the test."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                body = json.dumps({"type": "string", "description": SECRET}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/schema.json"


@pytest.fixture
def tripwire() -> Iterator[Tripwire]:
    wire = Tripwire()
    wire.thread.start()
    try:
        yield wire
    finally:
        wire.server.shutdown()
        wire.server.server_close()
    assert wire.hits == [], f"the schema server was contacted: {wire.hits}"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.json"
    path.write_text(json.dumps({"type": "string", "description": SECRET}))
    return path


def task_with_ref(ref: str, where: str) -> dict[str, Any]:
    """The first fixture task with ``origin`` of search_flights (or its result's ``flight_id``) a ``$ref``."""
    task: dict[str, Any] = json.loads(TASKS_FILE.read_text().splitlines()[0])
    spec = task["functions"][0]
    if where == "parameters":
        spec["function"]["parameters"]["properties"]["origin"] = {"$ref": ref}
    else:
        spec["returns"]["properties"]["flight_id"] = {"$ref": ref}
    return task


@pytest.mark.parametrize("where", ["parameters", "returns"])
@pytest.mark.parametrize("kind", ["http", "file", "relative"])
def test_a_foreign_ref_is_a_validation_error_naming_it_and_is_never_followed(
    kind: str,
    where: str,
    tripwire: Tripwire,
    secret_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ref = {"http": tripwire.url, "file": secret_file.as_uri(), "relative": "secret.json"}[kind]
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps(task_with_ref(ref, where)) + "\n")
    code = main(["tasks", "validate", str(tasks)])
    out, err = capsys.readouterr()
    assert code == 2
    field = "function.parameters" if where == "parameters" else "returns"
    assert f"{tasks}:1: functions[0].{field}: $ref {ref!r} points outside this schema" in err
    assert SECRET not in out + err
    assert "Traceback" not in out + err
    with pytest.raises(TaskFileError, match="points outside this schema") as caught:
        load_tasks(tasks)
    assert SECRET not in str(caught.value)


def test_checking_values_against_a_schema_with_a_foreign_ref_never_follows_it(
    tripwire: Tripwire, secret_file: Path
) -> None:
    """The validators themselves refuse, even for a schema that skipped task validation."""
    for ref in (tripwire.url, secret_file.as_uri()):
        schema = {"type": "object", "properties": {"a": {"$ref": ref}}}
        problems = all_errors(schema, {"a": 5})
        assert problems == [([], f"the schema's {ref!r} does not resolve inside the schema")]
        assert first_error(schema, {"a": 5}) == ("", problems[0][1])
        assert SECRET not in json.dumps(problems)


def test_refs_inside_the_schema_keep_working() -> None:
    schema = {
        "type": "object",
        "properties": {"when": {"$ref": "#/$defs/date"}, "again": {"$ref": "#/properties/when"}},
        "$defs": {"date": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}},
    }
    assert schema_problem(schema) is None
    assert first_error(schema, {"when": "2026-12-08", "again": "2026-12-09"}) is None
    assert first_error(schema, {"when": "12/08/2026"}) == (
        "when",
        "'12/08/2026' does not match '^\\\\d{4}-\\\\d{2}-\\\\d{2}$'",
    )
    tree = {"type": "object", "properties": {"child": {"$ref": "#"}, "n": {"type": "integer"}}}
    assert first_error(tree, {"child": {"child": {"n": "x"}}}) == (
        "child.child.n",
        "'x' is not of type 'integer'",
    )


def test_a_local_ref_to_nowhere_is_named() -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}
    assert schema_problem(schema) == "$ref '#/$defs/missing' does not resolve inside this schema"
