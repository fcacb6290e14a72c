"""An account's margin at a mark: what its positions and open orders tie up, what it must keep
(maintenance, by Binance's brackets or the configured flat rate), where a position would be
liquidated, and whether a new order fits in what is left.

A CROSSED position shares the cross wallet (the account's wallet less every isolated wallet)
with the other cross positions; an ISOLATED one has its own wallet (`Position.isolated_wallet`:
the margin it was opened with, plus what was added, less what was taken back) and is
liquidated alone, when that wallet plus its unrealized PnL falls below its maintenance margin.
Reads only; the maths is in `accounting.py`, the writes in `ledger.py`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from .. import brackets
from ..errors import ApiError, margin_insufficient
from . import accounting as acct
from .models import Account, Position

if TYPE_CHECKING:
    from .exchange import Engine


@dataclass
class SymbolRisk:
    symbol: str
    amt: Decimal
    entry: Decimal
    mark: Decimal
    leverage: int
    isolated: bool
    unrealized: Decimal
    position_im: Decimal
    order_im: Decimal
    maint: Decimal
    update_ms: int
    isolated_wallet: Decimal = Decimal(0)

    @property
    def isolated_margin(self) -> Decimal:
        """Binance's `isolatedMargin`: the isolated wallet with the unrealized PnL (0 if cross)."""
        return self.isolated_wallet + self.unrealized if self.isolated else Decimal(0)


@dataclass
class AccountRisk:
    wallet: Decimal
    unrealized: Decimal
    position_im: Decimal
    order_im: Decimal
    maint: Decimal
    symbols: dict[str, SymbolRisk]

    @property
    def margin_balance(self) -> Decimal:
        return self.wallet + self.unrealized

    def _cross(self) -> list[SymbolRisk]:
        return [s for s in self.symbols.values() if not s.isolated]

    @property
    def cross_wallet(self) -> Decimal:
        return self.wallet - sum((s.isolated_wallet for s in self.symbols.values()), Decimal(0))

    @property
    def cross_unrealized(self) -> Decimal:
        return sum((s.unrealized for s in self._cross()), Decimal(0))

    @property
    def cross_maint(self) -> Decimal:
        return sum((s.maint for s in self._cross()), Decimal(0))

    @property
    def available(self) -> Decimal:
        """What the cross wallet has left: isolated positions hold their own wallets instead of
        initial margin; every open order's margin (isolated symbols' too) comes from here."""
        cross_im = sum((s.position_im for s in self._cross()), Decimal(0))
        return self.cross_wallet + self.cross_unrealized - cross_im - self.order_im

    def liquidation_equity(self, symbol: str) -> Decimal:
        """What stands between `symbol`'s position and its liquidation, besides its own PnL:
        its isolated wallet, or for a cross position the cross wallet with the other cross
        positions' unrealized PnL less their maintenance margin."""
        s = self.symbols[symbol]
        if s.isolated:
            return s.isolated_wallet
        others = (o.unrealized - o.maint for o in self._cross() if o.symbol != symbol)
        return self.cross_wallet + sum(others, Decimal(0))


def account_risk(
    engine: Engine, acc: Account, t: int, marks: dict[str, Decimal] | None = None
) -> AccountRisk:
    """The account at `t` (or at the given marks: the clock loop prices a whole grid point once)."""
    symbols: dict[str, SymbolRisk] = {}
    order_im: dict[str, Decimal] = {}
    for order in acc.open_orders.values():
        if order.reduce_only:
            continue
        lev = engine.setting(acc, order.symbol).leverage
        order_im[order.symbol] = (
            order_im.get(order.symbol, Decimal(0)) + order.remaining * order.price / lev
        )
    names = {s for s, p in acc.positions.items() if p.amt != 0} | set(order_im)
    for symbol in names:
        pos = acc.positions.get(symbol) or Position(symbol=symbol)
        setting = engine.setting(acc, symbol)
        mark = marks[symbol] if marks and symbol in marks else engine.market.mark(symbol, t)
        symbols[symbol] = SymbolRisk(
            symbol=symbol,
            amt=pos.amt,
            entry=pos.entry,
            mark=mark,
            leverage=setting.leverage,
            isolated=setting.margin_type == "ISOLATED",
            unrealized=acct.unrealized(amt=pos.amt, entry=pos.entry, mark=mark),
            position_im=acct.initial_margin(amt=pos.amt, mark=mark, leverage=setting.leverage),
            order_im=order_im.get(symbol, Decimal(0)),
            maint=maint_margin(engine, symbol, pos.amt, mark),
            update_ms=pos.update_ms,
            isolated_wallet=pos.isolated_wallet,
        )
    zero = Decimal(0)
    return AccountRisk(
        wallet=acc.wallet,
        unrealized=sum((s.unrealized for s in symbols.values()), zero),
        position_im=sum((s.position_im for s in symbols.values()), zero),
        order_im=sum((s.order_im for s in symbols.values()), zero),
        maint=sum((s.maint for s in symbols.values()), zero),
        symbols=symbols,
    )


def maint_margin(engine: Engine, symbol: str, amt: Decimal, mark: Decimal) -> Decimal:
    """Binance's bracket table (|notional| x mmr - cum), or the configured flat rate."""
    rate = engine.config.maint_margin_rate
    if rate is not None:
        return acct.maint_margin(amt=amt, mark=mark, rate=rate)
    return brackets.maint_margin(symbol, amt * mark)


def liquidation_price(
    engine: Engine, symbol: str, amt: Decimal, entry: Decimal, other_equity: Decimal
) -> Decimal:
    rate = engine.config.maint_margin_rate
    if rate is not None:
        return acct.liquidation_price(amt=amt, entry=entry, other_equity=other_equity, rate=rate)
    # The bracket depends on the notional at the liquidation price: the first bracket whose
    # solution lands inside it (the smallest positions' bracket when none does).
    found = None
    for bracket in brackets.BRACKETS[symbol]:
        price = acct.liquidation_price(
            amt=amt, entry=entry, other_equity=other_equity, rate=bracket.mmr, cum=bracket.cum
        )
        if brackets.bracket_for(symbol, abs(amt) * price) == bracket:
            return price
        if found is None:
            found = price
    return found if found is not None else Decimal(0)


def break_even(engine: Engine, s: SymbolRisk) -> Decimal:
    # Entry moved by the taker fee paid to open and to close (an approximation of Binance's).
    if s.amt == 0:
        return Decimal(0)
    direction = 1 if s.amt > 0 else -1
    return s.entry * (1 + direction * 2 * engine.config.taker_fee)


def check_margin(
    engine: Engine, acc: Account, *, symbol: str, side: str, qty: Decimal, price: Decimal, t: int
) -> None:
    """-2027 past the leverage's position cap, -2019 when the opening part's margin and the
    taker fee exceed what is available; a purely reducing order always fits."""
    pos = acc.positions.get(symbol)
    opening = acct.opening_qty(amt=pos.amt if pos else Decimal(0), side=side, qty=qty)
    if opening == 0:
        return
    lev = engine.setting(acc, symbol).leverage
    after = abs((pos.amt if pos else Decimal(0)) + (qty if side == "BUY" else -qty))
    if after * price > brackets.max_notional(symbol, lev):
        raise ApiError(-2027, "Exceeded the maximum allowable position at current leverage.")
    need = opening * price / lev + acct.commission(
        price=price, qty=qty, rate=engine.config.taker_fee
    )
    if need > account_risk(engine, acc, t).available:
        raise margin_insufficient()
