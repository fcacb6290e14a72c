"""The money writes: income rows (the wallet moves only through them) and executions (position,
realized PnL, commission, the trade row). Run inside the caller's storage transaction, so a
rejected order leaves no row behind."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..symbols import SYMBOLS
from . import accounting as acct
from .models import Account, Order
from .views import money_str

if TYPE_CHECKING:
    from .exchange import Engine


def income(
    engine: Engine,
    acc: Account,
    kind: str,
    amount: Decimal,
    t: int,
    *,
    symbol: str,
    trade_id: int | None = None,
    info: str = "",
) -> None:
    amount = acct.money(amount)
    acc.wallet += amount
    acc.update_ms = t
    engine.store.put_income(
        acc.id,
        {
            "symbol": symbol,
            "incomeType": kind,
            "income": money_str(amount),
            "asset": "USDT",
            "info": info,
            "time": t,
            "tranId": engine.next_tran_id(),
            "tradeId": str(trade_id) if trade_id is not None else "",
        },
    )


def isolated_wallet_after(
    engine: Engine,
    acc: Account,
    wallet: Decimal,
    amt: Decimal,
    effect: acct.FillEffect,
    price: Decimal,
    symbol: str,
) -> Decimal:
    """An isolated position's wallet after a fill: a reduction gives back its share of the
    wallet (all of it when the position closes), what opens is margined at the fill price over
    the leverage, moved from the cross wallet (realized PnL and fees stay in the cross wallet)."""
    if effect.closed_qty > 0:
        wallet -= wallet * effect.closed_qty / abs(amt)
    if effect.opened_qty > 0:
        wallet += effect.opened_qty * price / engine.setting(acc, symbol).leverage
    return acct.money(wallet) if effect.amt != 0 else Decimal(0)


def fill(
    engine: Engine,
    acc: Account,
    order: Order,
    qty: Decimal,
    price: Decimal,
    *,
    maker: bool,
    t: int,
    rate: Decimal | None = None,
) -> None:
    """One execution: position, wallet, trade and income rows (inside the caller's tx).
    `rate` overrides the maker/taker commission rate (an isolated liquidation pays none)."""
    pos = engine.position(acc, order.symbol)
    effect = acct.apply_fill(amt=pos.amt, entry=pos.entry, side=order.side, qty=qty, price=price)
    if rate is None:
        rate = engine.config.maker_fee if maker else engine.config.taker_fee
    fee = acct.commission(price=price, qty=qty, rate=rate)
    trade_id = engine.next_trade_id()
    if effect.closed_qty > 0:
        income(
            engine, acc, "REALIZED_PNL", effect.realized, t, symbol=order.symbol, trade_id=trade_id
        )
    if fee:
        income(engine, acc, "COMMISSION", -fee, t, symbol=order.symbol, trade_id=trade_id)
    if engine.setting(acc, order.symbol).margin_type == "ISOLATED":
        pos.isolated_wallet = isolated_wallet_after(
            engine, acc, pos.isolated_wallet, pos.amt, effect, price, order.symbol
        )
    pos.amt, pos.entry, pos.update_ms = effect.amt, effect.entry, t
    engine.store.put_position(acc.id, pos)
    order.executed_qty += qty
    order.cum_quote += qty * price
    order.avg_price = order.cum_quote / order.executed_qty
    order.status = "FILLED" if order.executed_qty >= order.orig_qty else "PARTIALLY_FILLED"
    order.update_ms = t
    spec = SYMBOLS[order.symbol]
    engine.store.put_trade(
        acc.id,
        {
            "buyer": order.side == "BUY",
            "commission": money_str(fee),
            "commissionAsset": "USDT",
            "id": trade_id,
            "maker": maker,
            "orderId": order.order_id,
            "price": spec.fmt_price(price),
            "qty": spec.fmt_qty(qty),
            "quoteQty": money_str(qty * price),
            "realizedPnl": money_str(effect.realized),
            "side": order.side,
            "positionSide": "BOTH",
            "symbol": order.symbol,
            "time": t,
        },
    )
    engine.store.put_account(acc)
