"""The matching and accounting engine. Every public method runs under `Engine.lock`; every
accepted mutation is one storage transaction, committed before the method returns."""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import brackets
from ..clock import ExchangeClock, wall_ms
from ..config import ExchangeConfig
from ..errors import (
    ApiError,
    cancel_rejected,
    duplicate_client_id,
    margin_insufficient,
    missing,
    reduce_only_rejected,
    unknown_order,
)
from ..market import FUNDING_INTERVAL_MS, HISTORY_MINUTES, MINUTE_MS, Market, load_replay
from ..params import Params
from ..storage import Store
from ..symbols import SYMBOLS, SymbolSpec, get_spec
from . import accounting as acct
from .events import Journal
from .models import Account, AlgoOrder, Order, Position, SymbolSetting
from .views import algo_json, money_str, order_json

log = logging.getLogger(__name__)

CLIENT_ID_RE = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")
CONDITIONAL_TYPES = (
    "STOP",
    "STOP_MARKET",
    "TAKE_PROFIT",
    "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
)
TIME_IN_FORCE = ("GTC", "IOC", "FOK", "GTX")
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
# A tick that finds a long gap (a restart after downtime) evaluates only the latest marks.
MAX_GRID_POINTS = 5_000


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

    @property
    def available(self) -> Decimal:
        return self.margin_balance - self.position_im - self.order_im


class Engine:
    def __init__(
        self,
        *,
        config: ExchangeConfig,
        store: Store,
        market: Market,
        clock: ExchangeClock,
        funding_done_ms: int,
    ) -> None:
        self.config = config
        self.store = store
        self.market = market
        self.clock = clock
        self.lock = threading.RLock()
        self.accounts: dict[int, Account] = {}
        self.by_key: dict[str, Account] = {}
        self._order_id = max(store.max_id("orders", "order_id"), 100_000_000)
        self._algo_id = max(store.max_id("algo_orders", "algo_id"), 4_000_000)
        self._trade_id = max(store.max_id("trades", "trade_id"), 50_000_000)
        self._tran_id = max(store.max_id("income", "tran_id"), 900_000_000)
        self.funding_done_ms = funding_done_ms
        self.last_tick_ms = clock.now_ms()
        self._persisted_clock_wall = 0
        self.journal = Journal(self)
        store.observer = self.journal
        # listen key -> monotonic deadline; a key not kept alive lapses (Binance: 60 min).
        self.listen_deadlines: dict[str, float] = {}
        for acc, deposit in store.load_accounts():
            self._adopt(acc, deposit)

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def open(cls, config: ExchangeConfig) -> Engine:
        store = Store(config.db_path, synchronous=config.synchronous)
        now_wall = wall_ms()
        seed = int(store.meta_get("seed") or config.seed)
        replay = load_replay(config.replay_dir) if config.replay_dir else None
        if config.replay_dir and not replay:
            raise SystemExit(f"no SYMBOL-1m-*.csv|zip kline files in {config.replay_dir}")
        genesis = store.meta_get("genesis_ms")
        if genesis is None:
            if replay:
                first = min(p.genesis for p in replay.values())
                span = max(p.last for p in replay.values()) - first
                genesis_ms = first * MINUTE_MS
                start_ms = (first + min(1440, span // 4)) * MINUTE_MS
            else:
                genesis_ms = (now_wall // MINUTE_MS - HISTORY_MINUTES) * MINUTE_MS
                start_ms = now_wall
        else:
            genesis_ms = int(genesis)
            start_ms = now_wall if not replay else genesis_ms
        saved = int(store.meta_get("clock_ms") or 0)
        latest_record = max(store.max_id("income", "time_ms"), store.max_id("orders", "time_ms"))
        # Exchange time never runs backwards across a restart, even after a kill -9.
        start_ms = max(start_ms, saved, latest_record + 1)
        shifts = store.meta_get("price_shifts")
        market = Market(
            seed=seed,
            genesis_ms=genesis_ms,
            replay=replay,
            shifts=json.loads(shifts) if shifts else None,
        )
        clock = ExchangeClock(start_ms=start_ms, speed=config.speed)
        funding_done = store.meta_get("funding_done_ms")
        # A fresh venue charges no funding for the interval it was not running in.
        funding_done_ms = (
            int(funding_done)
            if funding_done
            else (start_ms // FUNDING_INTERVAL_MS * FUNDING_INTERVAL_MS)
        )
        with store.tx():
            store.meta_set("seed", str(seed))
            store.meta_set("genesis_ms", str(genesis_ms))
            store.meta_set("clock_ms", str(start_ms))
            store.meta_set("funding_done_ms", str(funding_done_ms))
        return cls(
            config=config, store=store, market=market, clock=clock, funding_done_ms=funding_done_ms
        )

    def close(self) -> None:
        with self.lock:
            with self.store.tx():
                self.store.meta_set("clock_ms", str(self.clock.now_ms()))
            self.store.close()

    # --- ids ---------------------------------------------------------------------------------
    def _next_order_id(self) -> int:
        self._order_id += 1
        return self._order_id

    def _next_trade_id(self) -> int:
        self._trade_id += 1
        return self._trade_id

    def _next_tran_id(self) -> int:
        self._tran_id += 1
        return self._tran_id

    # --- accounts ----------------------------------------------------------------------------
    def _adopt(self, acc: Account, deposit: Decimal) -> None:
        if deposit:
            with self.store.tx():
                self._income(
                    acc, "TRANSFER", deposit, self.clock.now_ms(), symbol="", info="TRANSFER"
                )
                self.store.put_account(acc)
                self.store.mark_deposited(acc.id)
        self.accounts[acc.id] = acc
        self.by_key[acc.api_key] = acc

    def account_for_key(self, key: str) -> Account | None:
        acc = self.by_key.get(key)
        if acc is None:
            # Accounts are created by another process (the management command) while we run.
            with self.lock:
                acc = self.by_key.get(key)
                if acc is None:
                    for found, deposit in self.store.load_accounts(api_key=key):
                        self._adopt(found, deposit)
                        acc = found
        return acc

    def _setting(self, acc: Account, symbol: str) -> SymbolSetting:
        setting = acc.settings.get(symbol)
        if setting is None:
            setting = SymbolSetting(leverage=self.config.default_leverage)
            acc.settings[symbol] = setting
        return setting

    def _position(self, acc: Account, symbol: str) -> Position:
        pos = acc.positions.get(symbol)
        if pos is None:
            pos = Position(symbol=symbol)
            acc.positions[symbol] = pos
        return pos

    # --- risk --------------------------------------------------------------------------------
    def risk(self, acc: Account, t: int, marks: dict[str, Decimal] | None = None) -> AccountRisk:
        symbols: dict[str, SymbolRisk] = {}
        order_im: dict[str, Decimal] = {}
        for order in acc.open_orders.values():
            if order.reduce_only:
                continue
            lev = self._setting(acc, order.symbol).leverage
            order_im[order.symbol] = (
                order_im.get(order.symbol, Decimal(0)) + order.remaining * order.price / lev
            )
        names = {s for s, p in acc.positions.items() if p.amt != 0} | set(order_im)
        for symbol in names:
            pos = acc.positions.get(symbol) or Position(symbol=symbol)
            setting = self._setting(acc, symbol)
            mark = marks[symbol] if marks and symbol in marks else self.market.mark(symbol, t)
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
                maint=self.maint_margin(symbol, pos.amt, mark),
                update_ms=pos.update_ms,
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

    def maint_margin(self, symbol: str, amt: Decimal, mark: Decimal) -> Decimal:
        """Binance's bracket table (|notional| x mmr - cum), or the configured flat rate."""
        rate = self.config.maint_margin_rate
        if rate is not None:
            return acct.maint_margin(amt=amt, mark=mark, rate=rate)
        return brackets.maint_margin(symbol, amt * mark)

    def liquidation_price(
        self, symbol: str, amt: Decimal, entry: Decimal, other_equity: Decimal
    ) -> Decimal:
        rate = self.config.maint_margin_rate
        if rate is not None:
            return acct.liquidation_price(
                amt=amt, entry=entry, other_equity=other_equity, rate=rate
            )
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

    # --- ledger ------------------------------------------------------------------------------
    def _income(
        self,
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
        self.store.put_income(
            acc.id,
            {
                "symbol": symbol,
                "incomeType": kind,
                "income": money_str(amount),
                "asset": "USDT",
                "info": info,
                "time": t,
                "tranId": self._next_tran_id(),
                "tradeId": str(trade_id) if trade_id is not None else "",
            },
        )

    def _fill(
        self, acc: Account, order: Order, qty: Decimal, price: Decimal, *, maker: bool, t: int
    ) -> None:
        """One execution: position, wallet, trade and income rows (inside the caller's tx)."""
        pos = self._position(acc, order.symbol)
        effect = acct.apply_fill(
            amt=pos.amt, entry=pos.entry, side=order.side, qty=qty, price=price
        )
        rate = self.config.maker_fee if maker else self.config.taker_fee
        fee = acct.commission(price=price, qty=qty, rate=rate)
        trade_id = self._next_trade_id()
        if effect.closed_qty > 0:
            self._income(
                acc, "REALIZED_PNL", effect.realized, t, symbol=order.symbol, trade_id=trade_id
            )
        if fee:
            self._income(acc, "COMMISSION", -fee, t, symbol=order.symbol, trade_id=trade_id)
        pos.amt, pos.entry, pos.update_ms = effect.amt, effect.entry, t
        self.store.put_position(acc.id, pos)
        order.executed_qty += qty
        order.cum_quote += qty * price
        order.avg_price = order.cum_quote / order.executed_qty
        order.status = "FILLED" if order.executed_qty >= order.orig_qty else "PARTIALLY_FILLED"
        order.update_ms = t
        spec = SYMBOLS[order.symbol]
        self.store.put_trade(
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
        self.store.put_account(acc)

    # --- order entry -------------------------------------------------------------------------
    def _client_id(self, acc: Account, value: str | None, *, algo: bool) -> str:
        if value is None:
            return secrets.token_hex(11)
        if not CLIENT_ID_RE.match(value):
            name = "clientAlgoId" if algo else "newClientOrderId"
            raise ApiError(
                -1100,
                f"Illegal characters found in parameter '{name}'; legal range"
                r" is '^[\.A-Z\:/a-z0-9_-]{1,36}$'.",
            )
        if self.config.loose_client_order_ids:
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

    def _check_margin(
        self, acc: Account, *, symbol: str, side: str, qty: Decimal, price: Decimal, t: int
    ) -> None:
        pos = acc.positions.get(symbol)
        opening = acct.opening_qty(amt=pos.amt if pos else Decimal(0), side=side, qty=qty)
        if opening == 0:
            return
        lev = self._setting(acc, symbol).leverage
        after = abs((pos.amt if pos else Decimal(0)) + (qty if side == "BUY" else -qty))
        if after * price > brackets.max_notional(symbol, lev):
            raise ApiError(-2027, "Exceeded the maximum allowable position at current leverage.")
        need = opening * price / lev + acct.commission(
            price=price, qty=qty, rate=self.config.taker_fee
        )
        if need > self.risk(acc, t).available:
            raise margin_insufficient()

    def new_order(self, acc: Account, p: Params) -> dict[str, Any]:
        t = self.clock.now_ms()
        spec = get_spec(p.str("symbol"))
        side = p.str("side", required=True)
        if side not in ("BUY", "SELL"):
            raise ApiError(-1117, "Invalid side.")
        otype = p.str("type", required=True)
        if otype in CONDITIONAL_TYPES:
            raise ApiError(
                -4120,
                "Order type not supported for this endpoint. Please use the "
                "Algo Order API endpoints instead.",
            )
        if otype not in ("LIMIT", "MARKET"):
            raise ApiError(-1116, "Invalid orderType.")
        if p.str("positionSide") not in (None, "BOTH"):
            raise ApiError(-4061, "Order's position side does not match user's setting.")
        if p.bool("closePosition"):
            raise ApiError(-1106, "Parameter 'closePosition' sent when not required.")
        reduce_only = p.bool("reduceOnly")
        qty = p.decimal("quantity", required=True)
        spec.check_qty(qty, market=otype == "MARKET")
        resp_type = p.str("newOrderRespType") or "ACK"
        if resp_type not in ("ACK", "RESULT"):
            raise missing("newOrderRespType")
        bid, ask = self.market.bid_ask(spec.symbol, t)
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
        if not reduce_only and qty * ref < spec.min_notional:
            raise ApiError(
                -4164,
                f"Order's notional must be no smaller than "
                f"{spec.min_notional} (unless you choose reduce only).",
            )
        client_id = self._client_id(acc, p.str("newClientOrderId"), algo=False)
        pos = acc.positions.get(spec.symbol)
        amt = pos.amt if pos else Decimal(0)
        if reduce_only:
            if amt == 0 or (amt > 0) == (side == "BUY"):
                raise reduce_only_rejected()
            if otype == "MARKET":
                qty = min(qty, abs(amt))
        self._check_margin(acc, symbol=spec.symbol, side=side, qty=qty, price=ref, t=t)
        order = Order(
            order_id=self._next_order_id(),
            account_id=acc.id,
            symbol=spec.symbol,
            client_order_id=client_id,
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
        with self.store.tx():
            acc.used_client_ids.add(client_id)
            self.store.add_client_id(acc.id, "order", client_id)
            self._execute(acc, order, spec, t)
        return order_json(order, ack=resp_type == "ACK")

    def _execute(self, acc: Account, order: Order, spec: SymbolSpec, t: int) -> None:
        """Match a new order against the (deep, one-tick-wide) book at `t`; rest the remainder."""
        bid, ask = self.market.bid_ask(spec.symbol, t)
        touch = ask if order.side == "BUY" else bid
        if order.type == "MARKET":
            self._fill(acc, order, order.orig_qty, touch, maker=False, t=t)
        else:
            crosses = order.price >= ask if order.side == "BUY" else order.price <= bid
            if crosses and order.time_in_force == "GTX":
                raise ApiError(
                    -5022,
                    "Due to the order could not be executed as maker, the "
                    "Post Only order will be rejected. The order will not be "
                    "recorded in the order history",
                )
            if crosses:
                self._fill(acc, order, order.orig_qty, touch, maker=False, t=t)
            elif order.time_in_force in ("IOC", "FOK"):
                order.status = "EXPIRED"
            else:
                acc.open_orders[order.order_id] = order
        self.store.put_order(order)

    # --- conditional (algo) orders -----------------------------------------------------------
    def new_algo(self, acc: Account, p: Params) -> dict[str, Any]:
        t = self.clock.now_ms()
        if p.str("algoType", required=True) != "CONDITIONAL":
            raise ApiError(-1130, "Data sent for parameter 'algoType' is not valid.")
        spec = get_spec(p.str("symbol"))
        side = p.str("side", required=True)
        if side not in ("BUY", "SELL"):
            raise ApiError(-1117, "Invalid side.")
        otype = p.str("type", required=True)
        if otype not in CONDITIONAL_TYPES:
            raise ApiError(-1116, "Invalid orderType.")
        if p.str("positionSide") not in (None, "BOTH"):
            raise ApiError(-4061, "Order's position side does not match user's setting.")
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
        working = p.str("workingType") or "MARK_PRICE"
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
            self.market.mark(spec.symbol, t)
            if working == "MARK_PRICE"
            else self.market.last(spec.symbol, t)
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
            if _would_trigger(otype, side, trigger, ref):
                raise ApiError(-2021, "Order would immediately trigger.")
        notional_ref = price or trigger or activate or ref
        if not (reduce_only or close_position) and qty * notional_ref < spec.min_notional:
            raise ApiError(
                -4164,
                f"Order's notional must be no smaller than "
                f"{spec.min_notional} (unless you choose reduce only).",
            )
        client_id = self._client_id(acc, p.str("clientAlgoId"), algo=True)
        self._algo_id += 1
        algo = AlgoOrder(
            algo_id=self._algo_id,
            account_id=acc.id,
            symbol=spec.symbol,
            client_algo_id=client_id,
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
        with self.store.tx():
            acc.used_algo_ids.add(client_id)
            self.store.add_client_id(acc.id, "algo", client_id)
            acc.open_algos[algo.algo_id] = algo
            self.store.put_algo(algo)
        return algo_json(algo)

    def _find_algo(self, acc: Account, p: Params) -> AlgoOrder | None:
        algo_id = p.int("algoId")
        client_id = p.str("clientAlgoId")
        if algo_id is None and client_id is None:
            raise ApiError(
                -1102, "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!"
            )
        for algo in acc.open_algos.values():
            if algo.algo_id == algo_id or (algo_id is None and algo.client_algo_id == client_id):
                return algo
        return self.store.find_algo(acc.id, algo_id=algo_id, client_id=client_id)

    def get_algo(self, acc: Account, p: Params) -> dict[str, Any]:
        algo = self._find_algo(acc, p)
        if algo is None:
            raise unknown_order()
        actual = (
            self.store.find_order(acc.id, order_id=algo.actual_order_id)
            if algo.actual_order_id
            else None
        )
        doc = algo_json(algo, actual)
        doc["executedQty"] = SYMBOLS[algo.symbol].fmt_qty(
            actual.executed_qty if actual else Decimal(0)
        )
        return doc

    def cancel_algo(self, acc: Account, p: Params) -> dict[str, Any]:
        algo = self._find_algo(acc, p)
        if algo is None or not algo.is_open:
            raise cancel_rejected()
        self._close_algo(acc, algo, "CANCELED", self.clock.now_ms())
        return {
            "algoId": algo.algo_id,
            "clientAlgoId": algo.client_algo_id,
            "code": "200",
            "msg": "success",
        }

    def _close_algo(self, acc: Account, algo: AlgoOrder, status: str, t: int) -> None:
        algo.algo_status = status
        algo.update_ms = t
        acc.open_algos.pop(algo.algo_id, None)
        with self.store.tx():
            self.store.put_algo(algo)

    def open_algos(self, acc: Account, p: Params) -> list[dict[str, Any]]:
        symbol = p.str("symbol")
        if symbol:
            get_spec(symbol)
        return [
            algo_json(a)
            for a in sorted(acc.open_algos.values(), key=lambda a: a.algo_id)
            if not symbol or a.symbol == symbol
        ]

    def all_algos(self, acc: Account, p: Params) -> list[dict[str, Any]]:
        symbol = get_spec(p.str("symbol")).symbol
        docs = self.store.list_orders(
            "algo_orders",
            "algo_id",
            acc.id,
            symbol,
            from_id=p.int("algoId"),
            start=p.int("startTime"),
            end=p.int("endTime"),
            limit=p.limit(500, 1000),
        )
        return [algo_json(AlgoOrder.from_doc(d)) for d in docs]

    def cancel_all_algos(self, acc: Account, p: Params) -> dict[str, Any]:
        symbol = get_spec(p.str("symbol")).symbol
        t = self.clock.now_ms()
        for algo in [a for a in acc.open_algos.values() if a.symbol == symbol]:
            self._close_algo(acc, algo, "CANCELED", t)
        return {"code": 200, "msg": "The operation of cancel all open order is done."}

    # --- order queries and cancels -----------------------------------------------------------
    def _find_order(self, acc: Account, p: Params, symbol: str) -> Order | None:
        order_id = p.int("orderId")
        client_id = p.str("origClientOrderId")
        if order_id is None and client_id is None:
            raise ApiError(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        for order in acc.open_orders.values():
            if order.order_id == order_id or (
                order_id is None and order.client_order_id == client_id
            ):
                return order if order.symbol == symbol else None
        found = self.store.find_order(acc.id, order_id=order_id, client_id=client_id)
        return found if found and found.symbol == symbol else None

    def get_order(self, acc: Account, p: Params) -> dict[str, Any]:
        spec = get_spec(p.str("symbol"))
        order = self._find_order(acc, p, spec.symbol)
        if order is None:
            raise unknown_order()
        return order_json(order)

    def cancel_order(self, acc: Account, p: Params) -> dict[str, Any]:
        spec = get_spec(p.str("symbol"))
        order = self._find_order(acc, p, spec.symbol)
        if order is None or not order.is_open:
            raise cancel_rejected()
        self._cancel(acc, order, self.clock.now_ms())
        return order_json(order)

    def _cancel(self, acc: Account, order: Order, t: int, status: str = "CANCELED") -> None:
        order.status = status
        order.update_ms = t
        acc.open_orders.pop(order.order_id, None)
        with self.store.tx():
            self.store.put_order(order)

    def cancel_all(self, acc: Account, p: Params) -> dict[str, Any]:
        symbol = get_spec(p.str("symbol")).symbol
        t = self.clock.now_ms()
        for order in [o for o in acc.open_orders.values() if o.symbol == symbol]:
            self._cancel(acc, order, t)
        return {"code": 200, "msg": "The operation of cancel all open order is done."}

    def open_orders(self, acc: Account, p: Params) -> list[dict[str, Any]]:
        symbol = p.str("symbol")
        if symbol:
            get_spec(symbol)
        return [
            order_json(o)
            for o in sorted(acc.open_orders.values(), key=lambda o: o.order_id)
            if not symbol or o.symbol == symbol
        ]

    def all_orders(self, acc: Account, p: Params) -> list[dict[str, Any]]:
        symbol = get_spec(p.str("symbol")).symbol
        docs = self.store.list_orders(
            "orders",
            "order_id",
            acc.id,
            symbol,
            from_id=p.int("orderId"),
            start=p.int("startTime"),
            end=p.int("endTime"),
            limit=p.limit(500, 1000),
        )
        return [order_json(Order.from_doc(d)) for d in docs]

    def user_trades(self, acc: Account, p: Params) -> list[dict[str, Any]]:
        symbol = get_spec(p.str("symbol")).symbol
        return self.store.list_trades(
            acc.id,
            symbol,
            from_id=p.int("fromId"),
            start=p.int("startTime"),
            end=p.int("endTime"),
            limit=p.limit(500, 1000),
            order_id=p.int("orderId"),
        )

    # --- settings ----------------------------------------------------------------------------
    def change_leverage(self, acc: Account, p: Params) -> dict[str, Any]:
        spec = get_spec(p.str("symbol"))
        leverage = p.int("leverage", required=True)
        if leverage is None or not 1 <= leverage <= brackets.max_leverage(spec.symbol):
            raise ApiError(-4028, f"Leverage {leverage} is not valid")
        setting = self._setting(acc, spec.symbol)
        pos = acc.positions.get(spec.symbol)
        if (
            pos
            and pos.amt != 0
            and abs(pos.amt) * self.market.mark(spec.symbol, self.clock.now_ms())
            > brackets.max_notional(spec.symbol, leverage)
        ):
            raise ApiError(-2027, "Exceeded the maximum allowable position at current leverage.")
        setting.leverage = leverage
        with self.store.tx():
            self.store.put_setting(acc.id, spec.symbol, setting)
        return {
            "leverage": leverage,
            "maxNotionalValue": str(brackets.max_notional(spec.symbol, leverage)),
            "symbol": spec.symbol,
        }

    def change_margin_type(self, acc: Account, p: Params) -> dict[str, Any]:
        spec = get_spec(p.str("symbol"))
        margin_type = (p.str("marginType", required=True) or "").upper()
        if margin_type == "CROSS":
            margin_type = "CROSSED"
        if margin_type not in ("ISOLATED", "CROSSED"):
            raise ApiError(-1130, "Data sent for parameter 'marginType' is not valid.")
        setting = self._setting(acc, spec.symbol)
        if setting.margin_type == margin_type:
            raise ApiError(-4046, "No need to change margin type.")
        pos = acc.positions.get(spec.symbol)
        if pos and pos.amt != 0:
            raise ApiError(-4048, "Margin type cannot be changed if there exists position.")
        if any(o.symbol == spec.symbol for o in acc.open_orders.values()):
            raise ApiError(-4047, "Margin type cannot be changed if there exists open orders.")
        setting.margin_type = margin_type
        with self.store.tx():
            self.store.put_setting(acc.id, spec.symbol, setting)
        return {"code": 200, "msg": "success"}

    def listen_key(self, acc: Account, method: str) -> dict[str, Any]:
        alive = bool(acc.listen_key) and self.listen_key_alive(acc.listen_key)
        if method == "POST":
            if not alive:
                self.listen_deadlines.pop(acc.listen_key, None)
                acc.listen_key = secrets.token_urlsafe(48)[:64]
                with self.store.tx():
                    self.store.put_account(acc)
            self.listen_deadlines[acc.listen_key] = time.monotonic() + self.config.listen_key_ttl
            return {"listenKey": acc.listen_key}
        if method == "PUT":
            if not alive:
                raise ApiError(-1125, "This listenKey does not exist.")
            self.listen_deadlines[acc.listen_key] = time.monotonic() + self.config.listen_key_ttl
            return {"listenKey": acc.listen_key}
        if acc.listen_key:
            self.listen_deadlines.pop(acc.listen_key, None)
            acc.listen_key = ""
            with self.store.tx():
                self.store.put_account(acc)
        return {}

    def listen_key_alive(self, key: str) -> bool:
        deadline = self.listen_deadlines.get(key)
        # A key from before a restart lives a full TTL from the first look.
        if deadline is None and any(a.listen_key == key for a in self.accounts.values()):
            deadline = self.listen_deadlines[key] = time.monotonic() + self.config.listen_key_ttl
        return deadline is not None and time.monotonic() < deadline

    def account_for_listen_key(self, key: str) -> Account | None:
        if not key or not self.listen_key_alive(key):
            return None
        return next((a for a in self.accounts.values() if a.listen_key == key), None)

    # --- account reads -----------------------------------------------------------------------
    def account_v2(self, acc: Account) -> dict[str, Any]:
        t = self.clock.now_ms()
        risk = self.risk(acc, t)
        avail = risk.available
        positions = []
        for symbol in SYMBOLS:
            setting = self._setting(acc, symbol)
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
                    "breakEvenPrice": money_str(self._break_even(s) if s else Decimal(0)),
                    "maxNotional": str(brackets.max_notional(symbol, setting.leverage)),
                    "bidNotional": "0",
                    "askNotional": "0",
                    "positionSide": "BOTH",
                    "positionAmt": SYMBOLS[symbol].fmt_qty(s.amt if s else Decimal(0)),
                    "updateTime": s.update_ms if s else 0,
                }
            )
        asset = self._asset(acc, risk)
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
            "totalCrossWalletBalance": money_str(risk.wallet),
            "totalCrossUnPnl": money_str(risk.unrealized),
            "availableBalance": money_str(avail),
            "maxWithdrawAmount": money_str(max(Decimal(0), min(avail, risk.wallet))),
            "assets": [asset],
            "positions": positions,
        }

    def _asset(self, acc: Account, risk: AccountRisk) -> dict[str, Any]:
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
            "crossWalletBalance": money_str(risk.wallet),
            "crossUnPnl": money_str(risk.unrealized),
            "availableBalance": money_str(avail),
            "maxWithdrawAmount": money_str(max(Decimal(0), min(avail, risk.wallet))),
            "marginAvailable": True,
            "updateTime": acc.update_ms,
        }

    def balance_v3(self, acc: Account) -> list[dict[str, Any]]:
        risk = self.risk(acc, self.clock.now_ms())
        asset = self._asset(acc, risk)
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

    def _break_even(self, s: SymbolRisk) -> Decimal:
        # Entry moved by the taker fee paid to open and to close (an approximation of Binance's).
        if s.amt == 0:
            return Decimal(0)
        direction = 1 if s.amt > 0 else -1
        return s.entry * (1 + direction * 2 * self.config.taker_fee)

    def position_risk_v3(self, acc: Account, p: Params) -> list[dict[str, Any]]:
        symbol = p.str("symbol")
        if symbol:
            get_spec(symbol)
        t = self.clock.now_ms()
        risk = self.risk(acc, t)
        rows = []
        for name in sorted(risk.symbols):
            s = risk.symbols[name]
            if symbol and name != symbol:
                continue
            other = risk.wallet + sum(
                (o.unrealized - o.maint for o in risk.symbols.values() if o.symbol != name),
                Decimal(0),
            )
            liq = self.liquidation_price(name, s.amt, s.entry, other)
            spec = SYMBOLS[name]
            rows.append(
                {
                    "symbol": name,
                    "positionSide": "BOTH",
                    "positionAmt": spec.fmt_qty(s.amt),
                    "entryPrice": money_str(s.entry),
                    "breakEvenPrice": money_str(self._break_even(s)),
                    "markPrice": money_str(s.mark),
                    "unRealizedProfit": money_str(s.unrealized),
                    "liquidationPrice": money_str(liq),
                    "isolatedMargin": "0",
                    "notional": money_str(s.amt * s.mark),
                    "marginAsset": "USDT",
                    "isolatedWallet": "0",
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

    def income(self, acc: Account, p: Params) -> list[dict[str, Any]]:
        symbol = p.str("symbol")
        if symbol:
            get_spec(symbol)
        kind = p.str("incomeType")
        if kind is not None and kind not in INCOME_TYPES:
            raise ApiError(-1130, "Data sent for parameter 'incomeType' is not valid.")
        limit = p.limit(100, 1000)
        page = p.int("page") or 1
        start, end = p.int("startTime"), p.int("endTime")
        now = self.clock.now_ms()
        if start is None and end is None:
            start, end = now - SEVEN_DAYS_MS, now
        elif start is None:
            start = end - SEVEN_DAYS_MS  # type: ignore[operator]
        elif end is None:
            end = max(now, start)
        return self.store.list_income(
            acc.id,
            symbol=symbol,
            income_type=kind,
            start=start,
            end=end,
            limit=limit,
            offset=(page - 1) * limit,
        )

    # --- the clock: resting orders, triggers, funding, liquidation -----------------------------
    def tick(self) -> None:
        with self.lock:
            now = self.clock.now_ms()
            grid = self.market.grid(self.last_tick_ms, now)
            if len(grid) > MAX_GRID_POINTS:
                grid = grid[-MAX_GRID_POINTS:]
            for t in grid:
                self._settle_funding(t)
                self._evaluate(t)
            self.last_tick_ms = now
            if wall_ms() - self._persisted_clock_wall > 1000:
                self._persisted_clock_wall = wall_ms()
                with self.store.tx():
                    self.store.meta_set("clock_ms", str(now))
                    self.store.meta_set("price_shifts", _json(self.market.shifts_doc()))

    def _evaluate(self, t: int) -> None:
        cache: dict[str, tuple[Decimal, Decimal]] = {}

        def prices(symbol: str) -> tuple[Decimal, Decimal]:
            if symbol not in cache:
                cache[symbol] = (self.market.last(symbol, t), self.market.mark(symbol, t))
            return cache[symbol]

        for acc in self.accounts.values():
            for order in sorted(acc.open_orders.values(), key=lambda o: o.order_id):
                if order.time_ms > t:
                    continue  # the tick is catching up on marks from before this order
                last, _ = prices(order.symbol)
                hit = last <= order.price if order.side == "BUY" else last >= order.price
                if hit:
                    self._fill_resting(acc, order, t)
            for algo in sorted(acc.open_algos.values(), key=lambda a: a.algo_id):
                if algo.create_ms > t:
                    continue
                last, mark = prices(algo.symbol)
                self._evaluate_algo(acc, algo, last, mark, t)
            if any(p.amt != 0 for p in acc.positions.values()):
                marks = {s: prices(s)[1] for s, p in acc.positions.items() if p.amt != 0}
                risk = self.risk(acc, t, marks)
                if risk.margin_balance < risk.maint:
                    self._liquidate(acc, risk, t)

    def _fill_resting(self, acc: Account, order: Order, t: int) -> None:
        qty = order.remaining
        if order.reduce_only:
            pos = acc.positions.get(order.symbol)
            amt = pos.amt if pos else Decimal(0)
            if amt == 0 or (amt > 0) == (order.side == "BUY"):
                self._cancel(acc, order, t, status="EXPIRED")
                return
            qty = min(qty, abs(amt))
        acc.open_orders.pop(order.order_id, None)
        with self.store.tx():
            self._fill(acc, order, qty, order.price, maker=True, t=t)
            if order.executed_qty < order.orig_qty:
                order.status = "EXPIRED"  # a reduce-only remainder past the position
            self.store.put_order(order)

    def _evaluate_algo(
        self, acc: Account, algo: AlgoOrder, last: Decimal, mark: Decimal, t: int
    ) -> None:
        ref = mark if algo.working_type == "MARK_PRICE" else last
        if algo.order_type == "TRAILING_STOP_MARKET":
            if not self._trail(algo, ref, t):
                return
        elif not _would_trigger(algo.order_type, algo.side, algo.trigger_price, ref):
            return
        self._trigger(acc, algo, t)

    def _trail(self, algo: AlgoOrder, ref: Decimal, t: int) -> bool:
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
            with self.store.tx():
                self.store.put_algo(algo)
        if sell:
            return ref <= algo.extreme * (1 - rate)
        return ref >= algo.extreme * (1 + rate)

    def _trigger(self, acc: Account, algo: AlgoOrder, t: int) -> None:
        spec = SYMBOLS[algo.symbol]
        pos = acc.positions.get(algo.symbol)
        amt = pos.amt if pos else Decimal(0)
        reduces = amt != 0 and (amt > 0) != (algo.side == "BUY")
        qty = algo.quantity
        algo.trigger_ms = t
        if algo.close_position or algo.reduce_only:
            if not reduces:
                self._close_algo(acc, algo, "EXPIRED", t)
                return
            qty = abs(amt) if algo.close_position else min(qty, abs(amt))
        market = algo.order_type.endswith("MARKET")
        bid, ask = self.market.bid_ask(algo.symbol, t)
        try:
            self._check_margin(
                acc,
                symbol=algo.symbol,
                side=algo.side,
                qty=qty,
                price=ask if algo.side == "BUY" else bid,
                t=t,
            )
        except ApiError:
            self._close_algo(acc, algo, "REJECTED", t)
            return
        order = Order(
            order_id=self._next_order_id(),
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
        with self.store.tx():
            try:
                self._execute(acc, order, spec, t)
            except ApiError:  # a post-only limit that would cross at trigger time
                order.status = "EXPIRED"
                self.store.put_order(order)
            self.store.put_algo(algo)

    def _settle_funding(self, t: int) -> None:
        while self.funding_done_ms + FUNDING_INTERVAL_MS <= t:
            funding_ms = self.funding_done_ms + FUNDING_INTERVAL_MS
            with self.store.tx():
                for acc in self.accounts.values():
                    for symbol, pos in sorted(acc.positions.items()):
                        if pos.amt == 0:
                            continue
                        rate = self.market.funding_rate(symbol, funding_ms)
                        mark = self.market.mark(symbol, funding_ms)
                        fee = acct.funding_fee(amt=pos.amt, mark=mark, rate=rate)
                        if fee:
                            self._income(acc, "FUNDING_FEE", fee, funding_ms, symbol=symbol)
                            self.store.put_account(acc)
                self.funding_done_ms = funding_ms
                self.store.meta_set("funding_done_ms", str(funding_ms))

    def _liquidate(self, acc: Account, risk: AccountRisk, t: int) -> None:
        """Cross-margin liquidation: cancel everything, close every position at the mark."""
        log.warning("liquidating account %s at %s", acc.name, t)
        for order in list(acc.open_orders.values()):
            self._cancel(acc, order, t)
        for algo in list(acc.open_algos.values()):
            self._close_algo(acc, algo, "EXPIRED", t)
        with self.store.tx():
            for symbol, s in sorted(risk.symbols.items()):
                if s.amt == 0:
                    continue
                order = Order(
                    order_id=self._next_order_id(),
                    account_id=acc.id,
                    symbol=symbol,
                    client_order_id=f"autoclose-{t}",
                    side="SELL" if s.amt > 0 else "BUY",
                    type="LIQUIDATION",
                    orig_type="LIQUIDATION",
                    time_in_force="IOC",
                    price=s.mark,
                    orig_qty=abs(s.amt),
                    time_ms=t,
                    update_ms=t,
                )
                self._fill(acc, order, abs(s.amt), s.mark, maker=False, t=t)
                self.store.put_order(order)
            if acc.wallet < 0:
                self._income(acc, "INSURANCE_CLEAR", -acc.wallet, t, symbol="")
                self.store.put_account(acc)

    # --- admin -------------------------------------------------------------------------------
    def set_price(self, symbol: str, price: Decimal) -> dict[str, Any]:
        spec = get_spec(symbol)
        spec.check_price(price)
        t = self.clock.now_ms()
        self.market.set_price(symbol, t, price)
        with self.store.tx():
            self.store.meta_set("price_shifts", _json(self.market.shifts_doc()))
        self.tick()
        return {
            "symbol": symbol,
            "price": spec.fmt_price(self.market.last(symbol, t)),
            "markPrice": spec.fmt_price(self.market.mark(symbol, t)),
            "time": t,
        }


def _would_trigger(otype: str, side: str, trigger: Decimal, ref: Decimal) -> bool:
    if otype in ("STOP", "STOP_MARKET"):
        return ref >= trigger if side == "BUY" else ref <= trigger
    return ref <= trigger if side == "BUY" else ref >= trigger


def _json(value: Any) -> str:
    return json.dumps(value)
