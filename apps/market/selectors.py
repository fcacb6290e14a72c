"""Reads of the market context."""

from __future__ import annotations

import logging

from apps.core import jsoncodec, keys
from apps.core.money import to_decimal
from apps.core.redis import get_redis
from apps.exchange.reports import KlineReport, MarkReport
from apps.market.models import BasisObservation, FundingRate, Kline

logger = logging.getLogger(__name__)


def klines_recent(*, symbol: str, interval: str, count: int) -> list[Kline]:
    rows = Kline.objects.filter(symbol=symbol, interval=interval).order_by("-open_time_ms")
    return list(reversed(rows[:count]))


def mark_entries(*, symbols: list[str]) -> tuple[str | None, ...]:
    """The latest mark entry of each symbol as stored (JSON; None: no mark yet), as the stream
    process or the market poll last wrote it, in one round trip. Equal entries, equal marks: a
    reader may key what it derives from them on the entries and parse them only on a miss."""
    if not symbols:
        return ()
    return tuple(get_redis().hmget(keys.MARKET_MARKS, [s.upper() for s in symbols]))


def marks_from_entries(
    *, symbols: list[str], entries: tuple[str | None, ...]
) -> dict[str, MarkReport]:
    """The marks of `mark_entries`. A symbol with no mark yet, or whose entry is damaged, is
    left out: the caller keeps the figure it had, rather than showing one built from a bad
    entry."""
    marks: dict[str, MarkReport] = {}
    for symbol, value in zip(symbols, entries, strict=True):
        if not value:
            continue
        try:
            mark = mark_from_entry(jsoncodec.loads(value))
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            logger.warning("damaged mark entry for %s ignored: %r", symbol, exc)
            continue
        if mark.symbol == symbol.upper():
            marks[symbol] = mark
    return marks


def funding_history(*, symbol: str, until_ms: int, since_ms: int | None = None) -> list[tuple]:
    """(funding_time_ms, rate) of the symbol's funding times up to `until_ms`, oldest first; from
    the last one at or before `since_ms` (the rate last settled then). Keyed by the funding time,
    not by when a rate was read: the row of the coming funding time is re-read by every publish,
    so joined by its reading a bar would see the coming rate while the desk is live and the
    previous one once a later reading moved on (features at inference would differ from the
    same bar's in training). A settled rate is the same fact live, later and in the venue's
    history (GET /fapi/v1/fundingRate)."""
    rows = FundingRate.objects.filter(symbol=symbol, funding_time_ms__lte=until_ms)
    if since_ms is not None:
        first = rows.filter(funding_time_ms__lte=since_ms).order_by("-funding_time_ms").first()
        if first is not None:
            rows = rows.filter(funding_time_ms__gte=first.funding_time_ms)
    return list(rows.order_by("funding_time_ms").values_list("funding_time_ms", "rate"))


def basis_history(*, symbol: str, until_ms: int, since_ms: int | None = None) -> list[tuple]:
    """(time_ms, basis_bps) of the symbol's cross-exchange checks up to `until_ms`, oldest first;
    from the last one at or before `since_ms`."""
    rows = BasisObservation.objects.filter(symbol=symbol, time_ms__lte=until_ms)
    if since_ms is not None:
        first = rows.filter(time_ms__lte=since_ms).order_by("-time_ms").first()
        if first is not None:
            rows = rows.filter(time_ms__gte=first.time_ms)
    return list(rows.order_by("time_ms").values_list("time_ms", "basis_bps"))


def mark_from_entry(fields: dict[str, str]) -> MarkReport:
    """An entry of quantum:stream:market.mark (apps.market.services.mark_entry) as the report it
    was made from. BadNumber / KeyError / ValueError on a damaged entry."""
    return MarkReport(
        symbol=fields["symbol"],
        mark_price=to_decimal(fields["mark_price"], field="mark_price"),
        index_price=to_decimal(fields["index_price"], field="index_price"),
        funding_rate=to_decimal(fields["funding_rate"], field="funding_rate"),
        next_funding_ms=int(fields["next_funding_time"]),
        time_ms=int(fields["time"]),
    )


def kline_from_entry(fields: dict[str, str]) -> KlineReport:
    """An entry of quantum:stream:market.kline:<symbol> (always a closed kline)."""
    return KlineReport(
        symbol=fields["symbol"],
        interval=fields["interval"],
        open_time_ms=int(fields["open_time"]),
        open=to_decimal(fields["open"], field="open"),
        high=to_decimal(fields["high"], field="high"),
        low=to_decimal(fields["low"], field="low"),
        close=to_decimal(fields["close"], field="close"),
        volume=to_decimal(fields["volume"], field="volume"),
        close_time_ms=int(fields["close_time"]),
    )
