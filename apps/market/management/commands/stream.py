"""`manage.py stream`: the stream process (docs/trading.md, "Reactors"). One combined websocket
for the marks (each second) and klines of TRADING_SYMBOLS, one user data websocket per active
account, each in its own thread (apps/exchange/streams.py), into the Redis streams the reactors
read. Run one per desk, under supervisord (`make up`) or systemd (docs/operations.md).

- a mark -> mark_publish (the same entry the 5 s poll writes);
- a closed kline -> kline_closed_publish (DB, then the symbol's kline stream); a kline that skips
  open times, and every (re)connect, first backfill the gap over REST (klines_backfill);
- an order or account update -> quantum:stream:exchange.user:<account>.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from apps.exchange.gateway import Gateway, gateway_for, public_gateway
from apps.exchange.models import ExchangeAccount
from apps.exchange.reports import KlineEvent, MarkReport, StreamEvent
from apps.exchange.streams import StreamConnection, UserStream, market_url
from apps.market.services import (
    INTERVAL_MS,
    kline_closed_publish,
    klines_backfill,
    mark_publish,
    market_base_url,
)

logger = logging.getLogger(__name__)

ACCOUNTS_RESCAN_SECONDS = 30  # an account added or deactivated is picked up without a restart


class MarketFeed:
    """The market connection's callbacks: backfill on open, publish each mark and closed kline."""

    def __init__(self, *, venue: Gateway, symbols: list[str], interval: str) -> None:
        self.venue, self.symbols, self.interval = venue, symbols, interval
        self.step = INTERVAL_MS[interval]
        self.last_open_ms: dict[str, int] = {}

    def backfill(self, symbol: str | None = None) -> None:
        # a long-lived thread: drop connections the database closed meanwhile
        close_old_connections()
        now_ms = self.venue.server_time()  # the venue's clock (the paper one may run fast)
        for s in [symbol] if symbol else self.symbols:
            stored = klines_backfill(
                venue=self.venue, symbol=s, interval=self.interval, now_ms=now_ms
            )
            if stored:
                logger.info("stream: %s klines of %s backfilled", stored, s)
        if symbol is None:
            self.last_open_ms.clear()

    def handle(self, event: StreamEvent) -> None:
        if isinstance(event, MarkReport):
            mark_publish(mark=event)
        elif isinstance(event, KlineEvent) and event.closed:
            kline = event.kline
            last = self.last_open_ms.get(kline.symbol)
            if last is not None and kline.open_time_ms > last + self.step:
                # the venue skipped a close (or the socket lost one): the DB and the stream stay
                # gapless and in order, so fetch the missing ones before this one
                self.backfill(kline.symbol)
            kline_closed_publish(kline=kline)
            self.last_open_ms[kline.symbol] = max(last or 0, kline.open_time_ms)


def _accounts() -> dict[int, ExchangeAccount]:
    accounts = ExchangeAccount.objects.filter(is_active=True)
    if settings.TRADING_ACCOUNT:  # as the reactors read them (apps.trading.selectors)
        accounts = accounts.filter(name=settings.TRADING_ACCOUNT)
    return {a.id: a for a in accounts.order_by("id")}


class Command(BaseCommand):
    help = "Stream marks, closed klines and user data from the venue's websockets into Redis."

    def handle(self, *args, **options):
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        symbols, interval = list(settings.TRADING_SYMBOLS), settings.MARKET_KLINE_INTERVAL
        base_url = market_base_url()
        feed = MarketFeed(
            venue=public_gateway(base_url=base_url), symbols=symbols, interval=interval
        )
        market = StreamConnection(
            name="market",
            url=lambda: market_url(base_url=base_url, symbols=symbols, interval=interval),
            handle=feed.handle,
            on_open=feed.backfill,
            stop=stop,
        )
        # Django's start-up heap out of the collector's sight: a full collection scanning it
        # would hold every event of the streams for milliseconds.
        gc.freeze()
        threads = [threading.Thread(target=market.run, name="market", daemon=True)]
        threads[0].start()
        users: dict[int, tuple[threading.Event, threading.Thread]] = {}
        logger.info("stream: market %s for %s (%s)", base_url, ",".join(symbols), interval)
        while not stop.is_set():
            close_old_connections()
            try:
                accounts = _accounts()
            except Exception:  # the database away: keep the running streams, ask again later
                logger.exception("stream: accounts not read")
                accounts = {aid: None for aid in users}
            for account_id in set(users) - set(accounts):
                users.pop(account_id)[0].set()
            for account_id, account in accounts.items():
                if account_id in users or account is None:
                    continue
                user_stop = threading.Event()
                user = UserStream(
                    account_id=account_id,
                    base_url=account.base_url,
                    gateway=gateway_for(account=account),
                    stop=user_stop,
                    keepalive_seconds=settings.STREAM_KEEPALIVE_SECONDS,
                    symbols=symbols,
                )
                thread = threading.Thread(target=user.run, name=f"user:{account_id}", daemon=True)
                thread.start()
                users[account_id] = (user_stop, thread)
                threads.append(thread)
                logger.info("stream: user data of account %s (%s)", account_id, account.name)
            stop.wait(ACCOUNTS_RESCAN_SECONDS)
        for user_stop, _ in users.values():
            user_stop.set()
        for thread in threads:
            thread.join(timeout=10)
        logger.info("stream: stopped")
