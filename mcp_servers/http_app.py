"""Serve tasks over streamable HTTP, one MCP endpoint per task.

Routes::

    /mcp                                          the task, when one task is served
    /episodes/<episode_id>/mcp                    the same, a fresh world per episode_id
    /tasks/<task_id>/mcp                          a task's tools
    /tasks/<task_id>/episodes/<episode_id>/mcp    the same tools, a fresh world per episode_id

Any other path, and ``/mcp`` when several tasks are served, is a 404 whose
JSON lists the endpoints that exist.

Episodes (README, "Serving tasks over MCP"; ``mcp_servers.tools``): an
endpoint without an episode in its URL keeps one world per MCP session, so it
speaks the protocol versions that keep sessions (up to 2025-11-25). A request
in the sessionless protocol (2026-07-28) there is answered with JSON-RPC error
-32022 naming the versions it supports: a client negotiating ``auto`` falls
back to a session, a client pinned to 2026-07-28 learns to use an episode URL.
Episode URLs take every protocol version: the URL names the world.

Every request, whatever its path, first passes fastmcp's own checks, wrapped
around the router (``guarded``): a bearer token when one is set (fastmcp's
``StaticTokenVerifier`` and ``RequireAuthMiddleware``: 401), then fastmcp's
``HostOriginGuardMiddleware`` against DNS rebinding, as the MCP specification
advises: an Origin that is not an allowed one, nor loopback on a loopback
request, nor the server's own, gets 403, and a loopback request whose Host is
not a loopback name gets 421. A server bound to a non-loopback address must
have a token (``require_token``, our rule). A POST body is read whole before
the MCP app sees it: one over ``MAX_BODY_BYTES`` is refused with 413, and a
tool call whose arguments repeat a key is marked (``mcp_servers.repeated_keys``).

In-process API (the harness uses it; keep it stable)::

    async with serve_http(tasks, tool_client, host="127.0.0.1", port=0, cache=cache) as running:
        url = running.url_for(task.id, episode_id="run1-task#0")  # http://127.0.0.1:PORT/tasks/...
        ...  # any MCP client; running.simulators[task_id] holds each task's ToolSimulator

``port=0`` binds a free port; ``running.port`` is the real one. ``cache`` is a
``SimCache`` or None (no cache). ``auth_token`` and ``allowed_origins`` are
the checks above.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

import uvicorn
from fastmcp.server.auth.middleware import RequireAuthMiddleware
from fastmcp.server.auth.providers.jwt import StaticTokenVerifier
from fastmcp.server.http import HostOriginGuardMiddleware
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend
from mcp_types import UNSUPPORTED_PROTOCOL_VERSION
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.applications import Starlette
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from button.data_model.task import Task
from button.errors import ConfigError, ToolServerError
from button.llm.client import ModelClient
from mcp_servers.repeated_keys import mark
from mcp_servers.task_server import build_server
from mcp_servers.tools import EPISODE_SCOPE_KEY
from simulator.episodes import EpisodeStore
from simulator.sim_cache import SimCache
from simulator.tool_simulator import ToolSimulator

ROUTE = re.compile(r"^(?:/tasks/(?P<task>[^/]+))?(?:/episodes/(?P<episode>[^/]+))?/mcp/?$")
INNER_PATH = "/mcp"
SHUTDOWN_GRACE_S = 2  # then open streams are closed: a client may hold one forever
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
MAX_BODY_BYTES = 16 * 1024 * 1024  # a request body past this is refused (413), never held


def is_loopback(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_token(host: str, auth_token: str | None) -> None:
    """Refuse to serve off loopback without a bearer token, and any token of blanks."""
    if auth_token is not None and not auth_token.strip():
        raise ConfigError("the token is blank: give one a client cannot guess", where="--auth-token")
    if not is_loopback(host) and not auth_token:
        raise ConfigError(f"binding {host} (not loopback) needs an auth token", where="--auth-token")


class TaskRouter:
    """The ASGI app: hands a request to its task's MCP app (``guarded`` checks it first)."""

    def __init__(self, apps: dict[str, ASGIApp]) -> None:
        self.apps = apps
        self.lifespan_app = Starlette(lifespan=self._lifespan)

    @asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for app in self.apps.values():
                await stack.enter_async_context(app.router.lifespan_context(app))  # type: ignore[attr-defined]
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan_app(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        # Match the undecoded path: an episode id may hold an escaped "/".
        match = ROUTE.match(scope.get("raw_path", scope["path"].encode()).decode("latin-1"))
        app = self.app_for(match["task"]) if match else None
        refusal = self.not_found(scope["path"], headers) if app is None else None
        if refusal is None and match is not None and not match["episode"]:
            refusal = sessionless_refusal(headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        assert match is not None and app is not None
        inner = dict(scope, path=INNER_PATH, raw_path=INNER_PATH.encode(), root_path="")
        if match["episode"]:
            inner[EPISODE_SCOPE_KEY] = unquote(match["episode"])
        if scope["method"] == "POST":
            body = await _read_body(receive)
            if body is None:
                refused = {"error": f"the request body is over {MAX_BODY_BYTES:,} bytes"}
                await JSONResponse(refused, status_code=413)(scope, receive, send)
                return
            receive = _replay(mark(body) or body, receive)
        await app(inner, receive, send)

    def app_for(self, task: str | None) -> ASGIApp | None:
        """The app of a task named in the path; with none named, the only task's."""
        if task is None:
            return next(iter(self.apps.values())) if len(self.apps) == 1 else None
        return self.apps.get(unquote(task))

    def endpoints(self, headers: dict[str, str]) -> list[str]:
        """The URLs of every MCP endpoint (without episodes), as the client addressed us."""
        base = f"http://{headers['host']}" if "host" in headers else ""
        paths = ["/mcp"] if len(self.apps) == 1 else []
        paths += [f"/tasks/{quote(task_id, safe='')}/mcp" for task_id in self.apps]
        return [base + path for path in paths]

    def not_found(self, path: str, headers: dict[str, str]) -> JSONResponse:
        if ROUTE.match(path) and len(self.apps) > 1 and "/tasks/" not in path:
            what = f"{len(self.apps)} tasks are served, each at its own endpoint; {path} serves one task only"
        else:
            what = f"no MCP endpoint at {path}"
        episodes = "add /episodes/<episode_id> before /mcp for a world of your own"
        body = {"error": what, "endpoints": self.endpoints(headers), "episodes": episodes}
        return JSONResponse(body, status_code=404)


def guarded(app: ASGIApp, *, auth_token: str | None, allowed_origins: Sequence[str]) -> ASGIApp:
    """``app`` behind fastmcp's bearer-token and Host/Origin checks (see the module docstring).

    The allowed origins are always passed, an empty list too: fastmcp then checks the
    Origin of every request, not only those of a server bound to loopback."""
    checked: ASGIApp = HostOriginGuardMiddleware(app, allowed_origins=list(allowed_origins), mode="auto")
    if auth_token is None:
        return checked
    verifier = StaticTokenVerifier({auth_token: {"client_id": "button", "scopes": []}})
    return AuthenticationMiddleware(
        RequireAuthMiddleware(checked, required_scopes=[]), backend=BearerAuthBackend(verifier)
    )


async def _read_body(receive: Receive) -> bytes | None:
    """A request's whole body, or None past ``MAX_BODY_BYTES`` (what was read is dropped)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` whole, then whatever the client sends next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def sessionless_refusal(headers: dict[str, str]) -> JSONResponse | None:
    """A JSON-RPC -32022 for a sessionless (2026-07-28) request at an endpoint without an episode."""
    version = headers.get("mcp-protocol-version")
    if version is None or version in HANDSHAKE_PROTOCOL_VERSIONS:
        return None
    message = (
        "this endpoint keeps one world per MCP session: connect with a protocol version that has "
        "sessions, or use /episodes/<episode_id>/mcp, which takes any version"
    )
    error = {
        "code": UNSUPPORTED_PROTOCOL_VERSION,
        "message": message,
        "data": {"supported": list(HANDSHAKE_PROTOCOL_VERSIONS), "requested": version},
    }
    return JSONResponse({"jsonrpc": "2.0", "id": None, "error": error}, status_code=400)


def build_http_app(
    simulators: dict[str, ToolSimulator],
    *,
    auth_token: str | None = None,
    allowed_origins: Sequence[str] = (),
) -> ASGIApp:
    """The ASGI app serving every simulator's task at ``/tasks/<task_id>/mcp``. The checks
    wrap the router once, so each task's app leaves its own Host/Origin guard off."""
    apps: dict[str, ASGIApp] = {
        task_id: build_server(simulator).http_app(path=INNER_PATH, host_origin_protection=False)
        for task_id, simulator in simulators.items()
    }
    return guarded(TaskRouter(apps), auth_token=auth_token, allowed_origins=allowed_origins)


def base_url(host: str, port: int) -> str:
    """``http://HOST:PORT`` as a client on this machine reaches a server bound to ``host``."""
    host = "127.0.0.1" if host in {"0.0.0.0", ""} else host
    host = "[::1]" if host == "::" else f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}"


@dataclass
class RunningServer:
    """A running HTTP server; its URLs and its simulators."""

    host: str
    port: int
    simulators: dict[str, ToolSimulator] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return base_url(self.host, self.port)

    def url_for(self, task_id: str, episode_id: str | None = None) -> str:
        """The MCP endpoint of a task; with ``episode_id``, its own fresh world."""
        if task_id not in self.simulators:
            raise ConfigError(f"no such task {task_id!r}", where="url_for")
        episode = f"/episodes/{quote(episode_id, safe='')}" if episode_id is not None else ""
        return f"{self.base_url}/tasks/{quote(task_id, safe='')}{episode}/mcp"


class _EmbeddedUvicorn(uvicorn.Server):
    """A uvicorn server that leaves the host program's signal handlers alone."""

    def install_signal_handlers(self) -> None:
        return None

    def capture_signals(self) -> Any:
        return _NoSignals()


class _NoSignals:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@asynccontextmanager
async def serve_http(
    tasks: Sequence[Task],
    tool_client: ModelClient,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    cache: SimCache | None = None,
    auth_token: str | None = None,
    allowed_origins: Sequence[str] = (),
) -> AsyncIterator[RunningServer]:
    """Serve ``tasks`` over streamable HTTP while the block runs (see the module docstring)."""
    require_token(host, auth_token)
    episodes = EpisodeStore()  # one byte budget for every task served
    simulators = {task.id: ToolSimulator(task, tool_client, cache=cache, episodes=episodes) for task in tasks}
    app = build_http_app(simulators, auth_token=auth_token, allowed_origins=allowed_origins)
    listener = _bind(host, port)
    server = _EmbeddedUvicorn(
        uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
    )
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if serving.done():
                raise ToolServerError("the HTTP server stopped while starting", where=f"{host}:{port}")
            await asyncio.sleep(0.02)
        yield RunningServer(host=host, port=listener.getsockname()[1], simulators=simulators)
    finally:
        server.should_exit = True
        await asyncio.gather(serving, return_exceptions=True)
        listener.close()


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket (our own, so a taken port is an error here, not uvicorn's exit)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(
        socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
    )  # accepted sockets inherit it: no 40 ms Nagle stalls
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise ToolServerError(f"cannot listen: {error.strerror or error}", where=f"{host}:{port}") from error
    listener.listen(128)
    listener.setblocking(False)
    return listener
