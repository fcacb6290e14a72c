"""The account endpoints of the desk's subset: account and balance, position risk, the income
history, and the per-symbol settings (leverage, margin type). Functions of (engine, account,
params), run under the engine lock by the HTTP layer, which only routes to them."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import brackets
from ..errors import ApiError, missing
from ..params import Params
from ..symbols import SYMBOLS, get_spec
from .models import Account
from .risk import account_risk, break_even, liquidation_price
from .views import asset_json, money_str

if TYPE_CHECKING:
    from .exchange import Engine

INCOME_TYPES = (
    "TRANSFER",
    "WELCOME_BONUS",
    "REALIZED_PNL",
    "FUNDING_FEE",
    "COMMISSION",
    "INSURANCE_CLEAR",
    "REFERRAL_KICKBACK",
    "COMMISSION_REBATE",
    "API_REBATE",
    "CONTEST_REWARD",
    "CROSS_COLLATERAL_TRANSFER",
    "OPTIONS_PREMIUM_FEE",
    "OPTIONS_SETTLE_PROFIT",
    "INTERNAL_TRANSFER",
    "AUTO_EXCHANGE",
    "DELIVERED_SETTELMENT",
    "COIN_SWAP_DEPOSIT",
    "COIN_SWAP_WITHDRAW",
    "POSITION_LIMIT_INCREASE_FEE",
)
SEVEN_DAYS_MS = 7 * 86_400_000


# --- account reads ---------------------------------------------------------------------------
def account_v2(engine: Engine, acc: Account) -> dict[str, Any]:
    t = engine.clock.now_ms()
    risk = account_risk(engine, acc, t)
    avail = risk.available
    positions = []
    for symbol in SYMBOLS:
        setting = engine.setting(acc, symbol)
        s = risk.symbols.get(symbol)
        positions.append(
            {
                "symbol": symbol,
                "initialMargin": money_str(s.position_im + s.order_im if s else Decimal(0)),
                "maintMargin": money_str(s.maint if s else Decimal(0)),
                "unrealizedProfit": money_str(s.unrealized if s else Decimal(0)),
                "positionInitialMargin": money_str(s.position_im if s else Decimal(0)),
                "openOrderInitialMargin": money_str(s.order_im if s else Decimal(0)),
                "leverage": str(setting.leverage),
                "isolated": setting.margin_type == "ISOLATED",
                "entryPrice": money_str(s.entry if s else Decimal(0)),
                "breakEvenPrice": money_str(break_even(engine, s) if s else Decimal(0)),
                "maxNotional": str(brackets.max_notional(symbol, setting.leverage)),
                "bidNotional": "0",
                "askNotional": "0",
                "positionSide": "BOTH",
                "positionAmt": SYMBOLS[symbol].fmt_qty(s.amt if s else Decimal(0)),
                "updateTime": s.update_ms if s else 0,
            }
        )
    asset = asset_json(risk, acc.update_ms)
    return {
        "feeTier": 0,
        "feeBurn": False,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "updateTime": 0,
        "multiAssetsMargin": False,
        "tradeGroupId": -1,
        "totalInitialMargin": money_str(risk.position_im + risk.order_im),
        "totalMaintMargin": money_str(risk.maint),
        "totalWalletBalance": money_str(risk.wallet),
        "totalUnrealizedProfit": money_str(risk.unrealized),
        "totalMarginBalance": money_str(risk.margin_balance),
        "totalPositionInitialMargin": money_str(risk.position_im),
        "totalOpenOrderInitialMargin": money_str(risk.order_im),
        "totalCrossWalletBalance": money_str(risk.cross_wallet),
        "totalCrossUnPnl": money_str(risk.cross_unrealized),
        "availableBalance": money_str(avail),
        "maxWithdrawAmount": money_str(max(Decimal(0), min(avail, risk.wallet))),
        "assets": [asset],
        "positions": positions,
    }


def balance_v3(engine: Engine, acc: Account) -> list[dict[str, Any]]:
    risk = account_risk(engine, acc, engine.clock.now_ms())
    asset = asset_json(risk, acc.update_ms)
    return [
        {
            "accountAlias": f"paper{acc.id}",
            "asset": "USDT",
            "balance": asset["walletBalance"],
            "crossWalletBalance": asset["crossWalletBalance"],
            "crossUnPnl": asset["crossUnPnl"],
            "availableBalance": asset["availableBalance"],
            "maxWithdrawAmount": asset["maxWithdrawAmount"],
            "marginAvailable": True,
            "updateTime": acc.update_ms,
        }
    ]


def position_risk_v3(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    symbol = p.str("symbol")
    if symbol:
        get_spec(symbol)
    t = engine.clock.now_ms()
    risk = account_risk(engine, acc, t)
    rows = []
    for name in sorted(risk.symbols):
        s = risk.symbols[name]
        if symbol and name != symbol:
            continue
        liq = liquidation_price(engine, name, s.amt, s.entry, risk.liquidation_equity(name))
        spec = SYMBOLS[name]
        rows.append(
            {
                "symbol": name,
                "positionSide": "BOTH",
                "positionAmt": spec.fmt_qty(s.amt),
                "entryPrice": money_str(s.entry),
                "breakEvenPrice": money_str(break_even(engine, s)),
                "markPrice": money_str(s.mark),
                "unRealizedProfit": money_str(s.unrealized),
                "liquidationPrice": money_str(liq),
                "isolatedMargin": money_str(s.isolated_margin),
                "notional": money_str(s.amt * s.mark),
                "marginAsset": "USDT",
                "isolatedWallet": money_str(s.isolated_wallet),
                "initialMargin": money_str(s.position_im + s.order_im),
                "maintMargin": money_str(s.maint),
                "positionInitialMargin": money_str(s.position_im),
                "openOrderInitialMargin": money_str(s.order_im),
                "adl": 0,
                "bidNotional": "0",
                "askNotional": "0",
                "updateTime": s.update_ms,
            }
        )
    return rows


def income(engine: Engine, acc: Account, p: Params) -> list[dict[str, Any]]:
    symbol = p.str("symbol")
    if symbol:
        get_spec(symbol)
    kind = p.str("incomeType")
    if kind is not None and kind not in INCOME_TYPES:
        raise ApiError(-1130, "Data sent for parameter 'incomeType' is not valid.")
    limit = p.limit(100, 1000)
    page = p.int("page") or 1
    start, end = p.int("startTime"), p.int("endTime")
    now = engine.clock.now_ms()
    if start is None and end is None:
        start, end = now - SEVEN_DAYS_MS, now
    elif start is None:
        start = end - SEVEN_DAYS_MS  # type: ignore[operator]
    elif end is None:
        end = max(now, start)
    return engine.store.list_income(
        acc.id,
        symbol=symbol,
        income_type=kind,
        start=start,
        end=end,
        limit=limit,
        offset=(page - 1) * limit,
    )


# --- settings --------------------------------------------------------------------------------
def change_leverage(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    spec = get_spec(p.str("symbol"))
    leverage = p.int("leverage", required=True)
    if leverage is None or not 1 <= leverage <= brackets.max_leverage(spec.symbol):
        raise ApiError(-4028, f"Leverage {leverage} is not valid")
    setting = engine.setting(acc, spec.symbol)
    pos = acc.positions.get(spec.symbol)
    if (
        pos
        and pos.amt != 0
        and abs(pos.amt) * engine.market.mark(spec.symbol, engine.clock.now_ms())
        > brackets.max_notional(spec.symbol, leverage)
    ):
        raise ApiError(-2027, "Exceeded the maximum allowable position at current leverage.")
    setting.leverage = leverage
    with engine.store.tx():
        engine.store.put_setting(acc.id, spec.symbol, setting)
    return {
        "leverage": leverage,
        "maxNotionalValue": str(brackets.max_notional(spec.symbol, leverage)),
        "symbol": spec.symbol,
    }


def change_margin_type(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    spec = get_spec(p.str("symbol"))
    margin_type = (p.str("marginType", required=True) or "").upper()
    if margin_type == "CROSS":
        margin_type = "CROSSED"
    if margin_type not in ("ISOLATED", "CROSSED"):
        raise ApiError(-1130, "Data sent for parameter 'marginType' is not valid.")
    setting = engine.setting(acc, spec.symbol)
    if setting.margin_type == margin_type:
        raise ApiError(-4046, "No need to change margin type.")
    pos = acc.positions.get(spec.symbol)
    if pos and pos.amt != 0:
        raise ApiError(-4048, "Margin type cannot be changed if there exists position.")
    if any(o.symbol == spec.symbol for o in acc.open_orders.values()):
        raise ApiError(-4047, "Margin type cannot be changed if there exists open orders.")
    setting.margin_type = margin_type
    with engine.store.tx():
        engine.store.put_setting(acc.id, spec.symbol, setting)
    return {"code": 200, "msg": "success"}


def position_margin(engine: Engine, acc: Account, p: Params) -> dict[str, Any]:
    """`POST /fapi/v1/positionMargin`: move `amount` from the cross wallet into an isolated
    position's wallet (type 1) or back (type 2). Adding is bounded by the available balance
    (-4050), taking back by what the position can spare above its initial margin at the mark,
    a loss counted against it (-4051)."""
    spec = get_spec(p.str("symbol"))
    amount = p.decimal("amount", required=True)
    kind = p.int("type", required=True)
    if kind not in (1, 2):
        raise ApiError(-1130, "Data sent for parameter 'type' is not valid.")
    if p.str("positionSide") not in (None, "BOTH"):
        raise ApiError(-4061, "Order's position side does not match user's setting.")
    assert amount is not None
    if amount <= 0:
        raise missing("amount")
    if engine.setting(acc, spec.symbol).margin_type != "ISOLATED":
        raise ApiError(-4049, "Add margin only support for isolated position.")
    pos = acc.positions.get(spec.symbol)
    if pos is None or pos.amt == 0:
        raise ApiError(-4054, "Cannot add position margin: position is 0.")
    t = engine.clock.now_ms()
    risk = account_risk(engine, acc, t)
    if kind == 1:
        if amount > risk.available:
            raise ApiError(-4050, "Cross balance insufficient.")
        pos.isolated_wallet += amount
    else:
        s = risk.symbols[spec.symbol]
        spare = s.isolated_wallet + min(s.unrealized, Decimal(0)) - s.position_im
        if amount > spare:
            raise ApiError(-4051, "Isolated balance insufficient.")
        pos.isolated_wallet -= amount
    pos.update_ms = t
    with engine.store.tx():
        engine.store.put_position(acc.id, pos)
        engine.journal.reason(acc.id, "MARGIN_TRANSFER")
    return {
        # Binance answers this one amount as a JSON number (its documented example: 100.0), not
        # the decimal string of its other endpoints; a client parses what Binance sends.
        "amount": float(amount),
        "code": 200,
        "msg": "Successfully modify position margin.",
        "type": kind,
    }
