"""Writes of the market context: klines into the DB and streams, marks and funding into Redis,
the cross-exchange basis and its alarms."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from redis.exceptions import RedisError, ResponseError

from apps.core import jsoncodec, keys
from apps.core.money import money_str
from apps.core.redis import get_redis
from apps.core.timeutil import from_ms, to_ms, utcnow
from apps.exchange.errors import ExchangeError
from apps.exchange.gateway import Gateway, public_gateway
from apps.exchange.reports import KlineReport, MarkReport
from apps.market.models import BasisObservation, CrossExchangeAlarm, FundingRate, Kline

logger = logging.getLogger(__name__)

INTERVAL_MS = {"1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000}
PAGE = 1500  # Binance's maximum klines per request
FUNDING_PAGE = 1000  # Binance's maximum funding rows per request
FUNDING_INTERVAL_MS = 8 * 3_600_000


def _kline_rows(klines: list[KlineReport], *, now_ms: int) -> list[Kline]:
    """Closed klines only: the last row of a reply is usually still open and would change."""
    return [
        Kline(
            symbol=k.symbol,
            interval=k.interval,
            open_time_ms=k.open_time_ms,
            open_time=from_ms(k.open_time_ms),
            open=k.open,
            high=k.high,
            low=k.low,
            close=k.close,
            volume=k.volume,
            close_time_ms=k.close_time_ms,
        )
        for k in klines
        if k.close_time_ms < now_ms
    ]


def klines_fetch_range(
    *, venue: Gateway, symbol: str, interval: str, start_ms: int, end_ms: int, now_ms: int
) -> list[Kline]:
    """Every closed kline with start_ms <= open time <= end_ms, paging 1500 at a time."""
    step = INTERVAL_MS[interval]
    found: list[Kline] = []
    cursor = start_ms
    while cursor <= end_ms:
        page = venue.klines(
            symbol=symbol, interval=interval, start_ms=cursor, end_ms=end_ms, limit=PAGE
        )
        found.extend(_kline_rows(page, now_ms=now_ms))
        if len(page) < PAGE:
            break
        cursor = page[-1].open_time_ms + step
    return found


def klines_store(*, klines: list[Kline]) -> list[Kline]:
    """Insert the klines not stored yet (unique symbol+interval+open time); returns the new."""
    if not klines:
        return []
    symbol, interval = klines[0].symbol, klines[0].interval
    times = [k.open_time_ms for k in klines]
    existing = set(
        Kline.objects.filter(
            symbol=symbol,
            interval=interval,
            open_time_ms__gte=min(times),
            open_time_ms__lte=max(times),
        ).values_list("open_time_ms", flat=True)
    )
    new = [k for k in klines if k.open_time_ms not in existing]
    # ignore_conflicts: a concurrent publisher storing the same minute is not an error.
    Kline.objects.bulk_create(new, ignore_conflicts=True)
    return new


def kline_gaps(*, symbol: str, interval: str, start_ms: int, end_ms: int) -> list[tuple[int, int]]:
    """Missing open times in [start_ms, end_ms] as (first, last) ranges."""
    step = INTERVAL_MS[interval]
    have = set(
        Kline.objects.filter(
            symbol=symbol, interval=interval, open_time_ms__gte=start_ms, open_time_ms__lte=end_ms
        ).values_list("open_time_ms", flat=True)
    )
    gaps: list[tuple[int, int]] = []
    first = start_ms - start_ms % step
    t = first if first >= start_ms else first + step
    gap_start = None
    while t <= end_ms:
        if t not in have:
            gap_start = t if gap_start is None else gap_start
        elif gap_start is not None:
            gaps.append((gap_start, t - step))
            gap_start = None
        t += step
    if gap_start is not None:
        gaps.append((gap_start, end_ms - end_ms % step))
    return gaps


def _xadd_kline(client, kline: Kline) -> None:
    # The stream id is the open time: Redis refuses an id not above the last one, so a retried
    # publish can never append the same minute twice.
    fields = {
        "symbol": kline.symbol,
        "interval": kline.interval,
        "open_time": str(kline.open_time_ms),
        "open": money_str(kline.open),
        "high": money_str(kline.high),
        "low": money_str(kline.low),
        "close": money_str(kline.close),
        "volume": money_str(kline.volume),
        "close_time": str(kline.close_time_ms),
    }
    try:
        client.xadd(
            keys.stream_kline(kline.symbol),
            fields,
            id=f"{kline.open_time_ms}-0",
            maxlen=settings.MARKET_STREAM_MAXLEN,
            approximate=True,
        )
    except ResponseError as exc:
        if "equal or smaller" not in str(exc):
            raise


def _gaps_fill(*, venue: Gateway, symbol: str, interval: str, now_ms: int) -> list[Kline]:
    """Fetch and store every closed kline missing from the kept window; returns the new ones."""
    step = INTERVAL_MS[interval]
    window_start = now_ms - settings.MARKET_KLINE_HISTORY * step
    window_start -= window_start % step
    last_closed = now_ms - now_ms % step - step
    new: list[Kline] = []
    for gap_start, gap_end in kline_gaps(
        symbol=symbol, interval=interval, start_ms=window_start, end_ms=last_closed
    ):
        fetched = klines_fetch_range(
            venue=venue,
            symbol=symbol,
            interval=interval,
            start_ms=gap_start,
            end_ms=gap_end,
            now_ms=now_ms,
        )
        with transaction.atomic():
            new.extend(klines_store(klines=fetched))
    return new


def market_publish_symbol(*, venue: Gateway, symbol: str) -> dict:
    """One symbol: the mark and funding into Redis, new closed klines (gaps backfilled) into
    the DB and then the kline stream. Returns counts for the caller's log."""
    interval = settings.MARKET_KLINE_INTERVAL
    mark = venue.mark(symbol=symbol)
    new = _gaps_fill(venue=venue, symbol=symbol, interval=interval, now_ms=mark.time_ms)
    funding_store(mark=mark)
    client = get_redis()
    try:
        entry = mark_publish(mark=mark)
        for kline in sorted(new, key=lambda k: k.open_time_ms):
            _xadd_kline(client, kline)
    except RedisError:
        # The DB has the klines; the next publish re-sends the stream tail (see below).
        logger.warning("market publish %s: redis unavailable, stream catch-up next run", symbol)
        raise
    stream_catch_up(symbol=symbol, interval=interval)
    return {"symbol": symbol, "klines": len(new), "mark": entry["mark_price"]}


def mark_entry(mark: MarkReport) -> dict[str, str]:
    """The fields of a mark in quantum:stream:market.mark and its latest-value hash
    (apps.market.selectors.mark_from_entry reads them back)."""
    return {
        "symbol": mark.symbol,
        "mark_price": money_str(mark.mark_price),
        "index_price": money_str(mark.index_price),
        "funding_rate": money_str(mark.funding_rate),
        "next_funding_time": str(mark.next_funding_ms),
        "time": str(mark.time_ms),
    }


def mark_publish(*, mark: MarkReport) -> dict[str, str]:
    """The mark into its hash and the mark stream: the poll (every publish) and the stream
    process (every push) write the same entry, so a reactor cannot tell them apart."""
    entry = mark_entry(mark)
    pipe = get_redis().pipeline()
    pipe.hset(keys.MARKET_MARKS, mark.symbol.upper(), jsoncodec.dumps(entry))
    pipe.xadd(keys.STREAM_MARK, entry, maxlen=settings.MARKET_STREAM_MAXLEN, approximate=True)
    pipe.execute()
    return entry


def kline_closed_publish(*, kline: KlineReport) -> bool:
    """A closed kline pushed by the venue: into the DB, then the symbol's kline stream (the DB
    first, as for the poll: the stream is a view of the durable store and a reactor reads the
    history from the DB). False when it was stored already (the poll or a backfill was first)."""
    rows = _kline_rows([kline], now_ms=kline.close_time_ms + 1)
    with transaction.atomic():
        new = klines_store(klines=rows)
    if new:
        _xadd_kline(get_redis(), new[0])
    return bool(new)


def klines_backfill(*, venue: Gateway, symbol: str, interval: str, now_ms: int) -> int:
    """Every closed kline missing from the kept window (a websocket gap, a restart) fetched
    over REST, stored, and the stream's tail re-sent: after a reconnect a gap never stays one."""
    stored = len(_gaps_fill(venue=venue, symbol=symbol, interval=interval, now_ms=now_ms))
    stream_catch_up(symbol=symbol, interval=interval)
    return stored


def funding_store(*, mark: MarkReport) -> FundingRate:
    """The funding rate of the coming funding time, as observed now (one row per symbol and
    funding time, updated by each publish: the durable history the model features read)."""
    row, _ = FundingRate.objects.update_or_create(
        symbol=mark.symbol,
        funding_time_ms=mark.next_funding_ms,
        defaults={"rate": mark.funding_rate, "observed_ms": mark.time_ms},
    )
    return row


def stream_catch_up(*, symbol: str, interval: str, limit: int = 500) -> int:
    """Re-append stored klines the stream lacks (after a Redis restart, say): the stream is a
    view of the durable store, never the other way round."""
    client = get_redis()
    last = client.xrevrange(keys.stream_kline(symbol), count=1)
    last_ms = int(last[0][0].split("-")[0]) if last else -1
    missing = Kline.objects.filter(
        symbol=symbol, interval=interval, open_time_ms__gt=last_ms
    ).order_by("-open_time_ms")[:limit]
    rows = sorted(missing, key=lambda k: k.open_time_ms)
    for kline in rows:
        _xadd_kline(client, kline)
    return len(rows)


def market_publish(*, venue: Gateway, symbols: list[str]) -> list[dict]:
    return [market_publish_symbol(venue=venue, symbol=symbol) for symbol in symbols]


def _ticker_prices(venue: Gateway) -> dict[str, Decimal]:
    return {t.symbol: t.price for t in venue.tickers()}


def cross_exchange_check(
    *, venue: Gateway, reference: Gateway, symbols: list[str], threshold_bps: Decimal
) -> list[dict]:
    """Basis (venue - reference) and divergence (|basis| / reference, in bps) per symbol. An
    alarm is raised when a symbol crosses the threshold (logged, a row, a Redis key) and
    cleared when it comes back; a symbol that stays past it does not write a row per check."""
    prices = _ticker_prices(venue)
    refs = _ticker_prices(reference)
    client = get_redis()
    now_ms = to_ms(utcnow())
    out = []
    for symbol in symbols:
        price, ref = prices.get(symbol), refs.get(symbol)
        if price is None or ref is None or ref == 0:
            continue
        basis = price - ref
        divergence = (abs(basis) / ref * 10000).quantize(Decimal("0.0001"))
        state = {
            "symbol": symbol,
            "price": price,
            "reference_price": ref,
            "basis": basis,
            "divergence_bps": divergence,
            "threshold_bps": threshold_bps,
        }
        BasisObservation.objects.create(
            symbol=symbol,
            time_ms=now_ms,
            price=price,
            reference_price=ref,
            basis=basis,
            basis_bps=basis_bps(price, ref),
        )
        client.hset(
            keys.market_basis(symbol),
            mapping={k: jsoncodec.dumps(v) for k, v in state.items()},
        )
        alarmed = divergence > threshold_bps
        if alarmed and not client.exists(keys.market_alarm(symbol)):
            logger.warning(
                "cross-exchange alarm %s: %s vs reference %s (%s bps > %s)",
                symbol,
                price,
                ref,
                divergence,
                threshold_bps,
            )
            CrossExchangeAlarm.objects.create(
                symbol=symbol,
                price=price,
                reference_price=ref,
                basis=basis,
                divergence_bps=divergence,
                threshold_bps=threshold_bps,
            )
            client.set(keys.market_alarm(symbol), jsoncodec.dumps(state))
        elif not alarmed:
            client.delete(keys.market_alarm(symbol))
        out.append({**state, "alarm": alarmed})
    return out


def basis_bps(price: Decimal, reference: Decimal) -> Decimal:
    """(price - reference) / reference x 10,000, to 4 places: the check's and the history's."""
    return ((price - reference) / reference * 10000).quantize(Decimal("0.0001"))


def funding_history_fill(*, venue: Gateway, symbol: str, start_ms: int, end_ms: int) -> int:
    """The venue's settled funding rates over [start_ms, end_ms], plus the one in force at
    start_ms (observed_ms = the funding time: the features join by it, apps.market.selectors).
    A funding time the desk observed live keeps its row. The rows a desk that was not running
    then never saw; without them a model trained on klines fetched from the venue sees a
    funding column of zeros."""
    cursor, rows = start_ms - FUNDING_INTERVAL_MS, []
    while cursor <= end_ms:
        page = venue.funding_history(
            symbol=symbol, start_ms=cursor, end_ms=end_ms, limit=FUNDING_PAGE
        )
        rows += [
            FundingRate(
                symbol=symbol,
                funding_time_ms=f.funding_time_ms,
                rate=f.rate,
                observed_ms=f.funding_time_ms,
            )
            for f in page
            if f.symbol == symbol
        ]
        if len(page) < FUNDING_PAGE:
            break
        cursor = page[-1].funding_time_ms + 1
    return len(FundingRate.objects.bulk_create(rows, ignore_conflicts=True))


def basis_history_fill(
    *, reference: Gateway, symbol: str, interval: str, klines: list[Kline], now_ms: int
) -> int:
    """The basis at each close of `klines` before the desk's first cross-exchange check: our
    close against the reference venue's close of the same bar (the check compares last
    prices, and a bar's close is the last price at its close). Stamped at the close, so it is
    in force from that bar on; bars the checks cover are left to them."""
    first = BasisObservation.objects.filter(symbol=symbol).order_by("time_ms").first()
    before = first.time_ms if first is not None else now_ms + 1
    ours = [k for k in klines if k.close_time_ms < before]
    if not ours:
        return 0
    refs = klines_fetch_range(
        venue=reference,
        symbol=symbol,
        interval=interval,
        start_ms=ours[0].open_time_ms,
        end_ms=ours[-1].open_time_ms,
        now_ms=now_ms,
    )
    ref_close = {k.open_time_ms: k.close for k in refs}
    rows = [
        BasisObservation(
            symbol=symbol,
            time_ms=k.close_time_ms,
            price=k.close,
            reference_price=ref_close[k.open_time_ms],
            basis=k.close - ref_close[k.open_time_ms],
            basis_bps=basis_bps(k.close, ref_close[k.open_time_ms]),
        )
        for k in ours
        if ref_close.get(k.open_time_ms)
    ]
    return len(BasisObservation.objects.bulk_create(rows))


def market_history_fill(
    *, venue: Gateway, reference: Gateway, symbol: str, interval: str, start_ms: int, now_ms: int
) -> list[Kline]:
    """The market history of [start_ms, now_ms] the desk did not observe itself, from the venue
    (klines, settled funding) and the reference venue (the basis): what training needs when
    the desk's own store is short. Idempotent: stored klines, funding times and checked bars
    are kept. A reference venue that cannot answer leaves the basis to the live checks."""
    fetched = klines_fetch_range(
        venue=venue,
        symbol=symbol,
        interval=interval,
        start_ms=start_ms,
        end_ms=now_ms,
        now_ms=now_ms,
    )
    klines_store(klines=fetched)
    funding_history_fill(venue=venue, symbol=symbol, start_ms=start_ms, end_ms=now_ms)
    stored = list(
        Kline.objects.filter(symbol=symbol, interval=interval, open_time_ms__gte=start_ms).order_by(
            "open_time_ms"
        )
    )
    try:
        basis_history_fill(
            reference=reference, symbol=symbol, interval=interval, klines=stored, now_ms=now_ms
        )
    except ExchangeError as exc:
        logger.warning("basis history of %s: reference venue failed: %r", symbol, exc)
    return stored


def market_base_url() -> str:
    """Market data comes from the venue the desk trades on: the trading account's, or
    EXCHANGE_BASE_URL when no account is registered yet."""
    from apps.exchange.models import ExchangeAccount

    accounts = ExchangeAccount.objects.filter(is_active=True)
    if settings.TRADING_ACCOUNT:
        accounts = accounts.filter(name=settings.TRADING_ACCOUNT)
    account = accounts.order_by("id").first()
    return account.base_url if account else settings.EXCHANGE_BASE_URL


def market_venue() -> Gateway:
    return public_gateway(base_url=market_base_url())


def reference_venue() -> Gateway:
    return public_gateway(base_url=settings.REFERENCE_EXCHANGE_BASE_URL)


def cross_exchange_run(*, symbols: list[str]) -> list[dict]:
    return cross_exchange_check(
        venue=market_venue(),
        reference=reference_venue(),
        symbols=symbols,
        threshold_bps=settings.CROSS_EXCHANGE_ALARM_BPS,
    )
