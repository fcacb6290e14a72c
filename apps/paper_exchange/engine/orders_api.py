"""The order endpoints of the desk's subset (`/fapi/v1/order`, `/algoOrder` and their lists,
cancels and trades): validate, match, reply. Functions of (engine, account, params), run under
the engine lock by the HTTP layer, which only routes to them."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import ApiError, cancel_rejected, unknown_order
from ..params import Params
from ..symbols import SYMBOLS, get_spec
from . import matching, validation
from .models import Account, AlgoOrder, Order
from .views import algo_json, order_json

if TYPE_CHECKING:
    from .exchange import Engine

CANCEL_ALL_DONE = {"code": 200, "msg": "The operation of cancel all open order is done."}


# --- orders ----------------------------------------------------------------------------------
def new_order(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    order, ack = validation.new_order(engine, acc, p)
    with engine.store.tx():
        acc.used_client_ids.add(order.client_order_id)
        engine.store.add_client_id(acc.id, "order", order.client_order_id)
        matching.execute(engine, acc, order, SYMBOLS[order.symbol], order.time_ms)
    return order_json(order, ack=ack)


def find_order(engine: Engine, acc: Account, p: Params, symbol: str) -> Order | None:
    order_id = p.int("orderId")
    client_id = p.str("origClientOrderId")
    if order_id is None and client_id is None:
        raise ApiError(
            -1102,
            "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
        )
    for order in acc.open_orders.values():
        if order.order_id == order_id or (order_id is None and order.client_order_id == client_id):
            return order if order.symbol == symbol else None
    found = engine.store.find_order(acc.id, order_id=order_id, client_id=client_id)
    return found if found and found.symbol == symbol else None


def get_order(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    spec = get_spec(p.str("symbol"))
    order = find_order(engine, acc, p, spec.symbol)
    if order is None:
        raise unknown_order()
    return order_json(order)


def cancel_order(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    spec = get_spec(p.str("symbol"))
    order = find_order(engine, acc, p, spec.symbol)
    if order is None or not order.is_open:
        raise cancel_rejected()
    matching.cancel(engine, acc, order, engine.clock.now_ms())
    return order_json(order)


def cancel_all(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    symbol = get_spec(p.str("symbol")).symbol
    t = engine.clock.now_ms()
    for order in [o for o in acc.open_orders.values() if o.symbol == symbol]:
        matching.cancel(engine, acc, order, t)
    return dict(CANCEL_ALL_DONE)


def _optional_symbol(p: Params) -> str | None:
    """The `symbol` filter of a list endpoint: absent for every symbol, -1121 if unknown."""
    symbol = p.str("symbol")
    if symbol:
        get_spec(symbol)
    return symbol


def _history(engine: Engine, acc: Account, p: Params, table: str, key: str) -> list[str]:
    """One symbol's stored orders or algo orders, every status: from the id in `key`
    (`orderId`/`algoId`), or in a time window, or the latest."""
    column = "order_id" if key == "orderId" else "algo_id"
    return engine.store.list_orders(
        table,
        column,
        acc.id,
        get_spec(p.str("symbol")).symbol,
        from_id=p.int(key),
        start=p.int("startTime"),
        end=p.int("endTime"),
        limit=p.limit(500, 1000),
    )


def open_orders(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    symbol = _optional_symbol(p)
    live = sorted(acc.open_orders.values(), key=lambda o: o.order_id)
    return [order_json(o) for o in live if not symbol or o.symbol == symbol]


def all_orders(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    return [order_json(Order.from_doc(d)) for d in _history(engine, acc, p, "orders", "orderId")]


def user_trades(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    symbol = get_spec(p.str("symbol")).symbol
    return engine.store.list_trades(
        acc.id,
        symbol,
        from_id=p.int("fromId"),
        start=p.int("startTime"),
        end=p.int("endTime"),
        limit=p.limit(500, 1000),
        order_id=p.int("orderId"),
    )


# --- conditional (algo) orders ---------------------------------------------------------------
def new_algo(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    algo = validation.new_algo(engine, acc, p)
    with engine.store.tx():
        acc.used_algo_ids.add(algo.client_algo_id)
        engine.store.add_client_id(acc.id, "algo", algo.client_algo_id)
        acc.open_algos[algo.algo_id] = algo
        engine.store.put_algo(algo)
    return algo_json(algo)


def find_algo(engine: Engine, acc: Account, p: Params) -> AlgoOrder | None:
    algo_id = p.int("algoId")
    client_id = p.str("clientAlgoId")
    if algo_id is None and client_id is None:
        raise ApiError(
            -1102, "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!"
        )
    for algo in acc.open_algos.values():
        if algo.algo_id == algo_id or (algo_id is None and algo.client_algo_id == client_id):
            return algo
    return engine.store.find_algo(acc.id, algo_id=algo_id, client_id=client_id)


def get_algo(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    algo = find_algo(engine, acc, p)
    if algo is None:
        raise unknown_order()
    actual = (
        engine.store.find_order(acc.id, order_id=algo.actual_order_id)
        if algo.actual_order_id
        else None
    )
    doc = algo_json(algo, actual)
    doc["executedQty"] = SYMBOLS[algo.symbol].fmt_qty(actual.executed_qty if actual else Decimal(0))
    return doc


def cancel_algo(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    algo = find_algo(engine, acc, p)
    if algo is None or not algo.is_open:
        raise cancel_rejected()
    matching.close_algo(engine, acc, algo, "CANCELED", engine.clock.now_ms())
    return {
        "algoId": algo.algo_id,
        "clientAlgoId": algo.client_algo_id,
        "code": "200",
        "msg": "success",
    }


def open_algos(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    symbol = _optional_symbol(p)
    live = sorted(acc.open_algos.values(), key=lambda a: a.algo_id)
    return [algo_json(a) for a in live if not symbol or a.symbol == symbol]


def all_algos(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    docs = _history(engine, acc, p, "algo_orders", "algoId")
    return [algo_json(AlgoOrder.from_doc(d)) for d in docs]


def cancel_all_algos(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    symbol = get_spec(p.str("symbol")).symbol
    t = engine.clock.now_ms()
    for algo in [a for a in acc.open_algos.values() if a.symbol == symbol]:
        matching.close_algo(engine, acc, algo, "CANCELED", t)
    return dict(CANCEL_ALL_DONE)
