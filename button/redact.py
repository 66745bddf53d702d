"""Secrets never leave the process: one place that removes them from text.

``remember`` registers a secret (an API key, the password in a base URL) as soon
as a client is made; ``clean`` removes every registered secret and every URL's
credentials from a text; ``public_url`` is a URL as it may be shown or written
(user and password replaced, secret-looking query values too). Everything
written (manifests, trajectories) or printed (error lines) passes through them:
``EndpointConfig.public``, ``ModelClient`` (its endpoint info and its errors)
and the CLI's error line.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

HIDDEN = "***"
MIN_SECRET = 6  # shorter values ("x", "none") are no secret and would blank ordinary words
_SECRET_PARAMS = re.compile(r"key|token|secret|password|sig", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@")
_secrets: set[str] = set()


def remember(secret: str | None) -> None:
    if secret and len(secret) >= MIN_SECRET:
        _secrets.add(secret)


def remember_url(url: str | None) -> None:
    """The user and password of a URL, if it has them."""
    if not url:
        return
    try:
        parts = urlsplit(url)
        remember(parts.password)
        remember(parts.username if parts.password is None else None)
        for name, value in parse_qsl(parts.query):
            if _SECRET_PARAMS.search(name):
                remember(value)
    except ValueError:
        return


def public_url(url: str) -> str:
    """``url`` without its credentials: ``http://user:KEY@host/v1`` -> ``http://***@host/v1``."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = f"{HIDDEN}@{netloc.rsplit('@', 1)[1]}"
        query = urlencode(
            [(k, HIDDEN if _SECRET_PARAMS.search(k) else v) for k, v in parse_qsl(parts.query, True)],
            safe="*",
        )
        return clean(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))
    except ValueError:
        return clean(_URL_CREDENTIALS.sub(rf"\g<scheme>{HIDDEN}@", url))


def clean(text: str) -> str:
    """``text`` with every remembered secret and every URL's credentials replaced by ``***``."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, HIDDEN)
    return _URL_CREDENTIALS.sub(rf"\g<scheme>{HIDDEN}@", text) if "@" in text else text
