"""Signed USD-M endpoints beyond the desk's subset, as ccxt and freqtrade call them: account
modes and configuration, leverage brackets, order modification and batches, and the v2/v3
shapes of positions and account. Functions of (engine, account, params), run under the engine
lock by the HTTP layer, which only routes to them."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import brackets
from ..errors import ApiError, bad_param, cancel_rejected, missing, unknown_order
from ..params import Params
from ..symbols import SYMBOLS, get_spec
from . import account_api, matching, orders_api
from .models import Account
from .risk import account_risk, check_margin
from .validation import check_min_notional
from .views import money_str, order_json

if TYPE_CHECKING:
    from .exchange import Engine

MAX_BATCH_PLACE = 5
MAX_BATCH_CANCEL = 10


# --- modes and configuration -----------------------------------------------------------------
def leverage_bracket(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    """Binance answers a list, also for one symbol (python-binance and ccxt read a list)."""
    symbol = p.str("symbol")
    names = [get_spec(symbol).symbol] if symbol else list(SYMBOLS)
    return [brackets.leverage_bracket_json(s) for s in names]


def position_mode(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    return {"dualSidePosition": False}


def _blocked_by_open_state(acc: Account, *, orders: ApiError, positions: ApiError) -> None:
    if acc.open_orders or acc.open_algos:
        raise orders
    if any(pos.amt != 0 for pos in acc.positions.values()):
        raise positions


def change_position_mode(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    """One-way mode only. Asking for it again is Binance's -4059; asking for hedge mode is
    refused as Binance refuses an account that cannot switch now (open orders -4067, a position
    -4068), and otherwise with -1130 on the parameter: this venue has no hedge mode."""
    wanted = p.bool("dualSidePosition") if p.str("dualSidePosition") else None
    if wanted is None:
        raise missing("dualSidePosition")
    if not wanted:
        raise ApiError(-4059, "No need to change position side.")
    _blocked_by_open_state(
        acc,
        orders=ApiError(-4067, "Position side cannot be changed if there exists open orders."),
        positions=ApiError(-4068, "Position side cannot be changed if there exists position."),
    )
    raise bad_param("dualSidePosition")


def multi_assets_mode(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    return {"multiAssetsMargin": False}


def change_multi_assets_mode(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    """Single-asset (USDT) mode only: unchanged is -4171, Multi-Assets is refused (-1130)."""
    if p.str("multiAssetsMargin") is None:
        raise missing("multiAssetsMargin")
    if not p.bool("multiAssetsMargin"):
        raise ApiError(
            -4171, "Adjusted Multi-Assets mode is same as user's current Multi-Assets mode."
        )
    raise bad_param("multiAssetsMargin")


def commission_rate(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    spec = get_spec(p.str("symbol"))
    return {
        "symbol": spec.symbol,
        "makerCommissionRate": f"{engine.config.maker_fee:f}",
        "takerCommissionRate": f"{engine.config.taker_fee:f}",
        "rpiCommissionRate": "0",
    }


def symbol_config(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    symbol = p.str("symbol")
    names = [get_spec(symbol).symbol] if symbol else list(SYMBOLS)
    rows = []
    for name in names:
        setting = engine.setting(acc, name)
        rows.append(
            {
                "symbol": name,
                "marginType": setting.margin_type,
                # A JSON boolean: the official SDK declares it so (the docs example shows "false").
                "isAutoAddMargin": False,
                "leverage": setting.leverage,
                "maxNotionalValue": str(brackets.max_notional(name, setting.leverage)),
            }
        )
    return rows


def account_config(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    return {
        "feeTier": 0,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "dualSidePosition": False,
        "updateTime": 0,
        "multiAssetsMargin": False,
        "tradeGroupId": -1,
    }


# --- orders ----------------------------------------------------------------------------------
def open_order(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    """`GET /fapi/v1/openOrder`: only an open order; a filled or canceled one is -2013."""
    spec = get_spec(p.str("symbol"))
    order = orders_api.find_order(engine, acc, p, spec.symbol)
    if order is None or not order.is_open:
        raise unknown_order()
    return order_json(order)


def modify_order(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    """`PUT /fapi/v1/order`: a new price and quantity for an open LIMIT order, same orderId.
    The order is matched again at its new price: one that now crosses fills (as taker), a
    post-only one that would cross is refused with -5022 and left as it was."""
    spec = get_spec(p.str("symbol"))
    side = p.str("side", required=True)
    qty = p.decimal("quantity", required=True)
    price = p.decimal("price", required=True)
    order = orders_api.find_order(engine, acc, p, spec.symbol)
    if order is None or not order.is_open:
        raise unknown_order()
    if order.type != "LIMIT":
        raise ApiError(-1116, "Invalid orderType.")
    if side != order.side:
        raise ApiError(-1117, "Invalid side.")
    assert qty is not None and price is not None
    spec.check_qty(qty, market=False)
    spec.check_price(price)
    if qty == order.orig_qty and price == order.price:
        raise ApiError(-5027, "No need to modify the order.")
    if not order.reduce_only:
        check_min_notional(spec, qty * price)
    t = engine.clock.now_ms()
    if order.time_in_force == "GTX":
        bid, ask = engine.book.best(spec.symbol, t)
        if (price >= ask) if order.side == "BUY" else (price <= bid):
            raise matching.post_only_rejected()
    acc.open_orders.pop(order.order_id)
    try:
        if not order.reduce_only:
            check_margin(
                engine, acc, symbol=spec.symbol, side=order.side, qty=qty, price=price, t=t
            )
    except ApiError:
        acc.open_orders[order.order_id] = order
        raise
    order.orig_qty, order.price, order.update_ms = qty, price, t
    with engine.store.tx():
        engine.journal.amended(order.order_id)
        matching.execute(engine, acc, order, spec, t)
    return order_json(order)


def _batch_list(p: Params, name: str, maximum: int, error: ApiError) -> list[Any]:
    raw = p.str(name, required=True)
    try:
        items = json.loads(raw or "")
    except ValueError:
        raise bad_param(name) from None
    if not isinstance(items, list):
        raise bad_param(name)
    if not 1 <= len(items) <= maximum:
        raise error
    return items


def _each_in_batch(p: Params, run: Callable[[Params], dict[str, Any]]) -> list[dict[str, Any]]:
    """Up to 5 orders from the JSON list `batchOrders`, each run on its own; the answer lists
    each result or its error, in the order sent."""
    items = _batch_list(
        p, "batchOrders", MAX_BATCH_PLACE, ApiError(-4082, "Invalid number of batch place orders.")
    )
    out: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            out.append(bad_param("batchOrders").body())
            continue
        try:
            out.append(run(Params([(str(k), _wire(v)) for k, v in item.items()])))
        except ApiError as exc:
            out.append(exc.body())
    return out


def batch_orders(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    """`POST /fapi/v1/batchOrders`: each placed as `POST /fapi/v1/order` would."""
    return _each_in_batch(p, lambda params: orders_api.new_order(engine, acc, params))


def modify_batch(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    """`PUT /fapi/v1/batchOrders`: each modified as `PUT /fapi/v1/order` would."""
    return _each_in_batch(p, lambda params: modify_order(engine, acc, params))


def cancel_batch(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    """`DELETE /fapi/v1/batchOrders`: orderIdList or origClientOrderIdList (JSON, up to 10)."""
    spec = get_spec(p.str("symbol"))
    # Binance reads these two names case-insensitively; ccxt sends them in lower case.
    by_id = next((n for n in ("orderIdList", "orderidlist") if p.str(n) is not None), None)
    by_client = next(
        (n for n in ("origClientOrderIdList", "origclientorderidlist") if p.str(n) is not None),
        None,
    )
    if by_id:
        keys = [
            ("orderId", str(v)) for v in _batch_list(p, by_id, MAX_BATCH_CANCEL, bad_param(by_id))
        ]
    elif by_client:
        keys = [
            ("origClientOrderId", str(v))
            for v in _batch_list(p, by_client, MAX_BATCH_CANCEL, bad_param(by_client))
        ]
    else:
        raise ApiError(
            -1102,
            "Param 'origClientOrderIdList' or 'orderIdList' must be sent, but "
            "both were empty/null!",
        )
    out: list[dict[str, Any]] = []
    for key, value in keys:
        order = orders_api.find_order(engine, acc, Params([(key, value)]), spec.symbol)
        if order is None or not order.is_open:
            out.append(cancel_rejected().body())
            continue
        matching.cancel(engine, acc, order, engine.clock.now_ms())
        out.append(order_json(order))
    return out


def _wire(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- positions and account, v2 and v3 shapes -------------------------------------------------
def position_risk_v2(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    """Every symbol (one-way mode: one row each), with leverage and margin type, as v2 does."""
    symbol = p.str("symbol")
    names = [get_spec(symbol).symbol] if symbol else list(SYMBOLS)
    live = {row["symbol"]: row for row in account_api.position_risk_v3(engine, acc, Params([]))}
    t = engine.clock.now_ms()
    rows = []
    for name in names:
        spec = SYMBOLS[name]
        setting = engine.setting(acc, name)
        row = live.get(name)
        zero = money_str(Decimal(0))
        rows.append(
            {
                "symbol": name,
                "positionAmt": row["positionAmt"] if row else spec.fmt_qty(Decimal(0)),
                "entryPrice": row["entryPrice"] if row else zero,
                "breakEvenPrice": row["breakEvenPrice"] if row else zero,
                "markPrice": row["markPrice"] if row else money_str(engine.market.mark(name, t)),
                "unRealizedProfit": row["unRealizedProfit"] if row else zero,
                "liquidationPrice": row["liquidationPrice"] if row else zero,
                "leverage": str(setting.leverage),
                "maxNotionalValue": str(brackets.max_notional(name, setting.leverage)),
                "marginType": "isolated" if setting.margin_type == "ISOLATED" else "cross",
                "isolatedMargin": row["isolatedMargin"] if row else zero,
                "isAutoAddMargin": "false",
                "positionSide": "BOTH",
                "notional": row["notional"] if row else zero,
                "isolatedWallet": row["isolatedWallet"] if row else "0",
                "updateTime": row["updateTime"] if row else 0,
            }
        )
    return rows


def account_v3(engine: Engine, acc: Account) -> dict[str, Any]:
    """v3: totals, assets, and positions only for symbols with a position or open orders."""
    v2 = account_api.account_v2(engine, acc)
    totals = {
        k: v
        for k, v in v2.items()
        if k.startswith("total") or k in ("availableBalance", "maxWithdrawAmount")
    }
    assets = [{k: v for k, v in a.items() if k != "marginAvailable"} for a in v2["assets"]]
    risk = account_risk(engine, acc, engine.clock.now_ms())
    positions = []
    for name in sorted(risk.symbols):
        s = risk.symbols[name]
        positions.append(
            {
                "symbol": name,
                "positionSide": "BOTH",
                "positionAmt": SYMBOLS[name].fmt_qty(s.amt),
                "unrealizedProfit": money_str(s.unrealized),
                "isolatedMargin": money_str(s.isolated_margin),
                "notional": money_str(s.amt * s.mark),
                "isolatedWallet": money_str(s.isolated_wallet),
                "initialMargin": money_str(s.position_im + s.order_im),
                "maintMargin": money_str(s.maint),
                "updateTime": s.update_ms,
            }
        )
    return {**totals, "assets": assets, "positions": positions}
