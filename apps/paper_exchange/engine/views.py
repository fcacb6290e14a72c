"""Binance JSON shapes of the venue's records: strings for money, integers for times and ids."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..symbols import SYMBOLS
from .models import AlgoOrder, Order

if TYPE_CHECKING:
    from .risk import AccountRisk


def order_json(order: Order, *, ack: bool = False) -> dict[str, Any]:
    spec = SYMBOLS[order.symbol]
    # ACK replies (Binance's default for /order) report the order as accepted, not as filled.
    status = "NEW" if ack else order.status
    executed = Decimal(0) if ack else order.executed_qty
    cum_quote = Decimal(0) if ack else order.cum_quote
    avg = Decimal(0) if ack else order.avg_price
    return {
        "orderId": order.order_id,
        "symbol": order.symbol,
        "status": status,
        "clientOrderId": order.client_order_id,
        "price": spec.fmt_price(order.price),
        "avgPrice": f"{avg.quantize(Decimal('0.00000001')):f}" if avg else "0.00",
        "origQty": spec.fmt_qty(order.orig_qty),
        "executedQty": spec.fmt_qty(executed),
        "cumQty": spec.fmt_qty(executed),
        "cumQuote": f"{cum_quote.quantize(Decimal('0.00000001')):f}",
        "timeInForce": order.time_in_force,
        "type": order.type,
        "reduceOnly": order.reduce_only,
        "closePosition": order.close_position,
        "side": order.side,
        "positionSide": "BOTH",
        "stopPrice": spec.fmt_price(order.stop_price),
        "workingType": order.working_type,
        "priceProtect": order.price_protect,
        "origType": order.orig_type,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "goodTillDate": 0,
        "time": order.time_ms,
        "updateTime": order.update_ms,
    }


def algo_json(algo: AlgoOrder, actual: Order | None = None) -> dict[str, Any]:
    spec = SYMBOLS[algo.symbol]
    trailing = algo.order_type == "TRAILING_STOP_MARKET"
    return {
        "algoId": algo.algo_id,
        "clientAlgoId": algo.client_algo_id,
        "algoType": "CONDITIONAL",
        "orderType": algo.order_type,
        "symbol": algo.symbol,
        "side": algo.side,
        "positionSide": "BOTH",
        "timeInForce": algo.time_in_force,
        "quantity": spec.fmt_qty(algo.quantity),
        "algoStatus": algo.algo_status,
        "actualOrderId": str(algo.actual_order_id) if algo.actual_order_id else "",
        "actualPrice": (
            f"{actual.avg_price.quantize(Decimal('0.00000001')):f}" if actual else "0.00000"
        ),
        "triggerPrice": spec.fmt_price(algo.trigger_price),
        "price": spec.fmt_price(algo.price),
        "icebergQuantity": None,
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "workingType": algo.working_type,
        "priceMatch": "NONE",
        "closePosition": algo.close_position,
        "priceProtect": algo.price_protect,
        "reduceOnly": algo.reduce_only,
        "activatePrice": spec.fmt_price(algo.activate_price)
        if trailing and algo.activate_price is not None
        else "",
        "callbackRate": str(algo.callback_rate) if trailing and algo.callback_rate else "",
        "createTime": algo.create_ms,
        "updateTime": algo.update_ms,
        "triggerTime": algo.trigger_ms,
        "goodTillDate": 0,
    }


def money_str(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.00000001')):f}"


def asset_json(risk: AccountRisk, update_ms: int) -> dict[str, Any]:
    """The account's one asset (USDT) as `/fapi/v2/account` lists it."""
    avail = risk.available
    return {
        "asset": "USDT",
        "walletBalance": money_str(risk.wallet),
        "unrealizedProfit": money_str(risk.unrealized),
        "marginBalance": money_str(risk.margin_balance),
        "maintMargin": money_str(risk.maint),
        "initialMargin": money_str(risk.position_im + risk.order_im),
        "positionInitialMargin": money_str(risk.position_im),
        "openOrderInitialMargin": money_str(risk.order_im),
        "crossWalletBalance": money_str(risk.cross_wallet),
        "crossUnPnl": money_str(risk.cross_unrealized),
        "availableBalance": money_str(avail),
        "maxWithdrawAmount": money_str(max(Decimal(0), min(avail, risk.wallet))),
        "marginAvailable": True,
        "updateTime": update_ms,
    }
