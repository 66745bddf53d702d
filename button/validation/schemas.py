"""JSON Schema checks shared by every part: is a schema valid, and the first way a value fails one.

Schemas come from task files, so they are untrusted: a ``$ref`` resolves only
inside the same schema document (``#`` or ``#/...``). Any other reference
(``file://``, ``http://``, a relative name) is a problem naming the ref, and it
is never read or fetched: every validator is built on a ``referencing``
registry whose retrieve function refuses.

Checks are cached by content (the canonical JSON of the schema): a task file
repeats the same few schemas many times, and the simulator and the scorer
check the same schemas on every call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from button.data_model.json_types import JsonSchema
from button.errors import clip

REF_KEYWORDS = ("$ref", "$dynamicRef")
MESSAGE_LIMIT = 500  # characters of a problem's message; longer ones have the bad value clipped
VALUE_LIMIT = 120  # characters of the bad value quoted in a clipped message
_META = Draft202012Validator(Draft202012Validator.META_SCHEMA)  # the metaschema's validator, built once


def _refuse(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # an attrs class


NO_RETRIEVAL: Registry[Any] = Registry(retrieve=_refuse)  # type: ignore[call-arg]  # an attrs class


def schema_problem(schema: JsonSchema) -> str | None:
    """Why ``schema`` is not a valid JSON Schema (Draft 2020-12) we accept, or None."""
    return _schema_problem(_canonical(schema))


def first_error(schema: JsonSchema, value: Any) -> tuple[str, str] | None:
    """The first problem of ``value`` against ``schema``, as (dotted field path or "", message)."""
    errors = sorted(all_errors(schema, value), key=lambda error: [str(part) for part in error[0]])
    if not errors:
        return None
    path, message = errors[0]
    return ".".join(str(part) for part in path), message


def all_errors(schema: JsonSchema, value: Any) -> list[tuple[list[str | int], str]]:
    """Every problem of ``value`` against ``schema``, as (path parts, message).

    A reference that does not resolve inside the schema is a problem at the top
    level, never a lookup elsewhere."""
    validator = _validator(_canonical(schema))
    try:
        return [(list(error.absolute_path), _message(error)) for error in validator.iter_errors(value)]
    except Unresolvable as error:
        return [([], f"the schema's {error.ref!r} does not resolve inside the schema")]
    except RecursionError:
        return [([], "the value or the schema is nested too deeply to check")]


def _message(error: ValidationError) -> str:
    """jsonschema's message, the bad value in it clipped with its size said (a 1 MB
    argument would otherwise come back whole in every error about it)."""
    message = str(error.message)
    if len(message) <= MESSAGE_LIMIT:
        return message
    quoted = repr(error.instance)
    if quoted in message:
        return message.replace(quoted, clip(quoted, VALUE_LIMIT))
    return clip(message, MESSAGE_LIMIT)


def refs(schema: Any) -> Iterator[str]:
    """Every ``$ref`` and ``$dynamicRef`` in a schema, in document order."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in REF_KEYWORDS:
                if isinstance(node.get(key), str):
                    yield node[key]
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))


def is_local_ref(ref: str) -> bool:
    """A reference into the same document: ``#`` or a ``#/...`` pointer (or ``#anchor``)."""
    return ref.startswith("#")


@lru_cache(maxsize=4096)
def _schema_problem(canonical_schema: str) -> str | None:
    schema = json.loads(canonical_schema)
    try:
        error = best_match(_META.iter_errors(schema))
    except RecursionError:
        return "not a valid JSON Schema: nested too deeply"
    if error is not None:
        where = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        return f"not a valid JSON Schema: {error.message} (at {where})"
    for ref in refs(schema):
        if not is_local_ref(ref):
            return f"$ref {ref!r} points outside this schema; only refs inside it ('#/...') are allowed"
    resolver = NO_RETRIEVAL.with_resource("", Resource.from_contents(schema, DRAFT202012)).resolver()
    for ref in refs(schema):
        try:
            resolver.lookup(ref)
        except Unresolvable:
            return f"$ref {ref!r} does not resolve inside this schema"
    return None


@lru_cache(maxsize=4096)
def _validator(canonical_schema: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(canonical_schema), registry=NO_RETRIEVAL)


def _canonical(schema: JsonSchema) -> str:
    return json.dumps(schema, sort_keys=True)
