"""Binance USD-M one-way-mode maths (see docs/paper-exchange.md). Pure functions on Decimals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

MONEY = Decimal("0.00000001")


def money(value: Decimal) -> Decimal:
    return value.quantize(MONEY, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class FillEffect:
    amt: Decimal
    entry: Decimal
    realized: Decimal
    closed_qty: Decimal
    opened_qty: Decimal


def apply_fill(
    *, amt: Decimal, entry: Decimal, side: str, qty: Decimal, price: Decimal
) -> FillEffect:
    """Position after a fill: average in on adds, realize on reductions (entry unchanged),
    reopen at the fill price on flips."""
    sign = Decimal(1) if side == "BUY" else Decimal(-1)
    if amt == 0 or (amt > 0) == (sign > 0):
        size = abs(amt)
        new_entry = (size * entry + qty * price) / (size + qty)
        return FillEffect(amt + sign * qty, new_entry, Decimal(0), Decimal(0), qty)
    size = abs(amt)
    closed = min(qty, size)
    direction = Decimal(1) if amt > 0 else Decimal(-1)
    realized = money(closed * (price - entry) * direction)
    rest = qty - closed
    if rest > 0:
        return FillEffect(sign * rest, price, realized, closed, rest)
    new_amt = amt + sign * qty
    return FillEffect(new_amt, entry if new_amt != 0 else Decimal(0), realized, closed, Decimal(0))


def commission(*, price: Decimal, qty: Decimal, rate: Decimal) -> Decimal:
    return money(price * qty * rate)


def unrealized(*, amt: Decimal, entry: Decimal, mark: Decimal) -> Decimal:
    return amt * (mark - entry)


def initial_margin(*, amt: Decimal, mark: Decimal, leverage: int) -> Decimal:
    return abs(amt) * mark / leverage


def maint_margin(*, amt: Decimal, mark: Decimal, rate: Decimal) -> Decimal:
    return abs(amt) * mark * rate


def funding_fee(*, amt: Decimal, mark: Decimal, rate: Decimal) -> Decimal:
    """Positive rate: longs pay shorts."""
    return money(-amt * mark * rate)


def opening_qty(*, amt: Decimal, side: str, qty: Decimal) -> Decimal:
    """The part of an order that would grow exposure (all of it unless it reduces)."""
    sign = 1 if side == "BUY" else -1
    if amt == 0 or (amt > 0) == (sign > 0):
        return qty
    return max(Decimal(0), qty - abs(amt))


def liquidation_price(
    *,
    amt: Decimal,
    entry: Decimal,
    other_equity: Decimal,
    rate: Decimal,
    cum: Decimal = Decimal(0),
) -> Decimal:
    """Mark at which margin balance equals maintenance (|amt| x mark x rate - cum): other_equity
    is wallet plus the other positions' unrealized PnL minus their maintenance margin."""
    if amt == 0:
        return Decimal(0)
    denominator = amt - abs(amt) * rate
    if denominator == 0:
        return Decimal(0)
    price = (amt * entry - other_equity - cum) / denominator
    return max(price, Decimal(0))


def isolated_liquidation_price(
    *, amt: Decimal, entry: Decimal, wallet: Decimal, mark: Decimal, fee_rate: Decimal
) -> Decimal:
    """Where an isolated position is closed when liquidated: the price that leaves its wallet
    with what it held at the mark (wallet + amt x (mark - entry)) less the clearance fee
    (|amt| x mark x fee_rate), never less than nothing. With that remainder at or below the fee
    (always in the first brackets, whose maintenance rate is under the fee rate) this is the
    bankruptcy price, entry - wallet / amt: the isolated wallet is lost whole."""
    remaining = wallet + amt * (mark - entry)
    kept = max(remaining - abs(amt) * mark * fee_rate, Decimal(0))
    return entry + (kept - wallet) / amt
