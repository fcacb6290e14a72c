"""Binance USD-M WebSocket streams on the venue's port: market streams and user data.

Paths as Binance routes them: `/market` (marks, klines, trades), `/public` (book data),
`/private` (user data), each with `/ws/<stream>` (raw events) and `/stream?streams=a/b` (the
`{"stream","data"}` envelope); the legacy unrouted `/ws` and `/stream` carry every stream
(python-binance's managers use them). A stream asked for on the wrong route is accepted and
never delivered, as on Binance. Live `SUBSCRIBE` / `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS`.

Everything here runs on the event loop. Market events are computed on a beat (every engine
tick, and at once when an admin control moves a price); user events come from the engine's
thread through `publish`, which hands them to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from .engine import public
from .engine.book import ASKS, BIDS
from .market import FUNDING_INTERVAL_MS, POINT_MS
from .params import Params
from .symbols import SYMBOLS

if TYPE_CHECKING:
    from .server import Venue

log = logging.getLogger(__name__)

STREAM_RE = re.compile(
    r"^(?P<symbol>[a-z0-9]+)@(?P<kind>markPrice(?:@1s)?|kline_(?P<interval>\w+)|aggTrade|"
    r"bookTicker)$"
)
ARR_STREAMS = ("!markPrice@arr", "!markPrice@arr@1s")
PUBLIC_KINDS = ("bookTicker",)  # Binance's /public route: high-frequency book data
KLINE_EVERY_S = 0.25  # Binance pushes kline updates every 250 ms
QUEUE_LIMIT = 10_000  # a reader this far behind is cut off instead of growing the venue
MAX_STREAMS = 1024  # per connection, as Binance


def mark_cadence(stream: str) -> float:
    return 1.0 if stream.endswith("@1s") else 3.0


def category(stream: str) -> str | None:
    """'market' or 'public' for a valid market stream name, else None."""
    if stream in ARR_STREAMS:
        return "market"
    match = STREAM_RE.match(stream)
    if not match or match["symbol"].upper() not in SYMBOLS:
        return None
    if match["interval"] is not None and match["interval"] not in public.INTERVALS_MS:
        return None
    return "public" if match["kind"] in PUBLIC_KINDS else "market"


@dataclass(eq=False)
class Connection:
    ws: WebSocket
    route: str  # "", "market", "public" or "private"
    path: str
    combined: bool
    streams: list[str] = field(default_factory=list)
    accounts: dict[str, int] = field(default_factory=dict)  # listen key -> account id
    queue: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    stall_until: float = 0.0

    def delivers(self, stream: str) -> bool:
        if self.route in ("", stream_route(stream)):
            return stream in self.streams
        return False

    def push(self, stream: str, data: Any) -> None:
        text = json.dumps(
            {"stream": stream, "data": data} if self.combined else data, separators=(",", ":")
        )
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            log.warning("stream reader on %s too slow: closing it", self.path)
            self.close_soon()

    def drop(self) -> None:
        """Close now: whatever is queued is never sent."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.close_soon()

    def close_soon(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)


def stream_route(stream: str) -> str:
    cat = category(stream)
    return cat if cat is not None else "private"


class StreamHub:
    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self.engine = venue.engine
        self.connections: set[Connection] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._marks_forced = False
        self._task: asyncio.Task[None] | None = None
        self._mark_sent: dict[str, float] = {}
        self._kline_sent: dict[str, tuple[float, int]] = {}
        self._tape_sent: dict[str, Any] = {}
        self._book: dict[str, tuple[str, str, str, str]] = {}
        self._book_id = 0

    # --- lifecycle (called from the loop) ----------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._wake = asyncio.Event()
        self.engine.journal.sink = self.publish
        self._task = loop.create_task(self._run(), name="paper-streams")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for conn in list(self.connections):
            conn.close_soon()

    # --- wake-ups (thread-safe) --------------------------------------------------------------
    def wake(self) -> None:
        """The engine ticked: marks may have moved, orders may have filled."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._wake.set)

    def marks_moved(self) -> None:
        """An admin control moved a price: every mark stream gets an event now."""
        self._marks_forced = True
        self.wake()

    def publish(self, events: list[tuple[int, dict[str, Any]]]) -> None:
        """User events of a committed transaction (engine thread) -> the loop."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._deliver, events)

    def _deliver(self, events: list[tuple[int, dict[str, Any]]]) -> None:
        for conn in self.connections:
            if conn.route not in ("", "private"):
                continue
            for key, account_id in conn.accounts.items():
                for owner, event in events:
                    if owner == account_id:
                        conn.push(key, event)

    def _expire_listen_keys(self) -> None:
        for conn in list(self.connections):
            for key in [k for k in conn.accounts if not self.engine.listen_key_alive(k)]:
                del conn.accounts[key]
                conn.push(key, {"e": "listenKeyExpired", "E": self._now(), "listenKey": key})
                if not conn.accounts and not conn.streams:
                    conn.close_soon()

    # --- connections -------------------------------------------------------------------------
    async def serve(self, ws: WebSocket) -> None:
        path = ws.url.path
        route = path.strip("/").split("/", 1)[0]
        route = route if route in ("market", "public", "private") else ""
        combined = path.rstrip("/").endswith("/stream")
        names: list[str] = []
        if combined:
            names = [s for s in ws.query_params.get("streams", "").split("/") if s]
        elif "streams" in ws.path_params:
            names = [s for s in ws.path_params["streams"].split("/") if s]
        await ws.accept()
        conn = Connection(ws=ws, route=route, path=path, combined=combined)
        for name in names:
            self._add(conn, name)
        self.connections.add(conn)
        writer = asyncio.create_task(self._write(conn))
        lifetime = asyncio.get_running_loop().call_later(
            self.venue.config.ws_lifetime, conn.close_soon
        )
        try:
            while True:
                text = await ws.receive_text()
                reply = self._command(conn, text)
                if reply is not None:
                    conn.queue.put_nowait(json.dumps(reply, separators=(",", ":")))
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            lifetime.cancel()
            self.connections.discard(conn)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    def _add(self, conn: Connection, name: str) -> bool:
        if category(name) is None:
            acc = self.engine.account_for_listen_key(name)
            if acc is None:
                return False
            conn.accounts[name] = acc.id
            return True
        if name not in conn.streams and len(conn.streams) < MAX_STREAMS:
            conn.streams.append(name)
        return True

    def _command(self, conn: Connection, text: str) -> dict[str, Any] | None:
        try:
            doc = json.loads(text)
        except ValueError:
            return {"error": {"code": 3, "msg": "Invalid JSON: expected value"}, "id": None}
        if not isinstance(doc, dict):
            return {"error": {"code": 2, "msg": "Invalid request: not an object"}, "id": None}
        ident = doc.get("id")
        method = doc.get("method")
        params = doc.get("params", [])
        if not isinstance(ident, int | str) or isinstance(ident, bool):
            return {
                "error": {
                    "code": 2,
                    "msg": "Invalid request: request ID must be an unsigned integer",
                },
                "id": ident,
            }
        if method == "LIST_SUBSCRIPTIONS":
            return {"result": list(conn.streams), "id": ident}
        if method not in ("SUBSCRIBE", "UNSUBSCRIBE"):
            return {
                "error": {
                    "code": 2,
                    "msg": "Invalid request: unknown variant "
                    f"`{method}`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, "
                    "`LIST_SUBSCRIPTIONS`",
                },
                "id": ident,
            }
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            return {
                "error": {"code": 1, "msg": "Invalid value type: expected list of strings"},
                "id": ident,
            }
        bad = [p for p in params if category(p) is None]
        if bad:
            return {
                "error": {"code": 2, "msg": f"Invalid request: invalid stream name `{bad[0]}`"},
                "id": ident,
            }
        for name in params:
            if method == "SUBSCRIBE":
                self._add(conn, name)
            elif name in conn.streams:
                conn.streams.remove(name)
        if method == "SUBSCRIBE":
            self._marks_forced = True  # a new mark subscriber hears the mark at once
            self._wake.set()
        return {"result": None, "id": ident}

    async def _write(self, conn: Connection) -> None:
        try:
            while True:
                text = await conn.queue.get()
                if text is None:
                    break
                wait = conn.stall_until - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                await conn.ws.send_text(text)
        except (RuntimeError, OSError, WebSocketDisconnect):
            pass
        finally:
            if conn.ws.application_state == WebSocketState.CONNECTED:
                with contextlib.suppress(RuntimeError, OSError):
                    await conn.ws.close()

    # --- the beat ----------------------------------------------------------------------------
    async def _run(self) -> None:
        interval = self.venue.config.tick_seconds
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=interval)
            self._wake.clear()
            try:
                self._apply_faults()
                self._expire_listen_keys()
                self._beat()
            except Exception:
                log.exception("stream beat failed")

    def _apply_faults(self) -> None:
        for conn in list(self.connections):
            fault = self.venue.faults.take("GET", conn.path)
            if fault is None:
                continue
            if fault.kind == "timeout":
                conn.stall_until = time.monotonic() + fault.delay
            else:  # drop and error: the socket goes, the client must reconnect
                self.connections.discard(conn)
                conn.drop()

    def _beat(self) -> None:
        wanted: dict[str, list[Connection]] = {}
        for conn in self.connections:
            for stream in conn.streams:
                if conn.delivers(stream):
                    wanted.setdefault(stream, []).append(conn)
        if not wanted:
            self._marks_forced = False
            return
        forced, self._marks_forced = self._marks_forced, False
        now_wall = time.monotonic()
        for stream, conns in wanted.items():
            data = self._event(stream, now_wall, forced)
            for item in data:
                for conn in conns:
                    conn.push(stream, item)
                self._stamp(item)
        self._forget(set(wanted))

    def _stamp(self, item: Any) -> None:
        """A symbol's mark or closed kline just queued for its sockets: the venue's clock
        notes it (eventclock.py), once per event however many connections carry it."""
        if not isinstance(item, dict):
            return  # !markPrice@arr: the desk reads per-symbol streams
        if item.get("e") == "markPriceUpdate":
            self.venue.events.sent(item["s"], "mark", item["p"])
        elif item.get("e") == "kline" and item["k"]["x"]:
            self.venue.events.sent(item["s"], "kline", str(item["k"]["t"]))

    def _forget(self, live: set[str]) -> None:
        for cache in (self._mark_sent, self._kline_sent, self._tape_sent):
            for stream in [s for s in cache if s not in live]:
                del cache[stream]

    def _event(self, stream: str, now_wall: float, forced: bool) -> list[Any]:
        """The events due on `stream` now (usually none or one)."""
        if stream in ARR_STREAMS or "@markPrice" in stream:
            last = self._mark_sent.get(stream)
            if not forced and last is not None and now_wall - last < mark_cadence(stream):
                return []
            self._mark_sent[stream] = now_wall
            if stream in ARR_STREAMS:
                return [[self._mark(symbol) for symbol in SYMBOLS]]
            return [self._mark(stream.split("@", 1)[0].upper())]
        symbol, kind = stream.split("@", 1)
        symbol = symbol.upper()
        if kind.startswith("kline_"):
            return self._klines(stream, symbol, kind.removeprefix("kline_"), now_wall)
        if kind == "aggTrade":
            return self._agg_trades(stream, symbol)
        return self._book_ticker(symbol)

    def _now(self) -> int:
        return self.engine.clock.now_ms()

    def _mark(self, symbol: str) -> dict[str, Any]:
        now = self._now()
        market = self.engine.market
        next_funding = (now // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS
        mark = market.mark(symbol, now)
        return {
            "e": "markPriceUpdate",
            "E": self._now(),
            "s": symbol,
            "p": f"{mark:.8f}",
            "i": f"{market.index(symbol, now):.8f}",
            "P": f"{mark:.8f}",
            "r": f"{market.funding_rate(symbol, next_funding):.8f}",
            "T": next_funding,
        }

    def _klines(self, stream: str, symbol: str, interval: str, now_wall: float) -> list[Any]:
        sent = self._kline_sent.get(stream)
        candles = public.candles(
            self.engine, Params([("interval", interval), ("limit", "2")]), symbol
        )
        if not candles:
            return []
        current = candles[-1]
        out = []
        if sent is not None and sent[1] != current.open_ms and len(candles) > 1:
            out.append(self._kline(symbol, interval, candles[-2], closed=True))
        elif sent is not None and now_wall - sent[0] < KLINE_EVERY_S:
            return []
        self._kline_sent[stream] = (now_wall, current.open_ms)
        out.append(self._kline(symbol, interval, current, closed=False))
        return out

    def _kline(
        self, symbol: str, interval: str, candle: public.Candle, *, closed: bool
    ) -> dict[str, Any]:
        spec = SYMBOLS[symbol]
        row = candle.bar.row(spec, candle.close_ms)
        now = self._now()
        first = candle.open_ms // POINT_MS + 1
        last = min(candle.close_ms, now) // POINT_MS
        return {
            "e": "kline",
            "E": now,
            "s": symbol,
            "k": {
                "t": candle.open_ms,
                "T": candle.close_ms,
                "s": symbol,
                "i": interval,
                "f": first,
                "L": max(first, last),
                "o": row[1],
                "c": row[4],
                "h": row[2],
                "l": row[3],
                "v": row[5],
                "n": row[8],
                "x": closed,
                "q": row[7],
                "V": row[9],
                "Q": row[10],
                "B": "0",
            },
        }

    def _agg_trades(self, stream: str, symbol: str) -> list[Any]:
        spec = SYMBOLS[symbol]
        last_id = self._now() // POINT_MS
        sent = self._tape_sent.get(stream)
        self._tape_sent[stream] = last_id
        if sent is None or last_id <= sent:
            return []
        ids = range(max(sent + 1, last_id - 20), last_id + 1)  # a long stall sends the recent
        return [
            {
                "e": "aggTrade",
                "E": self._now(),
                "s": symbol,
                "a": i,
                "p": spec.fmt_price(price),
                "q": spec.fmt_qty(qty),
                "f": i,
                "l": i,
                "T": t,
                "m": maker,
            }
            for i, t, price, qty, maker in public._tape(self.engine, spec, ids)
        ]

    def _book_ticker(self, symbol: str) -> list[Any]:
        spec = SYMBOLS[symbol]
        now = self._now()
        bid, bid_qty = self.engine.book.top(symbol, BIDS, now)
        ask, ask_qty = self.engine.book.top(symbol, ASKS, now)
        # Binance pushes when the best price or quantity on either side changes.
        top = (
            spec.fmt_price(bid),
            spec.fmt_qty(bid_qty),
            spec.fmt_price(ask),
            spec.fmt_qty(ask_qty),
        )
        if self._book.get(symbol) == top:
            return []
        self._book[symbol] = top
        self._book_id += 1
        return [
            {
                "e": "bookTicker",
                "u": self._book_id,
                "E": self._now(),
                "T": now,
                "s": symbol,
                "b": top[0],
                "B": top[1],
                "a": top[2],
                "A": top[3],
            }
        ]
