"""Public market data beyond the basics, shaped as Binance's USD-M endpoints answer.

Every figure comes from the venue's own price path (apps/paper_exchange/market.py): klines of
the last, mark and index price and of the premium, the 24 h ticker, the book (`book.py`: the
levels the matching engine fills against), funding history and a public trade tape of one trade per
5-second point of the path. Functions take the engine and the request's Params; the HTTP layer
only routes to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..market import FUNDING_INTERVAL_MS, FUNDING_RATE_CAP, MINUTE_MS, POINT_MS, Bar
from ..params import Params
from ..symbols import SYMBOLS, SymbolSpec, get_spec
from .book import ASKS, BIDS
from .views import money_str

if TYPE_CHECKING:
    from .exchange import Engine

INTERVALS_MS = {
    "1m": 1,
    "3m": 3,
    "5m": 5,
    "15m": 15,
    "30m": 30,
    "1h": 60,
    "2h": 120,
    "4h": 240,
    "6h": 360,
    "8h": 480,
    "12h": 720,
    "1d": 1440,
    "3d": 4320,
}
DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Candle:
    open_ms: int
    close_ms: int
    bar: Bar


def candles(engine: Engine, p: Params, symbol: str) -> list[Candle]:
    """Last-price bars of `interval` from the 1m path (startTime/endTime/limit as Binance)."""
    interval = p.str("interval", required=True)
    if interval not in INTERVALS_MS:
        raise ApiError(-1120, "Invalid interval.")
    size = INTERVALS_MS[interval] * MINUTE_MS
    limit = p.limit(500, 1500)
    market = engine.market
    now = engine.clock.now_ms()
    start, end = p.int("startTime"), p.int("endTime")
    end = min(end if end is not None else now, now)
    floor = -(-market.genesis_ms // size) * size  # first whole bar after genesis
    if start is not None:
        first = max(-(-start // size) * size, floor)
        last = min(end // size * size, first + (limit - 1) * size)
    else:
        last = end // size * size
        first = max(last - (limit - 1) * size, floor)
    out: list[Candle] = []
    for open_ms in range(first, last + 1, size):
        bars = [
            market.bar(symbol, m, now)
            for m in range(open_ms // MINUTE_MS, min(open_ms + size, now + 1) // MINUTE_MS + 1)
            if m * MINUTE_MS <= now and m * MINUTE_MS < open_ms + size
        ]
        if not bars:
            continue
        merged = Bar(
            open_ms=open_ms,
            open=bars[0].open,
            high=max(b.high for b in bars),
            low=min(b.low for b in bars),
            close=bars[-1].close,
            volume=sum((b.volume for b in bars), Decimal(0)),
        )
        out.append(Candle(open_ms, open_ms + size - 1, merged))
    return out


def klines(engine: Engine, p: Params) -> list[list[object]]:
    spec = get_spec(p.str("symbol"))
    return [c.bar.row(spec, c.close_ms) for c in candles(engine, p, spec.symbol)]


def _derived_klines(
    engine: Engine,
    p: Params,
    param: str,
    value: Callable[[SymbolSpec, Decimal, int], Decimal],
    fmt: Callable[[SymbolSpec, Decimal], str],
) -> list[list[object]]:
    """Klines of a price derived from the last price at each bar's open and close instants
    (mark = last x (1 + premium), index = last x (1 + premium / 2)): the premium is a slow
    wave, so a bar's extremes are the last price's extremes under the premium of its ends."""
    spec = get_spec(p.str(param))
    now = engine.clock.now_ms()
    rows: list[list[object]] = []
    for c in candles(engine, p, spec.symbol):
        end = min(c.close_ms, now)
        o, cl = value(spec, c.bar.open, c.open_ms), value(spec, c.bar.close, end)
        hi = max(value(spec, c.bar.high, c.open_ms), value(spec, c.bar.high, end), o, cl)
        lo = min(value(spec, c.bar.low, c.open_ms), value(spec, c.bar.low, end), o, cl)
        rows.append(
            [
                c.open_ms,
                fmt(spec, o),
                fmt(spec, hi),
                fmt(spec, lo),
                fmt(spec, cl),
                "0",
                c.close_ms,
                "0",
                max(1, (end - c.open_ms) // 1000 + 1),
                "0",
                "0",
                "0",
            ]
        )
    return rows


def mark_klines(engine: Engine, p: Params) -> list[list[object]]:
    market = engine.market

    def mark(spec: SymbolSpec, last: Decimal, t: int) -> Decimal:
        return spec.round_price(last * (1 + market.premium(spec.symbol, t)))

    return _derived_klines(engine, p, "symbol", mark, lambda s, v: s.fmt_price(v))


def index_klines(engine: Engine, p: Params) -> list[list[object]]:
    market = engine.market

    def index(spec: SymbolSpec, last: Decimal, t: int) -> Decimal:
        return spec.round_price(last * (1 + market.premium(spec.symbol, t) / 2))

    # Binance names the parameter `pair` here; the venue's pairs are its symbols.
    return _derived_klines(engine, p, "pair", index, lambda s, v: s.fmt_price(v))


def premium_klines(engine: Engine, p: Params) -> list[list[object]]:
    market = engine.market

    def premium(spec: SymbolSpec, _last: Decimal, t: int) -> Decimal:
        return market.premium(spec.symbol, t)

    return _derived_klines(engine, p, "symbol", premium, lambda s, v: f"{v:.8f}")


def _symbols(p: Params) -> list[str]:
    symbol = p.str("symbol")
    return [get_spec(symbol).symbol] if symbol else list(SYMBOLS)


def _one_or_all(p: Params, one: Callable[[str], dict[str, Any]]) -> Any:
    rows = [one(s) for s in _symbols(p)]
    return rows[0] if p.str("symbol") else rows


def ticker_24hr(engine: Engine, p: Params) -> Any:
    now = engine.clock.now_ms()
    market = engine.market

    def one(symbol: str) -> dict[str, Any]:
        spec = SYMBOLS[symbol]
        start = max(now - DAY_MS, market.genesis_ms)
        bars = [market.bar(symbol, m, now) for m in range(start // MINUTE_MS, now // MINUTE_MS + 1)]
        open_ = market.last(symbol, start)
        last = market.last(symbol, now)
        volume = sum((b.volume for b in bars), Decimal(0))
        quote = sum((b.volume * (b.high + b.low) / 2 for b in bars), Decimal(0))
        change = last - open_
        first_id, last_id = start // POINT_MS + 1, now // POINT_MS
        return {
            "symbol": symbol,
            "priceChange": spec.fmt_price(change),
            "priceChangePercent": f"{(change / open_ * 100).quantize(Decimal('0.001'))}",
            "weightedAvgPrice": spec.fmt_price(quote / volume if volume else last),
            "lastPrice": spec.fmt_price(last),
            "lastQty": spec.fmt_qty(_tape_qty(engine, spec, now)),
            "openPrice": spec.fmt_price(open_),
            "highPrice": spec.fmt_price(max([b.high for b in bars] + [last, open_])),
            "lowPrice": spec.fmt_price(min([b.low for b in bars] + [last, open_])),
            "volume": spec.fmt_qty(volume),
            "quoteVolume": f"{quote.quantize(Decimal('0.0001'))}",
            "openTime": start,
            "closeTime": now,
            "firstId": first_id,
            "lastId": last_id,
            "count": max(0, last_id - first_id + 1),
        }

    return _one_or_all(p, one)


def book_ticker(engine: Engine, p: Params) -> Any:
    now = engine.clock.now_ms()

    def one(symbol: str) -> dict[str, Any]:
        spec = SYMBOLS[symbol]
        bid, bid_qty = engine.book.top(symbol, BIDS, now)
        ask, ask_qty = engine.book.top(symbol, ASKS, now)
        return {
            "symbol": symbol,
            "bidPrice": spec.fmt_price(bid),
            "bidQty": spec.fmt_qty(bid_qty),
            "askPrice": spec.fmt_price(ask),
            "askQty": spec.fmt_qty(ask_qty),
            "time": now,
            "lastUpdateId": now,
        }

    return _one_or_all(p, one)


def depth_weight(values: dict[str, str]) -> int:
    limit = values.get("limit") or "500"
    n = int(limit) if limit.isdigit() else 500
    return 2 if n <= 50 else 5 if n <= 100 else 10 if n <= 500 else 20


def depth(engine: Engine, p: Params) -> dict[str, Any]:
    spec = get_spec(p.str("symbol"))
    limit = p.int("limit") or 500
    if limit not in DEPTH_LIMITS:
        raise ApiError(-4021, "Invalid depth limit.")
    now = engine.clock.now_ms()

    def side(which: int) -> list[list[str]]:
        levels = engine.book.depth(spec.symbol, which, now, limit)
        return [[spec.fmt_price(price), spec.fmt_qty(qty)] for price, qty in levels]

    return {"lastUpdateId": now, "E": now, "T": now, "bids": side(BIDS), "asks": side(ASKS)}


def funding_rate_history(engine: Engine, p: Params) -> list[dict[str, Any]]:
    """Settled rates (oldest first) at the 8 h marks after genesis, up to now."""
    market = engine.market
    now = engine.clock.now_ms()
    limit = p.limit(100, 1000)
    start, end = p.int("startTime"), p.int("endTime")
    first_mark = (market.genesis_ms // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS
    last_mark = min(end if end is not None else now, now) // FUNDING_INTERVAL_MS
    last_mark *= FUNDING_INTERVAL_MS
    rows: list[dict[str, Any]] = []
    for symbol in _symbols(p):
        if start is not None:
            lo = max(first_mark, -(-start // FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS)
            times = list(range(lo, last_mark + 1, FUNDING_INTERVAL_MS))[:limit]
        else:
            times = list(range(first_mark, last_mark + 1, FUNDING_INTERVAL_MS))[-limit:]
        spec = SYMBOLS[symbol]
        rows += [
            {
                "symbol": symbol,
                "fundingRate": f"{market.funding_rate(symbol, t):.8f}",
                "fundingTime": t,
                "markPrice": spec.fmt_price(market.mark(symbol, t)),
            }
            for t in times
        ]
    rows.sort(key=lambda r: (r["fundingTime"], r["symbol"]))
    return rows[:limit] if start is not None else rows[-limit:]


def funding_info(engine: Engine, p: Params) -> list[dict[str, Any]]:
    return [
        {
            "symbol": s,
            "adjustedFundingRateCap": f"{FUNDING_RATE_CAP:.8f}",
            "adjustedFundingRateFloor": f"{-FUNDING_RATE_CAP:.8f}",
            "fundingIntervalHours": 8,
            "disclaimer": False,
        }
        for s in SYMBOLS
    ]


def open_interest(engine: Engine, p: Params) -> dict[str, Any]:
    """Contracts open against the venue: the sum of every account's long positions (each
    account trades with the venue itself, so this is one side of the book)."""
    spec = get_spec(p.str("symbol"))
    total = Decimal(0)
    for acc in engine.accounts.values():
        pos = acc.positions.get(spec.symbol)
        if pos and pos.amt > 0:
            total += pos.amt
    return {
        "symbol": spec.symbol,
        "openInterest": spec.fmt_qty(total),
        "time": engine.clock.now_ms(),
    }


# --- the public tape: one trade per 5-second point of the path -------------------------------
def _tape_qty(engine: Engine, spec: SymbolSpec, t: int) -> Decimal:
    bar = engine.market.bar(spec.symbol, t // MINUTE_MS, t)
    share = bar.volume / (MINUTE_MS // POINT_MS)
    return max(share.quantize(spec.step_size), spec.step_size)


def _tape(
    engine: Engine, spec: SymbolSpec, ids: range
) -> list[tuple[int, int, Decimal, Decimal, bool]]:
    out = []
    for trade_id in ids:
        t = trade_id * POINT_MS
        price = engine.market.last(spec.symbol, t)
        before = engine.market.last(spec.symbol, t - POINT_MS)
        out.append((trade_id, t, price, _tape_qty(engine, spec, t), price < before))
    return out


def _tape_ids(
    engine: Engine, p: Params, *, default: int, maximum: int, from_name: str | None
) -> tuple[SymbolSpec, range]:
    spec = get_spec(p.str("symbol"))
    now = engine.clock.now_ms()
    first_id = engine.market.genesis_ms // POINT_MS + 1
    last_id = now // POINT_MS
    limit = p.limit(default, maximum)
    from_id = p.int(from_name) if from_name else None
    start, end = p.int("startTime"), p.int("endTime")
    if start is not None and end is not None and end - start > 3_600_000:
        raise ApiError(-1127, "More than 1 hours between startTime and endTime.")
    if from_id is not None:
        lo = max(from_id, first_id)
        return spec, range(lo, min(lo + limit, last_id + 1))
    if start is not None or end is not None:
        lo = max(-(-start // POINT_MS) if start is not None else first_id, first_id)
        hi = min((end // POINT_MS) if end is not None else last_id, last_id)
        if start is None:
            lo = max(hi - limit + 1, first_id)
        return spec, range(lo, min(hi, lo + limit - 1) + 1)
    return spec, range(max(last_id - limit + 1, first_id), last_id + 1)


def agg_trades(engine: Engine, p: Params) -> list[dict[str, Any]]:
    spec, ids = _tape_ids(engine, p, default=500, maximum=1000, from_name="fromId")
    return [
        {
            "a": i,
            "p": spec.fmt_price(price),
            "q": spec.fmt_qty(qty),
            "f": i,
            "l": i,
            "T": t,
            "m": maker,
        }
        for i, t, price, qty, maker in _tape(engine, spec, ids)
    ]


def trades(engine: Engine, p: Params) -> list[dict[str, Any]]:
    spec, ids = _tape_ids(engine, p, default=500, maximum=1000, from_name=None)
    return [
        {
            "id": i,
            "price": spec.fmt_price(price),
            "qty": spec.fmt_qty(qty),
            "quoteQty": money_str(price * qty),
            "time": t,
            "isBuyerMaker": maker,
        }
        for i, t, price, qty, maker in _tape(engine, spec, ids)
    ]


# --- outside USD-M: what ccxt calls by default ------------------------------------------------
def empty_exchange_info(engine: Engine, p: Params) -> dict[str, Any]:
    """Spot (/api/v3) and COIN-M (/dapi/v1) exchangeInfo: the venue lists none of those
    markets, but ccxt's `binance` class loads all three kinds by default."""
    return {
        "timezone": "UTC",
        "serverTime": engine.clock.now_ms(),
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": [],
    }


def system_status(engine: Engine, p: Params) -> dict[str, Any]:
    return {"status": 0, "msg": "normal"}


def capital_config(engine: Engine, p: Params) -> list[dict[str, Any]]:
    """`GET /sapi/v1/capital/config/getall`: the assets the venue knows, none of them
    depositable or withdrawable (there is no wallet outside the futures account)."""
    names = {
        "USDT": "TetherUS",
        "BTC": "Bitcoin",
        "ETH": "Ethereum",
        "SOL": "Solana",
        "BNB": "BNB",
        "XRP": "XRP",
    }
    return [
        {
            "coin": coin,
            "name": name,
            "depositAllEnable": False,
            "withdrawAllEnable": False,
            "free": "0",
            "locked": "0",
            "freeze": "0",
            "withdrawing": "0",
            "ipoing": "0",
            "ipoable": "0",
            "storage": "0",
            "isLegalMoney": False,
            "trading": True,
            "networkList": [
                {
                    "network": coin if coin != "USDT" else "BSC",
                    "coin": coin,
                    "name": name,
                    "isDefault": True,
                    "depositEnable": False,
                    "withdrawEnable": False,
                    "withdrawFee": "0",
                    "withdrawMin": "0",
                    "withdrawMax": "0",
                    "withdrawIntegerMultiple": "0.00000001",
                    "minConfirm": 1,
                    "unLockConfirm": 0,
                    "depositDesc": "Paper venue: no deposits",
                    "withdrawDesc": "Paper venue: no withdrawals",
                    "specialTips": "",
                    "busy": False,
                    "sameAddress": False,
                }
            ],
        }
        for coin, name in names.items()
    ]
