"""The stream client: Binance USD-M websockets, market streams and user data, one thread per
connection (docs/trading.md, "Reactors").

Each connection runs `StreamConnection.run` until its stop event: connect, call `on_open` (the
caller's REST backfill: a reconnect leaves no gap), parse every message into a report
(apps/exchange/reports.py) and hand it to `handle`; on any failure reconnect after a capped,
jittered backoff. Its state goes to the Redis hash the health check reads
(keys.exchange_stream_state: state, connected_ms, last_event_ms, reconnects, last_error).

What to do with an event is the caller's (`manage.py stream` wires marks and klines to the market
services); the user data stream's reports go to quantum:stream:exchange.user:<account> from here,
since they are the exchange's own facts.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from websockets.sync.client import connect

from apps.core import keys
from apps.core.redis import get_redis
from apps.core.timeutil import to_ms, utcnow
from apps.exchange.errors import LISTEN_KEY_MISSING, FatalExchangeError, PayloadError
from apps.exchange.gateway import Gateway
from apps.exchange.reports import (
    AccountUpdateReport,
    ListenKeyExpired,
    OrderUpdateReport,
    StreamEvent,
    report_dumps,
    stream_event_parse,
)

logger = logging.getLogger(__name__)

# Binance serves REST and websockets on different hosts; any other venue (the paper exchange)
# serves both on one port.
WS_HOSTS = {
    "fapi.binance.com": "fstream.binance.com",
    "testnet.binancefuture.com": "stream.binancefuture.com",
}

RECV_TIMEOUT_SECONDS = 1.0  # how often a quiet connection checks its stop event and keepalive


class Reconnect(Exception):  # noqa: N818 - a signal to the loop, not an error to report
    """Leave this connection and open a new one (a lapsed listen key, say)."""


def ws_base(base_url: str) -> str:
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    host = WS_HOSTS.get(parts.hostname or "", parts.netloc)
    return f"{scheme}://{host}"


def market_url(*, base_url: str, symbols: list[str], interval: str) -> str:
    """One combined connection for every symbol's mark (each second) and kline."""
    names = [
        n for s in symbols for n in (f"{s.lower()}@markPrice@1s", f"{s.lower()}@kline_{interval}")
    ]
    return f"{ws_base(base_url)}/market/stream?streams={'/'.join(names)}"


def user_url(*, base_url: str, listen_key: str) -> str:
    return f"{ws_base(base_url)}/private/ws/{listen_key}"


class Backoff:
    """Doubling from `first` up to `cap`, each delay drawn from its upper half (jitter: the
    desk's connections, dropped together, do not all come back in the same instant)."""

    def __init__(self, *, first: float, cap: float) -> None:
        self.first, self.cap, self.failures = first, cap, 0

    def next(self) -> float:
        delay = min(self.cap, self.first * 2**self.failures)
        self.failures += 1
        return random.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.failures = 0


class ConnectionState:
    """The connection's hash as apps.ops.selectors.events_health reads it."""

    def __init__(self, name: str) -> None:
        self.key = keys.exchange_stream_state(name)

    def _set(self, **fields: object) -> None:
        get_redis().hset(self.key, mapping={k: str(v) for k, v in fields.items()})

    def connecting(self) -> None:
        self._set(state="connecting")

    def connected(self, *, reconnect: bool) -> None:
        pipe = get_redis().pipeline()
        pipe.hset(self.key, mapping={"state": "connected", "connected_ms": to_ms(utcnow())})
        # counted once a connection comes back, so a flapping link shows even while it is up
        pipe.hincrby(self.key, "reconnects", 1 if reconnect else 0)
        pipe.execute()

    def event(self) -> None:
        get_redis().hset(self.key, "last_event_ms", to_ms(utcnow()))

    def down(self, error: str) -> None:
        self._set(state="down", last_error=error[:500])

    def stopped(self) -> None:
        self._set(state="stopped")


class StreamConnection:
    def __init__(
        self,
        *,
        name: str,
        url: Callable[[], str],
        handle: Callable[[StreamEvent], None],
        stop: threading.Event,
        on_open: Callable[[], None] = lambda: None,
        on_idle: Callable[[], None] = lambda: None,
        on_close: Callable[[], None] = lambda: None,
    ) -> None:
        self.name = name
        self.url, self.handle, self.stop = url, handle, stop
        self.on_open, self.on_idle, self.on_close = on_open, on_idle, on_close
        self.state = ConnectionState(name)
        self.backoff = Backoff(
            first=settings.STREAM_BACKOFF_FIRST_SECONDS, cap=settings.STREAM_BACKOFF_MAX_SECONDS
        )
        self.connects = 0
        self.events = 0

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._session()
            except Exception as exc:  # noqa: BLE001 - any failure: reconnect, the state says why
                if self.stop.is_set():
                    break
                error = f"{type(exc).__name__}: {exc}"
                logger.warning("stream %s down: %s", self.name, error)
                try:
                    self.state.down(error)
                except Exception:  # Redis away too: the next session records it
                    logger.exception("stream %s: state not recorded", self.name)
                self.stop.wait(self.backoff.next())
            finally:
                try:
                    self.on_close()
                except Exception:
                    logger.exception("stream %s: close", self.name)
        self.state.stopped()

    def _session(self) -> None:
        self.state.connecting()
        url = self.url()
        with connect(url, open_timeout=10, close_timeout=2, max_size=2**22) as ws:
            self.state.connected(reconnect=self.connects > 0)
            self.connects += 1
            logger.info("stream %s connected (%d)", self.name, self.connects)
            # after the connection opened, so what the backfill misses the socket has buffered
            self.on_open()
            while not self.stop.is_set():
                try:
                    raw = ws.recv(timeout=RECV_TIMEOUT_SECONDS)
                except TimeoutError:
                    self.on_idle()
                    continue
                self._message(raw)
                self.on_idle()

    def _message(self, raw: str | bytes) -> None:
        try:
            event = stream_event_parse(json.loads(raw))
        except (ValueError, PayloadError) as exc:
            # one bad message is dropped, loudly; reconnecting would not make it parse
            logger.error("stream %s: unreadable message dropped: %s: %.300r", self.name, exc, raw)
            return
        if event is None:
            return
        self.state.event()
        self.backoff.reset()  # events flow again: the next drop starts from a short delay
        self.events += 1
        if isinstance(event, ListenKeyExpired):
            raise Reconnect("listen key expired")
        self.handle(event)


def user_report_publish(*, account_id: int, report: OrderUpdateReport | AccountUpdateReport) -> str:
    """One user data report into the account's stream, as the reactors read it."""
    return get_redis().xadd(
        keys.stream_exchange_user(account_id),
        {"report": report_dumps(report)},
        maxlen=settings.STREAM_USER_MAXLEN,
        approximate=True,
    )


# What the first connect of an account (no cursor yet) publishes per symbol: its latest orders.
BACKFILL_FIRST_ORDERS = 50
# The execution type of an update read over REST after a gap, not pushed by the venue.
BACKFILL = "BACKFILL"


class UserStream:
    """An account's user data connection: a listen key per session (POST), kept alive with PUT
    every STREAM_KEEPALIVE_SECONDS, replaced when the venue says it lapsed (listenKeyExpired on the
    socket, -1125 on a PUT), closed (DELETE) when the session ends. Every (re)connect first
    backfills the orders that moved while the socket was down (`backfill`)."""

    def __init__(
        self,
        *,
        account_id: int,
        base_url: str,
        gateway: Gateway,
        stop: threading.Event,
        keepalive_seconds: float,
        symbols: list[str],
    ) -> None:
        self.account_id, self.base_url, self.gateway = account_id, base_url, gateway
        self.keepalive_seconds = keepalive_seconds
        self.symbols = symbols
        self.listen_key: str | None = None
        self.kept_alive = 0.0
        self.cursors: dict[str, int] = {}
        self.connection = StreamConnection(
            name=f"user:{account_id}",
            url=self._url,
            handle=self._handle,
            stop=stop,
            on_open=self.backfill,
            on_idle=self._keepalive,
            on_close=self._close,
        )

    def run(self) -> None:
        self.connection.run()

    def _url(self) -> str:
        self.listen_key = self.gateway.listen_key_create()
        self.kept_alive = time.monotonic()
        return user_url(base_url=self.base_url, listen_key=self.listen_key)

    def backfill(self) -> int:
        """Each symbol's orders from the newest one this stream published on (allOrders,
        inclusive: that one may have filled in the gap), as updates of execution type BACKFILL,
        so a fill made while the socket was down reaches the reactors now, not at the next REST
        reconcile. A reactor applies an order's state monotonically, so one seen twice is
        harmless. An order older than the cursor still working (a resting limit) is the
        reconcile's. Runs after the socket opened: what moves meanwhile is buffered there."""
        stored = get_redis().hgetall(keys.exchange_order_cursor(self.account_id))
        published = 0
        for symbol in self.symbols:
            since = self.cursors.get(symbol) or (int(stored[symbol]) if symbol in stored else None)
            orders = self.gateway.orders_since(
                symbol=symbol, order_id=since, limit=500 if since else BACKFILL_FIRST_ORDERS
            )
            for order in orders:
                self._publish(
                    OrderUpdateReport(
                        order=order, fill=None, execution_type=BACKFILL, event_ms=order.update_ms
                    )
                )
                published += 1
        if published:
            logger.info("stream user:%s: %s orders backfilled", self.account_id, published)
        return published

    def _handle(self, event: StreamEvent) -> None:
        if isinstance(event, OrderUpdateReport | AccountUpdateReport):
            self._publish(event)

    def _publish(self, report: OrderUpdateReport | AccountUpdateReport) -> None:
        user_report_publish(account_id=self.account_id, report=report)
        if isinstance(report, OrderUpdateReport):
            order = report.order
            if order.order_id > self.cursors.get(order.symbol, 0):
                self.cursors[order.symbol] = order.order_id
                get_redis().hset(
                    keys.exchange_order_cursor(self.account_id), order.symbol, order.order_id
                )

    def _keepalive(self) -> None:
        if self.listen_key is None or time.monotonic() - self.kept_alive < self.keepalive_seconds:
            return
        try:
            self.gateway.listen_key_keepalive(listen_key=self.listen_key)
        except FatalExchangeError as exc:
            if exc.code == LISTEN_KEY_MISSING:
                self.listen_key = None  # lapsed: nothing to DELETE
                raise Reconnect("listen key lapsed (-1125)") from None
            raise
        self.kept_alive = time.monotonic()

    def _close(self) -> None:
        if self.listen_key is not None:
            key, self.listen_key = self.listen_key, None
            self.gateway.listen_key_close(listen_key=key)
