"""Order entry checks, in Binance's order and with its error codes: parameters, the symbol's
filters (tick, step, minimum notional), client ids, reduce-only against the position, the
margin check. A request that passes becomes the record to match; one that fails raises
`ApiError` before any id is drawn or any row is written."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import TYPE_CHECKING

from ..errors import ApiError, duplicate_client_id, missing, reduce_only_rejected
from ..params import Params
from ..symbols import SymbolSpec, get_spec
from .matching import would_trigger
from .models import Account, AlgoOrder, Order
from .risk import check_margin

if TYPE_CHECKING:
    from .exchange import Engine

CLIENT_ID_RE = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")
CONDITIONAL_TYPES = (
    "STOP",
    "STOP_MARKET",
    "TAKE_PROFIT",
    "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
)
TIME_IN_FORCE = ("GTC", "IOC", "FOK", "GTX")


def client_id(engine: Engine, acc: Account, value: str | None, *, algo: bool) -> str:
    """The request's client id (or a fresh one), refused when malformed or already used."""
    if value is None:
        return secrets.token_hex(11)
    if not CLIENT_ID_RE.match(value):
        name = "clientAlgoId" if algo else "newClientOrderId"
        raise ApiError(
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range"
            r" is '^[\.A-Z\:/a-z0-9_-]{1,36}$'.",
        )
    if engine.config.loose_client_order_ids:
        live = acc.open_algos.values() if algo else acc.open_orders.values()
        taken = any(
            (o.client_algo_id if algo else o.client_order_id) == value  # type: ignore[union-attr]
            for o in live
        )
    else:
        taken = value in (acc.used_algo_ids if algo else acc.used_client_ids)
    if taken:
        raise duplicate_client_id()
    return value


def check_min_notional(spec: SymbolSpec, notional: Decimal) -> None:
    if notional < spec.min_notional:
        raise ApiError(
            -4164,
            f"Order's notional must be no smaller than "
            f"{spec.min_notional} (unless you choose reduce only).",
        )


def _side(p: Params) -> str:
    side = p.str("side", required=True)
    if side not in ("BUY", "SELL"):
        raise ApiError(-1117, "Invalid side.")
    return side


def _one_way(p: Params) -> None:
    if p.str("positionSide") not in (None, "BOTH"):
        raise ApiError(-4061, "Order's position side does not match user's setting.")


def new_order(engine: Engine, acc: Account, p: Params) -> tuple[Order, bool]:
    """`POST /fapi/v1/order`'s order, every check passed, and whether the reply is an ACK."""
    t = engine.clock.now_ms()
    spec = get_spec(p.str("symbol"))
    side = _side(p)
    otype = p.str("type", required=True)
    if otype in CONDITIONAL_TYPES:
        raise ApiError(
            -4120,
            "Order type not supported for this endpoint. Please use the "
            "Algo Order API endpoints instead.",
        )
    if otype not in ("LIMIT", "MARKET"):
        raise ApiError(-1116, "Invalid orderType.")
    _one_way(p)
    if p.bool("closePosition"):
        raise ApiError(-1106, "Parameter 'closePosition' sent when not required.")
    reduce_only = p.bool("reduceOnly")
    qty = p.decimal("quantity", required=True)
    spec.check_qty(qty, market=otype == "MARKET")
    resp_type = p.str("newOrderRespType") or "ACK"
    if resp_type not in ("ACK", "RESULT"):
        raise missing("newOrderRespType")
    bid, ask = engine.book.best(spec.symbol, t)
    if otype == "LIMIT":
        tif = p.str("timeInForce", required=True)
        if tif not in TIME_IN_FORCE:
            raise ApiError(-1115, "Invalid timeInForce.")
        price = p.decimal("price", required=True)
        spec.check_price(price)
        if price <= 0:
            raise ApiError(-4001, "Price less than 0.")
    else:
        tif = "GTC"
        if p.str("price") is not None:
            raise ApiError(-1106, "Parameter 'price' sent when not required.")
        price = Decimal(0)
    ref = price if otype == "LIMIT" else (ask if side == "BUY" else bid)
    if not reduce_only:
        check_min_notional(spec, qty * ref)
    cid = client_id(engine, acc, p.str("newClientOrderId"), algo=False)
    pos = acc.positions.get(spec.symbol)
    amt = pos.amt if pos else Decimal(0)
    if reduce_only:
        if amt == 0 or (amt > 0) == (side == "BUY"):
            raise reduce_only_rejected()
        if otype == "MARKET":
            qty = min(qty, abs(amt))
    check_margin(engine, acc, symbol=spec.symbol, side=side, qty=qty, price=ref, t=t)
    order = Order(
        order_id=engine.next_order_id(),
        account_id=acc.id,
        symbol=spec.symbol,
        client_order_id=cid,
        side=side,
        type=otype,
        orig_type=otype,
        time_in_force=tif,
        price=price,
        orig_qty=qty,
        reduce_only=reduce_only,
        time_ms=t,
        update_ms=t,
    )
    return order, resp_type == "ACK"


def new_algo(engine: Engine, acc: Account, p: Params) -> AlgoOrder:
    """`POST /fapi/v1/algoOrder`'s conditional order, every check passed."""
    t = engine.clock.now_ms()
    if p.str("algoType", required=True) != "CONDITIONAL":
        raise ApiError(-1130, "Data sent for parameter 'algoType' is not valid.")
    spec = get_spec(p.str("symbol"))
    side = _side(p)
    otype = p.str("type", required=True)
    if otype not in CONDITIONAL_TYPES:
        raise ApiError(-1116, "Invalid orderType.")
    _one_way(p)
    close_position = p.bool("closePosition")
    reduce_only = p.bool("reduceOnly")
    if close_position:
        if otype not in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
            raise ApiError(-1106, "Parameter 'closePosition' sent when not required.")
        if p.str("quantity") is not None:
            raise ApiError(-1106, "Parameter 'quantity' sent when not required.")
        if reduce_only:
            raise ApiError(-1106, "Parameter 'reduceOnly' sent when not required.")
        qty = Decimal(0)
    else:
        qty = p.decimal("quantity", required=True)
        spec.check_qty(qty, market=otype.endswith("MARKET"))
    working = p.str("workingType") or "CONTRACT_PRICE"  # Binance's default
    if working not in ("MARK_PRICE", "CONTRACT_PRICE"):
        raise ApiError(-1130, "Data sent for parameter 'workingType' is not valid.")
    price = Decimal(0)
    tif = p.str("timeInForce") or "GTC"
    if tif not in TIME_IN_FORCE:
        raise ApiError(-1115, "Invalid timeInForce.")
    if otype in ("STOP", "TAKE_PROFIT"):
        price = p.decimal("price", required=True)
        spec.check_price(price)
    ref = (
        engine.market.mark(spec.symbol, t)
        if working == "MARK_PRICE"
        else engine.market.last(spec.symbol, t)
    )
    trigger = Decimal(0)
    callback = activate = None
    extreme = None
    if otype == "TRAILING_STOP_MARKET":
        callback = p.decimal("callbackRate", required=True)
        if not Decimal("0.1") <= callback <= Decimal(10):
            raise ApiError(-2007, "Invalid callBack rate.")
        activate = p.decimal("activatePrice")
        if activate is not None:
            spec.check_price(activate)
            if (side == "SELL" and activate <= ref) or (side == "BUY" and activate >= ref):
                raise ApiError(-2021, "Order would immediately trigger.")
        else:
            extreme = ref
    else:
        trigger = p.decimal("triggerPrice", required=True)
        spec.check_price(trigger)
        if would_trigger(otype, side, trigger, ref):
            raise ApiError(-2021, "Order would immediately trigger.")
    notional_ref = price or trigger or activate or ref
    if not (reduce_only or close_position):
        check_min_notional(spec, qty * notional_ref)
    cid = client_id(engine, acc, p.str("clientAlgoId"), algo=True)
    return AlgoOrder(
        algo_id=engine.next_algo_id(),
        account_id=acc.id,
        symbol=spec.symbol,
        client_algo_id=cid,
        order_type=otype,
        side=side,
        time_in_force=tif,
        quantity=qty,
        trigger_price=trigger,
        price=price,
        working_type=working,
        close_position=close_position,
        price_protect=p.bool("priceProtect"),
        reduce_only=reduce_only,
        activate_price=activate,
        callback_rate=callback,
        extreme=extreme,
        create_ms=t,
        update_ms=t,
    )
