"""The venue's replies as the desk reads them: frozen, typed reports, parsed strictly here and
nowhere else.

Every field present, every number a finite decimal, every id an integer: a payload that fails
raises PayloadError naming the field and the value, and the caller stores nothing derived from it
(docs/pnl.md, "Bad payloads"). The reports are venue-neutral (nautilus_trader's "reports"): the
desk's apps take them and never see a Binance dict or field name. Stream events (ORDER_TRADE_UPDATE,
ACCOUNT_UPDATE, markPriceUpdate, kline) carry the same facts under other keys; their parsers belong
here too and return these same types (OrderReport, FillReport, PositionReport, MarkReport,
KlineReport), so a reactor cannot tell a streamed report from a polled one.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass
from decimal import Decimal

from apps.core.money import BadNumber, q8, to_decimal, to_e8
from apps.exchange.errors import PayloadError

QTY_PLACES = Decimal("0.0000000001")
WORKING_STATUSES = ("NEW", "PARTIALLY_FILLED")


# --- report types --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PositionReport:
    """One open position (amt signed, never 0). `leverage` is None where the source does not
    carry it (positionRisk v3); `initial_margin` is the position's, open orders excluded."""

    symbol: str
    amt: Decimal
    entry_price: Decimal
    mark_price: Decimal
    unrealized_pnl: Decimal
    initial_margin: Decimal
    notional: Decimal
    leverage: int | None


@dataclass(frozen=True)
class AccountReport:
    wallet_balance: Decimal
    margin_balance: Decimal
    available_balance: Decimal
    unrealized_pnl: Decimal
    initial_margin: Decimal
    maint_margin: Decimal
    positions: tuple[PositionReport, ...]  # open ones only, by symbol
    leverage: dict[str, int]  # every symbol's leverage setting, open or not


@dataclass(frozen=True)
class IncomeReport:
    tran_id: int
    income_type: str
    symbol: str
    amount: Decimal
    amount_e8: int
    asset: str
    info: str
    trade_id: str
    time_ms: int


@dataclass(frozen=True)
class OrderReport:
    """A plain order (not a conditional one). `working` while the venue may still fill it."""

    order_id: int
    client_order_id: str
    symbol: str
    status: str  # NEW, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED, EXPIRED_IN_MATCH, REJECTED
    side: str
    type: str  # the original type (a fired STOP_MARKET's order is a MARKET of type STOP_MARKET)
    orig_qty: Decimal
    executed_qty: Decimal
    avg_price: Decimal
    reduce_only: bool
    update_ms: int

    @property
    def working(self) -> bool:
        return self.status in WORKING_STATUSES


class AlgoStatus:
    NEW = "NEW"
    FIRED = ("TRIGGERING", "TRIGGERED", "FINISHED")  # the venue sent (or is sending) its order


@dataclass(frozen=True)
class AlgoOrderReport:
    """A conditional order. `actual_order_id` is the plain order it sent when it fired."""

    algo_id: int
    client_algo_id: str
    symbol: str
    status: str
    side: str
    trigger_price: Decimal
    actual_order_id: int | None

    @property
    def fired(self) -> bool:
        return self.status in AlgoStatus.FIRED

    @property
    def working(self) -> bool:
        return self.status == AlgoStatus.NEW


@dataclass(frozen=True)
class FillReport:
    trade_id: int
    order_id: int
    symbol: str
    side: str
    price: Decimal
    qty: Decimal
    realized_pnl: Decimal  # gross, before commission
    commission: Decimal
    time_ms: int


@dataclass(frozen=True)
class SymbolFilters:
    symbol: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    min_notional: Decimal


@dataclass(frozen=True)
class KlineReport:
    symbol: str
    interval: str
    open_time_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    close_time_ms: int


@dataclass(frozen=True)
class MarkReport:
    symbol: str
    mark_price: Decimal
    index_price: Decimal
    funding_rate: Decimal
    next_funding_ms: int
    time_ms: int


@dataclass(frozen=True)
class FundingReport:
    """One settled funding: the rate paid at `funding_time_ms` (GET /fapi/v1/fundingRate)."""

    symbol: str
    rate: Decimal
    funding_time_ms: int


@dataclass(frozen=True)
class TickerReport:
    symbol: str
    price: Decimal


# --- field readers -------------------------------------------------------------------------------


def _field(doc: object, name: str, where: str) -> object:
    if not isinstance(doc, dict):
        raise PayloadError(f"{where}: expected an object, got {doc!r:.80}")
    if name not in doc:
        raise PayloadError(f"{where}.{name}: missing")
    return doc[name]


def _number(value: object, where: str) -> Decimal:
    try:
        return to_decimal(value, field=where)
    except BadNumber as exc:
        raise PayloadError(str(exc)) from None


def _dec(doc: object, name: str, where: str) -> Decimal:
    return _number(_field(doc, name, where), f"{where}.{name}")


def _as_int(value: object, where: str) -> int:
    if isinstance(value, bool):
        raise PayloadError(f"{where}: {value!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise PayloadError(f"{where}: {value!r} is not an integer")


def _int(doc: object, name: str, where: str) -> int:
    return _as_int(_field(doc, name, where), f"{where}.{name}")


def _str(doc: object, name: str, where: str, *, required: bool = True) -> str:
    value = _field(doc, name, where) if required else (doc or {}).get(name, "")  # type: ignore[union-attr]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # Binance documents tradeId as a string; tolerate an integer
    if not isinstance(value, str):
        raise PayloadError(f"{where}.{name}: {value!r} is not a string")
    return value


def _bool(doc: object, name: str, where: str) -> bool:
    value = _field(doc, name, where)
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):  # form-encoded echoes
        return value == "true"
    raise PayloadError(f"{where}.{name}: {value!r} is not a boolean")


def _list(payload: object, where: str) -> list:
    if not isinstance(payload, list):
        raise PayloadError(f"{where}: expected a list, got {payload!r:.80}")
    return payload


# --- parsers -------------------------------------------------------------------------------------


def listen_key_parse(payload: object) -> str:
    """python-binance hands back the key itself (it unwraps {"listenKey": ...})."""
    if not isinstance(payload, str) or not payload:
        raise PayloadError(f"listenKey: {payload!r} is not a key")
    return payload


def server_time_parse(payload: object) -> int:
    return _int(payload, "serverTime", "time")


def account_parse(payload: object) -> AccountReport:
    """GET /fapi/v2/account. The mark price is not in this payload: it is derived exactly as
    entry + unrealizedProfit / positionAmt, and notional as amt x entry + unrealizedProfit."""
    where = "account"
    positions_raw = _field(payload, "positions", where)
    if not isinstance(positions_raw, list):
        raise PayloadError(f"{where}.positions: {positions_raw!r:.80} is not a list")
    positions = []
    leverage: dict[str, int] = {}
    seen: set[str] = set()
    for i, raw in enumerate(positions_raw):
        pw = f"{where}.positions[{i}]"
        symbol = _str(raw, "symbol", pw)
        if not symbol:
            raise PayloadError(f"{pw}.symbol: empty")
        amt = _dec(raw, "positionAmt", pw)
        entry = _dec(raw, "entryPrice", pw)
        unrealized = _dec(raw, "unrealizedProfit", pw)
        im = _dec(raw, "positionInitialMargin", pw)
        lev = _int(raw, "leverage", pw)
        if lev < 1:
            raise PayloadError(f"{pw}.leverage: {lev!r} is below 1")
        leverage[symbol] = lev
        if amt == 0:
            continue
        if symbol in seen:
            raise PayloadError(
                f"{pw}.symbol: {symbol!r} listed twice (hedge mode is not supported)"
            )
        seen.add(symbol)
        if entry <= 0:
            raise PayloadError(f"{pw}.entryPrice: {entry} for an open position")
        positions.append(
            PositionReport(
                symbol=symbol,
                amt=amt.quantize(QTY_PLACES),
                entry_price=q8(entry),
                mark_price=q8(entry + unrealized / amt),
                unrealized_pnl=q8(unrealized),
                initial_margin=q8(im),
                notional=q8(amt * entry + unrealized),
                leverage=lev,
            )
        )
    return AccountReport(
        wallet_balance=q8(_dec(payload, "totalWalletBalance", where)),
        margin_balance=q8(_dec(payload, "totalMarginBalance", where)),
        available_balance=q8(_dec(payload, "availableBalance", where)),
        unrealized_pnl=q8(_dec(payload, "totalUnrealizedProfit", where)),
        initial_margin=q8(_dec(payload, "totalPositionInitialMargin", where)),
        maint_margin=q8(_dec(payload, "totalMaintMargin", where)),
        positions=tuple(sorted(positions, key=lambda p: p.symbol)),
        leverage=leverage,
    )


def position_risk_parse(payload: object) -> list[PositionReport]:
    """GET /fapi/v3/positionRisk: open positions only, with the venue's own mark price."""
    positions = []
    for i, raw in enumerate(_list(payload, "positionRisk")):
        where = f"positionRisk[{i}]"
        symbol = _str(raw, "symbol", where)
        amt = _dec(raw, "positionAmt", where)
        if amt == 0:
            continue
        positions.append(
            PositionReport(
                symbol=symbol,
                amt=amt.quantize(QTY_PLACES),
                entry_price=_dec(raw, "entryPrice", where),
                mark_price=_dec(raw, "markPrice", where),
                unrealized_pnl=_dec(raw, "unRealizedProfit", where),
                initial_margin=_dec(raw, "positionInitialMargin", where),
                notional=_dec(raw, "notional", where),
                leverage=None,
            )
        )
    if len({p.symbol for p in positions}) != len(positions):
        raise PayloadError("positionRisk: a symbol listed twice (hedge mode is not supported)")
    return sorted(positions, key=lambda p: p.symbol)


def income_page_parse(payload: object) -> list[IncomeReport]:
    """One page of GET /fapi/v1/income, in the venue's order (time, then tranId)."""
    if not isinstance(payload, list):
        raise PayloadError(f"income: expected a list, got {payload!r:.80}")
    rows = []
    for i, raw in enumerate(payload):
        row = _income_row_plain(raw)
        rows.append(row if row is not None else _income_row(raw, f"income[{i}]"))
    return rows


def _income_row_plain(raw: object) -> IncomeReport | None:
    """A row of the shape the venue sends (exact types, an amount of at most 8 places) parsed
    with no helper per field: at 20,000 rows the strict parser's calls were a tenth of an
    ingestion. None for anything else, which _income_row then accepts or rejects (naming the
    field): this path takes a subset of what that one accepts, and gives the same report."""
    if type(raw) is not dict:
        return None
    try:
        text, tran_id, kind = raw["income"], raw["tranId"], raw["incomeType"]
        symbol, asset, time_ms = raw["symbol"], raw["asset"], raw["time"]
    except KeyError:
        return None
    info, trade_id = raw.get("info", ""), raw.get("tradeId", "")
    if not (
        type(text) is str
        and type(tran_id) is int
        and type(kind) is str
        and kind
        and type(symbol) is str
        and type(asset) is str
        and type(time_ms) is int
        and time_ms > 0
        and type(info) is str
        and type(trade_id) is str
    ):
        return None
    try:
        amount = Decimal(text)
        exact = q8(amount) if amount.is_finite() else None
    except ArithmeticError:  # not a number, or too large to quantize
        return None
    if exact is None or exact != amount:
        return None
    return IncomeReport(
        tran_id=tran_id,
        income_type=kind,
        symbol=symbol,
        amount=exact,
        amount_e8=to_e8(exact),
        asset=asset,
        info=info[:255],
        trade_id=trade_id,
        time_ms=time_ms,
    )


def _income_row(raw: object, where: str) -> IncomeReport:
    """One income row, every field checked; PayloadError names the first bad one."""
    amount = _dec(raw, "income", where)
    if amount != q8(amount):
        raise PayloadError(f"{where}.income: {raw['income']!r} has more than 8 decimal places")
    income_type = _str(raw, "incomeType", where)
    if not income_type:
        raise PayloadError(f"{where}.incomeType: empty")
    time_ms = _int(raw, "time", where)
    if time_ms <= 0:
        raise PayloadError(f"{where}.time: {time_ms!r} is not a time")
    return IncomeReport(
        tran_id=_int(raw, "tranId", where),
        income_type=income_type,
        symbol=_str(raw, "symbol", where),
        amount=q8(amount),
        amount_e8=to_e8(amount),
        asset=_str(raw, "asset", where),
        info=_str(raw, "info", where, required=False)[:255],
        trade_id=_str(raw, "tradeId", where, required=False),
        time_ms=time_ms,
    )


def order_parse(payload: object, where: str = "order") -> OrderReport:
    """An order from /fapi/v1/order (placed, or looked up) or one row of allOrders."""
    raw_type = _str(payload, "origType", where, required=False) or _str(payload, "type", where)
    update = payload.get("updateTime") or payload.get("time")  # type: ignore[union-attr]
    return OrderReport(
        order_id=_int(payload, "orderId", where),
        client_order_id=_str(payload, "clientOrderId", where),
        symbol=_str(payload, "symbol", where),
        status=_str(payload, "status", where),
        side=_str(payload, "side", where),
        type=raw_type,
        orig_qty=_dec(payload, "origQty", where),
        executed_qty=_dec(payload, "executedQty", where),
        avg_price=_dec(payload, "avgPrice", where),
        reduce_only=_bool(payload, "reduceOnly", where),
        update_ms=_as_int(update or 0, f"{where}.updateTime"),
    )


def orders_parse(payload: object) -> list[OrderReport]:
    return [order_parse(r, f"orders[{i}]") for i, r in enumerate(_list(payload, "orders"))]


def algo_order_parse(payload: object, where: str = "algoOrder") -> AlgoOrderReport:
    actual = _field(payload, "actualOrderId", where)
    return AlgoOrderReport(
        algo_id=_int(payload, "algoId", where),
        client_algo_id=_str(payload, "clientAlgoId", where),
        symbol=_str(payload, "symbol", where),
        status=_str(payload, "algoStatus", where),
        side=_str(payload, "side", where),
        trigger_price=_dec(payload, "triggerPrice", where),
        # "" (or null) until it fired
        actual_order_id=_as_int(actual, f"{where}.actualOrderId") if actual else None,
    )


def fills_parse(payload: object) -> list[FillReport]:
    """GET /fapi/v1/userTrades."""
    fills = []
    for i, raw in enumerate(_list(payload, "userTrades")):
        where = f"userTrades[{i}]"
        fills.append(
            FillReport(
                trade_id=_int(raw, "id", where),
                order_id=_int(raw, "orderId", where),
                symbol=_str(raw, "symbol", where),
                side=_str(raw, "side", where),
                price=_dec(raw, "price", where),
                qty=_dec(raw, "qty", where),
                realized_pnl=_dec(raw, "realizedPnl", where),
                commission=_dec(raw, "commission", where),
                time_ms=_int(raw, "time", where),
            )
        )
    return fills


def leverage_parse(payload: object) -> int:
    return _int(payload, "leverage", "leverage")


def exchange_info_parse(payload: object) -> dict[str, SymbolFilters]:
    """Tick size, step size and minimum notional per symbol from GET /fapi/v1/exchangeInfo."""
    out: dict[str, SymbolFilters] = {}
    for i, entry in enumerate(_list(_field(payload, "symbols", "exchangeInfo"), "symbols")):
        where = f"exchangeInfo.symbols[{i}]"
        symbol = _str(entry, "symbol", where)
        filters = {
            _str(f, "filterType", f"{where}.filters"): f
            for f in _list(_field(entry, "filters", where), f"{where}.filters")
        }
        price, lot = filters.get("PRICE_FILTER"), filters.get("LOT_SIZE")
        if price is None or lot is None:
            raise PayloadError(f"{where}: no PRICE_FILTER or LOT_SIZE for {symbol}")
        notional = filters.get("MIN_NOTIONAL")
        out[symbol] = SymbolFilters(
            symbol=symbol,
            tick_size=_dec(price, "tickSize", f"{symbol}.PRICE_FILTER"),
            step_size=_dec(lot, "stepSize", f"{symbol}.LOT_SIZE"),
            min_qty=_dec(lot, "minQty", f"{symbol}.LOT_SIZE"),
            min_notional=(
                _dec(notional, "notional", f"{symbol}.MIN_NOTIONAL") if notional else Decimal(0)
            ),
        )
    return out


def klines_parse(payload: object, *, symbol: str, interval: str) -> list[KlineReport]:
    """GET /fapi/v1/klines rows `[openTime, open, high, low, close, volume, closeTime, ...]`."""
    out = []
    for i, row in enumerate(_list(payload, f"klines {symbol}")):
        where = f"klines {symbol}[{i}]"
        if not isinstance(row, list) or len(row) < 7:
            raise PayloadError(f"{where}: {row!r:.80} is not a kline row")
        out.append(
            KlineReport(
                symbol=symbol,
                interval=interval,
                open_time_ms=_as_int(row[0], f"{where}.openTime"),
                open=_number(row[1], f"{where}.open"),
                high=_number(row[2], f"{where}.high"),
                low=_number(row[3], f"{where}.low"),
                close=_number(row[4], f"{where}.close"),
                volume=_number(row[5], f"{where}.volume"),
                close_time_ms=_as_int(row[6], f"{where}.closeTime"),
            )
        )
    return out


def mark_parse(payload: object) -> MarkReport:
    """GET /fapi/v1/premiumIndex for one symbol: mark, index, funding rate and its next time."""
    where = "premiumIndex"
    return MarkReport(
        symbol=_str(payload, "symbol", where),
        mark_price=_dec(payload, "markPrice", where),
        index_price=_dec(payload, "indexPrice", where),
        funding_rate=_dec(payload, "lastFundingRate", where),
        next_funding_ms=_int(payload, "nextFundingTime", where),
        time_ms=_int(payload, "time", where),
    )


def funding_history_parse(payload: object) -> list[FundingReport]:
    """GET /fapi/v1/fundingRate rows `{symbol, fundingRate, fundingTime, markPrice}`."""
    return [
        FundingReport(
            symbol=_str(raw, "symbol", f"fundingRate[{i}]"),
            rate=_dec(raw, "fundingRate", f"fundingRate[{i}]"),
            funding_time_ms=_int(raw, "fundingTime", f"fundingRate[{i}]"),
        )
        for i, raw in enumerate(_list(payload, "fundingRate"))
    ]


def tickers_parse(payload: object) -> list[TickerReport]:
    """GET /fapi/v2/ticker/price without a symbol: every symbol's last price."""
    return [
        TickerReport(
            symbol=_str(raw, "symbol", f"ticker[{i}]"), price=_dec(raw, "price", f"ticker[{i}]")
        )
        for i, raw in enumerate(_list(payload, "ticker"))
    ]


# --- stream events (websocket) -------------------------------------------------------------------
# Binance USD-M pushes the same facts as the REST replies under one-letter keys. A combined stream
# wraps each event as {"stream": name, "data": event}; a raw stream sends the event itself.


@dataclass(frozen=True)
class KlineEvent:
    """A kline push: the candle so far, and whether it is closed (`x`): only a closed one is a
    fact the desk stores or trades on."""

    kline: KlineReport
    closed: bool
    event_ms: int


@dataclass(frozen=True)
class OrderUpdateReport:
    """ORDER_TRADE_UPDATE: the order as it now stands, and the fill that moved it, if any
    (execution type TRADE)."""

    order: OrderReport
    fill: FillReport | None
    # NEW, TRADE, CANCELED, EXPIRED, AMENDMENT, CALCULATED (liquidation), and BACKFILL: the
    # order's state read over REST after a gap in the socket (apps.exchange.streams.UserStream)
    execution_type: str
    event_ms: int


@dataclass(frozen=True)
class BalanceUpdate:
    asset: str
    wallet_balance: Decimal
    cross_wallet_balance: Decimal
    balance_change: Decimal


@dataclass(frozen=True)
class PositionUpdate:
    """A position as ACCOUNT_UPDATE carries it: no mark or margin (a PositionReport needs both),
    so a type of its own. `amt` 0 means the symbol is flat now."""

    symbol: str
    amt: Decimal
    entry_price: Decimal
    unrealized_pnl: Decimal


@dataclass(frozen=True)
class AccountUpdateReport:
    reason: str  # ORDER, FUNDING_FEE, DEPOSIT, ...
    balances: tuple[BalanceUpdate, ...]
    positions: tuple[PositionUpdate, ...]
    event_ms: int


@dataclass(frozen=True)
class ListenKeyExpired:
    """The user data stream's key lapsed: the stream is dead until a new key is connected."""

    event_ms: int


StreamEvent = MarkReport | KlineEvent | OrderUpdateReport | AccountUpdateReport | ListenKeyExpired

# Pushed on the user data stream but not acted on by the desk (the REST reconcile reads what
# matters of them): recognised and dropped, so an unknown type still fails loudly.
IGNORED_EVENTS = frozenset(
    {
        "TRADE_LITE",
        "ACCOUNT_CONFIG_UPDATE",
        "MARGIN_CALL",
        "STRATEGY_UPDATE",
        "GRID_UPDATE",
        "CONDITIONAL_ORDER_TRIGGER_REJECT",
        "ALGO_UPDATE",
    }
)


def mark_event_parse(event: object) -> MarkReport:
    """markPriceUpdate: p mark, i index, r funding rate, T next funding time, E event time."""
    where = "markPriceUpdate"
    return MarkReport(
        symbol=_str(event, "s", where),
        mark_price=_dec(event, "p", where),
        index_price=_dec(event, "i", where),
        funding_rate=_dec(event, "r", where),
        next_funding_ms=_int(event, "T", where),
        time_ms=_int(event, "E", where),
    )


def kline_event_parse(event: object) -> KlineEvent:
    where = "kline"
    k = _field(event, "k", where)
    kw = f"{where}.k"
    symbol = _str(event, "s", where)
    if _str(k, "s", kw) != symbol:
        raise PayloadError(f"{kw}.s: {k['s']!r} is not the event's symbol {symbol!r}")
    return KlineEvent(
        kline=KlineReport(
            symbol=symbol,
            interval=_str(k, "i", kw),
            open_time_ms=_int(k, "t", kw),
            open=_dec(k, "o", kw),
            high=_dec(k, "h", kw),
            low=_dec(k, "l", kw),
            close=_dec(k, "c", kw),
            volume=_dec(k, "v", kw),
            close_time_ms=_int(k, "T", kw),
        ),
        closed=_bool(k, "x", kw),
        event_ms=_int(event, "E", where),
    )


def order_event_parse(event: object) -> OrderUpdateReport:
    """ORDER_TRADE_UPDATE.o: the same OrderReport as a REST look-up (ot is the original type,
    z the cumulative filled quantity, ap the average price), and a FillReport from the last
    fill (t, L, l, n, rp) when the execution type is TRADE."""
    where = "ORDER_TRADE_UPDATE.o"
    o = _field(event, "o", "ORDER_TRADE_UPDATE")
    order = OrderReport(
        order_id=_int(o, "i", where),
        client_order_id=_str(o, "c", where),
        symbol=_str(o, "s", where),
        status=_str(o, "X", where),
        side=_str(o, "S", where),
        type=_str(o, "ot", where),
        orig_qty=_dec(o, "q", where),
        executed_qty=_dec(o, "z", where),
        avg_price=_dec(o, "ap", where),
        reduce_only=_bool(o, "R", where),
        update_ms=_int(o, "T", where),
    )
    execution_type = _str(o, "x", where)
    fill = None
    if execution_type == "TRADE":
        fill = FillReport(
            trade_id=_int(o, "t", where),
            order_id=order.order_id,
            symbol=order.symbol,
            side=order.side,
            price=_dec(o, "L", where),
            qty=_dec(o, "l", where),
            realized_pnl=_dec(o, "rp", where),
            commission=_dec(o, "n", where),
            time_ms=order.update_ms,
        )
    return OrderUpdateReport(
        order=order,
        fill=fill,
        execution_type=execution_type,
        event_ms=_int(event, "E", "ORDER_TRADE_UPDATE"),
    )


def account_event_parse(event: object) -> AccountUpdateReport:
    where = "ACCOUNT_UPDATE.a"
    a = _field(event, "a", "ACCOUNT_UPDATE")
    balances = tuple(
        BalanceUpdate(
            asset=_str(b, "a", f"{where}.B[{i}]"),
            wallet_balance=_dec(b, "wb", f"{where}.B[{i}]"),
            cross_wallet_balance=_dec(b, "cw", f"{where}.B[{i}]"),
            balance_change=_dec(b, "bc", f"{where}.B[{i}]"),
        )
        for i, b in enumerate(_list(_field(a, "B", where), f"{where}.B"))
    )
    positions = []
    for i, p in enumerate(_list(_field(a, "P", where), f"{where}.P")):
        pw = f"{where}.P[{i}]"
        if _str(p, "ps", pw) != "BOTH":
            raise PayloadError(f"{pw}.ps: {p['ps']!r} (hedge mode is not supported)")
        positions.append(
            PositionUpdate(
                symbol=_str(p, "s", pw),
                amt=_dec(p, "pa", pw).quantize(QTY_PLACES),
                entry_price=_dec(p, "ep", pw),
                unrealized_pnl=_dec(p, "up", pw),
            )
        )
    return AccountUpdateReport(
        reason=_str(a, "m", where),
        balances=balances,
        positions=tuple(positions),
        event_ms=_int(event, "E", "ACCOUNT_UPDATE"),
    )


_EVENT_PARSERS = {
    "markPriceUpdate": mark_event_parse,
    "kline": kline_event_parse,
    "ORDER_TRADE_UPDATE": order_event_parse,
    "ACCOUNT_UPDATE": account_event_parse,
    "listenKeyExpired": lambda e: ListenKeyExpired(event_ms=_int(e, "E", "listenKeyExpired")),
}


def stream_event_parse(payload: object) -> StreamEvent | None:
    """One websocket message (raw or combined-stream wrapped) -> its report; None for an event
    type the desk deliberately ignores; PayloadError for anything else."""
    event = payload
    if isinstance(payload, dict) and "data" in payload and "stream" in payload:
        event = payload["data"]
    kind = _str(event, "e", "event")
    if kind in IGNORED_EVENTS:
        return None
    parser = _EVENT_PARSERS.get(kind)
    if parser is None:
        raise PayloadError(f"event.e: unknown event type {kind!r}")
    return parser(event)


# --- reports over Redis streams ------------------------------------------------------------------
# The stream process hands reports to the reactors through Redis: one JSON document per entry,
# Decimals as strings, rebuilt into the same frozen types on the other side.

_WIRE_TYPES = {
    cls.__name__: cls
    for cls in (MarkReport, KlineEvent, OrderUpdateReport, AccountUpdateReport, ListenKeyExpired)
}


def report_dumps(report: object) -> str:
    def plain(value: object) -> object:
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    doc = plain(dataclasses.asdict(report))  # type: ignore[call-overload]
    return json.dumps({"type": type(report).__name__, "report": doc}, separators=(",", ":"))


def _rebuild(tp: object, value: object, where: str) -> object:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if value is None else _rebuild(args[0], value, where)
    if origin is tuple:
        return tuple(_rebuild(typing.get_args(tp)[0], v, where) for v in _list(value, where))
    if origin is dict:
        return dict(value)  # type: ignore[call-overload]
    if tp is Decimal:
        return _number(value, where)
    if tp is int:
        return _as_int(value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise PayloadError(f"{where}: {value!r} is not a boolean")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise PayloadError(f"{where}: {value!r} is not a string")
        return value
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return tp(  # type: ignore[operator]
            **{
                f.name: _rebuild(hints[f.name], _field(value, f.name, where), f"{where}.{f.name}")
                for f in dataclasses.fields(tp)
            }
        )
    raise PayloadError(f"{where}: no rule for {tp!r}")


def report_loads(text: str) -> StreamEvent:
    """The inverse of report_dumps, as strict as the venue parsers."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise PayloadError(f"stream entry: not JSON: {exc}") from None
    cls = _WIRE_TYPES.get(_str(doc, "type", "stream entry"))
    if cls is None:
        raise PayloadError(f"stream entry.type: unknown report {doc['type']!r}")
    return _rebuild(cls, _field(doc, "report", "stream entry"), cls.__name__)  # type: ignore[return-value]
