"""The venue's one port: Starlette under uvicorn, REST and WebSocket streams together.

The engine is synchronous and guarded by one lock, so every handler that touches it runs on a
single engine thread (`ENGINE`): the event loop never blocks on SQLite's fsync, and requests
queue in front of the lock in one place instead of in a pool of threads all waiting on it.
Pings and times answer on the loop itself.

Replies leave in at most two writes (head, then body) on sockets with TCP_NODELAY (asyncio sets
it on every accepted TCP socket), so the Nagle + delayed-ACK stall of the old hand-written
server (~40 ms per keep-alive request when head and body went separately) cannot occur;
tests/paper_exchange/test_asgi.py holds the latency to that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute

from .eventclock import now_ms
from .server import (
    EVENTS_PATH,
    LOCK_FREE,
    MARKET_ONLY,
    Reply,
    Venue,
    admin,
    admit,
    dispatch,
    events,
    fault_reply,
    is_admin,
)
from .streams import StreamHub

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]
METHODS = ["GET", "POST", "PUT", "DELETE"]


def _response(reply: Reply) -> Response:
    return Response(
        reply.payload(),
        status_code=reply.status,
        headers=reply.headers,
        media_type="application/json",
    )


class TransportScope:
    """Keeps uvicorn's transport in the scope: the `drop` fault must close the connection
    without any reply, which ASGI itself cannot express (an app that sends nothing gets a 500
    written for it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope["paper.transport"] = getattr(getattr(send, "__self__", None), "transport", None)
        await self.app(scope, receive, send)


def build_app(venue: Venue, hub: StreamHub) -> ASGIApp:
    engine_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paper-engine")
    market_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paper-market")

    async def on_engine(call: Callable[[], Reply]) -> Reply:
        return await asyncio.get_running_loop().run_in_executor(engine_thread, call)

    async def on_market(call: Callable[[], Reply]) -> Reply:
        return await asyncio.get_running_loop().run_in_executor(market_thread, call)

    async def http(request: Request) -> Response:
        arrived = now_ms()  # before the body and the engine queue: the order's arrival
        method, path = request.method, request.url.path
        query = request.scope.get("query_string", b"").decode("latin-1")
        body = (await request.body()).decode() if method != "GET" else ""
        if method == "POST" and path == "/fapi/v1/order":
            venue.events.order_received(arrived, query, body)
        if is_admin(path):
            token = request.headers.get("X-PAPER-ADMIN-TOKEN", "")
            if path == EVENTS_PATH and method == "GET":
                return _response(events(venue, query, token))
            reply = await on_engine(lambda: admin(venue, method, path, body, token))
            if path == "/paper/v1/price" and reply.status == 200:
                hub.marks_moved()  # an admin move reaches mark subscribers now, not next beat
            return _response(reply)
        ip = request.client.host if request.client else ""
        gate = admit(venue, method, path, query, ip)
        if gate.reply is not None:
            return _response(gate.reply)
        assert gate.route is not None
        fault = gate.fault
        if fault and not fault.accept_first:
            return await _fail(request, fault, gate.headers)
        key = request.headers.get("X-MBX-APIKEY")
        route = gate.route

        def run() -> Reply:
            return dispatch(venue, method, path, route, query, body, key, gate.headers)

        if path in LOCK_FREE:
            reply = run()
        elif path in MARKET_ONLY:
            reply = await on_market(run)
        else:
            reply = await on_engine(run)
        if fault:
            return await _fail(request, fault, gate.headers)
        return _response(reply)

    async def _fail(request: Request, fault: Any, headers: dict[str, str]) -> Response:
        if fault.kind == "timeout":
            await asyncio.sleep(fault.delay)
        reply = fault_reply(fault, headers)
        if reply is None:
            transport = request.scope.get("paper.transport")
            if transport is not None:
                transport.abort()  # no reply at all: the caller cannot know the outcome
            return Response(status_code=500)  # written nowhere: the transport is gone
        return _response(reply)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        hub.start(asyncio.get_running_loop())
        try:
            yield
        finally:
            await hub.stop()
            engine_thread.shutdown(wait=True)
            market_thread.shutdown(wait=True)

    routes: list[Any] = []
    for prefix in ("", "/market", "/public", "/private"):
        routes += [
            WebSocketRoute(f"{prefix}/ws", hub.serve),
            WebSocketRoute(f"{prefix}/ws/{{streams:path}}", hub.serve),
            WebSocketRoute(f"{prefix}/stream", hub.serve),
        ]
    routes.append(Route("/{path:path}", http, methods=METHODS))
    return TransportScope(Starlette(routes=routes, lifespan=lifespan))
