"""Strict parsing of the venue's payloads: every field present, every number a finite decimal.

A payload that fails raises PayloadError naming the field and the value; the caller stores
nothing derived from it (docs/pnl.md, "Bad payloads").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from apps.core.money import BadNumber, to_decimal
from apps.exchange.errors import PayloadError

E8 = Decimal("0.00000001")
QTY_PLACES = Decimal("0.0000000001")


def q8(value: Decimal) -> Decimal:
    """Money and prices as the desk keeps them: 8 places, half-even (USDT's precision)."""
    return value.quantize(E8, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Position:
    symbol: str
    amt: Decimal
    entry_price: Decimal
    mark_price: Decimal
    unrealized_pnl: Decimal
    initial_margin: Decimal
    notional: Decimal
    leverage: int


@dataclass(frozen=True)
class Account:
    wallet_balance: Decimal
    margin_balance: Decimal
    available_balance: Decimal
    unrealized_pnl: Decimal
    initial_margin: Decimal
    maint_margin: Decimal
    positions: list[Position]  # open ones only (positionAmt != 0)


@dataclass(frozen=True)
class Income:
    tran_id: int
    income_type: str
    symbol: str
    amount: Decimal
    amount_e8: int
    asset: str
    info: str
    trade_id: str
    time_ms: int


def _field(doc: object, name: str, where: str) -> object:
    if not isinstance(doc, dict):
        raise PayloadError(f"{where}: expected an object, got {doc!r:.80}")
    if name not in doc:
        raise PayloadError(f"{where}.{name}: missing")
    return doc[name]


def _dec(doc: object, name: str, where: str) -> Decimal:
    value = _field(doc, name, where)
    try:
        return to_decimal(value, field=f"{where}.{name}")
    except BadNumber as exc:
        raise PayloadError(str(exc)) from None


def _int(doc: object, name: str, where: str) -> int:
    value = _field(doc, name, where)
    if isinstance(value, bool):
        raise PayloadError(f"{where}.{name}: {value!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise PayloadError(f"{where}.{name}: {value!r} is not an integer")


def _str(doc: object, name: str, where: str, *, required: bool = True) -> str:
    value = _field(doc, name, where) if required else (doc or {}).get(name, "")  # type: ignore[union-attr]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # Binance documents tradeId as a string; tolerate an integer
    if not isinstance(value, str):
        raise PayloadError(f"{where}.{name}: {value!r} is not a string")
    return value


def account_parse(payload: object) -> Account:
    """GET /fapi/v2/account. The mark price is not in this payload: it is derived exactly as
    entry + unrealizedProfit / positionAmt, and notional as amt x entry + unrealizedProfit."""
    where = "account"
    positions_raw = _field(payload, "positions", where)
    if not isinstance(positions_raw, list):
        raise PayloadError(f"{where}.positions: {positions_raw!r:.80} is not a list")
    positions = []
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
        leverage = _int(raw, "leverage", pw)
        if leverage < 1:
            raise PayloadError(f"{pw}.leverage: {leverage!r} is below 1")
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
            Position(
                symbol=symbol,
                amt=amt.quantize(QTY_PLACES),
                entry_price=q8(entry),
                mark_price=q8(entry + unrealized / amt),
                unrealized_pnl=q8(unrealized),
                initial_margin=q8(im),
                notional=q8(amt * entry + unrealized),
                leverage=leverage,
            )
        )
    return Account(
        wallet_balance=q8(_dec(payload, "totalWalletBalance", where)),
        margin_balance=q8(_dec(payload, "totalMarginBalance", where)),
        available_balance=q8(_dec(payload, "availableBalance", where)),
        unrealized_pnl=q8(_dec(payload, "totalUnrealizedProfit", where)),
        initial_margin=q8(_dec(payload, "totalPositionInitialMargin", where)),
        maint_margin=q8(_dec(payload, "totalMaintMargin", where)),
        positions=sorted(positions, key=lambda p: p.symbol),
    )


def income_page_parse(payload: object) -> list[Income]:
    """One page of GET /fapi/v1/income, in the venue's order (time, then tranId)."""
    if not isinstance(payload, list):
        raise PayloadError(f"income: expected a list, got {payload!r:.80}")
    rows = []
    for i, raw in enumerate(payload):
        where = f"income[{i}]"
        amount = _dec(raw, "income", where)
        if amount != q8(amount):
            raise PayloadError(f"{where}.income: {raw['income']!r} has more than 8 decimal places")
        income_type = _str(raw, "incomeType", where)
        if not income_type:
            raise PayloadError(f"{where}.incomeType: empty")
        time_ms = _int(raw, "time", where)
        if time_ms <= 0:
            raise PayloadError(f"{where}.time: {time_ms!r} is not a time")
        rows.append(
            Income(
                tran_id=_int(raw, "tranId", where),
                income_type=income_type,
                symbol=_str(raw, "symbol", where),
                amount=q8(amount),
                amount_e8=int(q8(amount) * 100_000_000),
                asset=_str(raw, "asset", where),
                info=_str(raw, "info", where, required=False)[:255],
                trade_id=_str(raw, "tradeId", where, required=False),
                time_ms=time_ms,
            )
        )
    return rows


def server_time_parse(payload: object) -> int:
    return _int(payload, "serverTime", "time")
