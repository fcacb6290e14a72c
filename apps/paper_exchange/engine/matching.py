"""Matching: a new order against the venue's book (`book.py`: the levels it publishes), a
resting limit against the last price, a conditional order's trigger (stop, take
profit, trailing) against its working price, and the end of an order (cancel, expiry)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..errors import ApiError
from ..symbols import SYMBOLS, TRIGGER_PROTECT, SymbolSpec
from . import ledger
from .models import Account, AlgoOrder, Order
from .risk import check_margin

if TYPE_CHECKING:
    from .exchange import Engine


def post_only_rejected() -> ApiError:
    return ApiError(
        -5022,
        "Due to the order could not be executed as maker, the "
        "Post Only order will be rejected. The order will not be "
        "recorded in the order history",
    )


def execute(engine: Engine, acc: Account, order: Order, spec: SymbolSpec, t: int) -> None:
    """Match a new (or modified) order against the book at `t`: it takes the levels from the
    touch, each level one trade (and one ORDER_TRADE_UPDATE), a limit no further than its
    price. The rest of a GTC limit rests; an IOC's rest expires; a FOK fills whole or expires.
    Runs inside the caller's transaction."""
    limit = None if order.type == "MARKET" else order.price
    if limit is not None and order.time_in_force == "GTX":
        bid, ask = engine.book.best(spec.symbol, t)
        if limit >= ask if order.side == "BUY" else limit <= bid:
            raise post_only_rejected()
    fills = engine.book.take(
        spec.symbol,
        order.side,
        order.remaining,
        t,
        account_id=acc.id,
        maker_qty=lambda resting: maker_qty(engine, resting),
        limit=limit,
        all_or_none=order.time_in_force == "FOK",
    )
    for price, qty, maker in fills:
        ledger.fill(engine, acc, order, qty, price, maker=False, t=t)
        engine.store.put_order(order)
        if maker is not None:
            fill_maker(engine, maker, qty, price, t)
    if order.remaining == 0:
        return
    if order.type == "MARKET" or order.time_in_force in ("IOC", "FOK"):
        order.status = "EXPIRED"  # Binance: PARTIALLY_FILLED by the fills, then EXPIRED
        order.update_ms = t
        engine.store.put_order(order)
        return
    acc.open_orders[order.order_id] = order
    if not fills:
        engine.store.put_order(order)


def maker_qty(engine: Engine, order: Order) -> Decimal:
    """How much of a resting order a taker can fill now: its remaining quantity, a reduce-only
    one's no more than the position it reduces (nothing once that is gone or flipped)."""
    if not order.reduce_only:
        return order.remaining
    pos = engine.accounts[order.account_id].positions.get(order.symbol)
    amt = pos.amt if pos else Decimal(0)
    if amt == 0 or (amt > 0) == (order.side == "BUY"):
        return Decimal(0)
    return min(order.remaining, abs(amt))


def fill_maker(engine: Engine, order: Order, qty: Decimal, price: Decimal, t: int) -> None:
    """The maker's side of a taker's fill against a resting order (inside the taker's
    transaction): a maker trade at the order's price; a filled order leaves the book, and so
    does a reduce-only one whose position is now closed (its rest EXPIRED)."""
    acc = engine.accounts[order.account_id]
    ledger.fill(engine, acc, order, qty, price, maker=True, t=t)
    if order.remaining > 0 and order.reduce_only and maker_qty(engine, order) == 0:
        order.status = "EXPIRED"
    if not order.is_open:
        acc.open_orders.pop(order.order_id, None)
    engine.store.put_order(order)


def cancel(engine: Engine, acc: Account, order: Order, t: int, status: str = "CANCELED") -> None:
    order.status = status
    order.update_ms = t
    acc.open_orders.pop(order.order_id, None)
    with engine.store.tx():
        engine.store.put_order(order)


def close_algo(engine: Engine, acc: Account, algo: AlgoOrder, status: str, t: int) -> None:
    algo.algo_status = status
    algo.update_ms = t
    acc.open_algos.pop(algo.algo_id, None)
    with engine.store.tx():
        engine.store.put_algo(algo)


def limit_hit(order: Order, last: Decimal) -> bool:
    """A resting limit fills once the last price trades through it (strictly: at its own price
    it would wait behind the book's level there)."""
    return last < order.price if order.side == "BUY" else last > order.price


def fill_resting(engine: Engine, acc: Account, order: Order, t: int) -> None:
    """A resting limit the price reached: fills whole as maker (a reduce-only one only up to
    the position, and expires if the position is gone or flipped)."""
    qty = order.remaining
    if order.reduce_only:
        pos = acc.positions.get(order.symbol)
        amt = pos.amt if pos else Decimal(0)
        if amt == 0 or (amt > 0) == (order.side == "BUY"):
            cancel(engine, acc, order, t, status="EXPIRED")
            return
        qty = min(qty, abs(amt))
    acc.open_orders.pop(order.order_id, None)
    with engine.store.tx():
        ledger.fill(engine, acc, order, qty, order.price, maker=True, t=t)
        if order.executed_qty < order.orig_qty:
            order.status = "EXPIRED"  # a reduce-only remainder past the position
        engine.store.put_order(order)


def would_trigger(otype: str, side: str, trigger: Decimal, ref: Decimal) -> bool:
    if otype in ("STOP", "STOP_MARKET"):
        return ref >= trigger if side == "BUY" else ref <= trigger
    return ref <= trigger if side == "BUY" else ref >= trigger


def evaluate_algo(
    engine: Engine, acc: Account, algo: AlgoOrder, last: Decimal, mark: Decimal, t: int
) -> None:
    """Trigger on the price the order's workingType names: CONTRACT_PRICE (Binance's default)
    the last price, MARK_PRICE the mark. With priceProtect a stop or take profit does not
    trigger while the last and the mark price are more than triggerProtect apart; it stays
    open and triggers once they come together (Binance's price protection)."""
    ref = mark if algo.working_type == "MARK_PRICE" else last
    if algo.order_type == "TRAILING_STOP_MARKET":
        if not trail(engine, algo, ref):
            return
    elif not would_trigger(algo.order_type, algo.side, algo.trigger_price, ref):
        return
    elif algo.price_protect and abs(last - mark) > last * TRIGGER_PROTECT:
        return
    trigger(engine, acc, algo, t)


def trail(engine: Engine, algo: AlgoOrder, ref: Decimal) -> bool:
    """Track the best price since activation; True when price retraced by callbackRate %."""
    sell = algo.side == "SELL"
    if algo.extreme is None:
        active = algo.activate_price is None or (
            ref >= algo.activate_price if sell else ref <= algo.activate_price
        )
        if not active:
            return False
        algo.extreme = ref
    rate = (algo.callback_rate or Decimal(0)) / 100
    better = ref > algo.extreme if sell else ref < algo.extreme
    if better:
        algo.extreme = ref
        with engine.store.tx():
            engine.store.put_algo(algo)
    if sell:
        return ref <= algo.extreme * (1 - rate)
    return ref >= algo.extreme * (1 + rate)


def trigger(engine: Engine, acc: Account, algo: AlgoOrder, t: int) -> None:
    """A triggered conditional becomes a MARKET or LIMIT order, checked for margin as a new one
    (REJECTED if it does not fit); a reduce-only or close-position one that would not reduce
    expires."""
    spec = SYMBOLS[algo.symbol]
    pos = acc.positions.get(algo.symbol)
    amt = pos.amt if pos else Decimal(0)
    reduces = amt != 0 and (amt > 0) != (algo.side == "BUY")
    qty = algo.quantity
    algo.trigger_ms = t
    if algo.close_position or algo.reduce_only:
        if not reduces:
            close_algo(engine, acc, algo, "EXPIRED", t)
            return
        qty = abs(amt) if algo.close_position else min(qty, abs(amt))
    market = algo.order_type.endswith("MARKET")
    bid, ask = engine.book.best(algo.symbol, t)
    try:
        check_margin(
            engine,
            acc,
            symbol=algo.symbol,
            side=algo.side,
            qty=qty,
            price=ask if algo.side == "BUY" else bid,
            t=t,
        )
    except ApiError:
        close_algo(engine, acc, algo, "REJECTED", t)
        return
    order = Order(
        order_id=engine.next_order_id(),
        account_id=acc.id,
        symbol=algo.symbol,
        client_order_id=algo.client_algo_id,
        side=algo.side,
        type="MARKET" if market else "LIMIT",
        orig_type=algo.order_type,
        time_in_force=algo.time_in_force if not market else "GTC",
        price=algo.price,
        orig_qty=qty,
        stop_price=algo.trigger_price,
        reduce_only=algo.reduce_only,
        close_position=algo.close_position,
        working_type=algo.working_type,
        price_protect=algo.price_protect,
        time_ms=t,
        update_ms=t,
    )
    algo.actual_order_id = order.order_id
    algo.algo_status = "FINISHED" if market else "TRIGGERED"
    algo.update_ms = t
    acc.open_algos.pop(algo.algo_id, None)
    with engine.store.tx():
        try:
            execute(engine, acc, order, spec, t)
        except ApiError:  # a post-only limit that would cross at trigger time
            order.status = "EXPIRED"
            engine.store.put_order(order)
        engine.store.put_algo(algo)
