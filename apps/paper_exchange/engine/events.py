"""User data events (ORDER_TRADE_UPDATE, ACCOUNT_UPDATE, ALGO_UPDATE) from the store's writes.

Every change the engine makes reaches the store (`put_order`, `put_trade`, `put_algo`,
`put_position`, `put_account`, `put_income`), so the journal watches those writes instead of
every code path that changes an order: triggers, liquidations and cancels are covered alike.
Events are staged inside a transaction and published only when it commits (a rolled back
order never reaches a stream). Payloads are built at write time: the objects change later.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..symbols import SYMBOLS
from .views import algo_json, money_str, order_json

if TYPE_CHECKING:
    from .exchange import Engine
    from .models import AlgoOrder, Order, Position

Sink = Callable[[list[tuple[int, dict[str, Any]]]], None]
REASONS = {
    "FUNDING_FEE": "FUNDING_FEE",
    "INSURANCE_CLEAR": "INSURANCE_CLEAR",
    "TRANSFER": "DEPOSIT",
}


class Journal:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sink: Sink | None = None
        self._staged: list[tuple[int, dict[str, Any]]] = []
        self._trades: dict[int, dict[str, Any]] = {}
        self._seen: set[int] = set()
        self._accounts: dict[int, set[str]] = {}  # account -> symbols whose position moved
        self._incomes: dict[int, list[tuple[str, Decimal]]] = {}
        self._reasons: dict[int, str] = {}
        self._amended: set[int] = set()  # orders PUT /fapi/v1/order changed in this transaction
        self._orders: dict[int, Order] = {}  # orders written in this transaction, by id

    # --- store writes ------------------------------------------------------------------------
    def trade(self, trade: dict[str, Any]) -> None:
        self._trades[trade["orderId"]] = trade

    def order(self, order: Order) -> None:
        if self.sink is None:
            return
        self._orders[order.order_id] = order
        body = order_json(order)
        trade = self._trades.pop(order.order_id, None)
        if order.order_id not in self._seen and order.status != "NEW":
            # Binance announces every order NEW before it trades or ends.
            self._staged.append(
                (
                    order.account_id,
                    self._order_event(
                        order,
                        {**body, "status": "NEW", "executedQty": "0", "avgPrice": "0"},
                        None,
                        "NEW",
                    ),
                )
            )
        self._seen.add(order.order_id)
        if trade:
            kind = "TRADE"
        elif order.order_id in self._amended and order.is_open:
            kind = "AMENDMENT"  # Binance: the order modified in place, nothing traded
        else:
            kind = {"NEW": "NEW", "CANCELED": "CANCELED", "EXPIRED": "EXPIRED"}.get(
                order.status, "TRADE"
            )
        self._staged.append((order.account_id, self._order_event(order, body, trade, kind)))
        if not order.is_open:
            self._seen.discard(order.order_id)

    def algo(self, algo: AlgoOrder) -> None:
        if self.sink is None:
            return
        # A triggered algo order's order is written first, in the same transaction: Binance
        # reports what it executed (ap, aq) in the algo's update.
        actual = self._orders.get(algo.actual_order_id) if algo.actual_order_id else None
        a = algo_json(algo, actual)
        t = self.engine.clock.now_ms()
        self._staged.append(
            (
                algo.account_id,
                {
                    "e": "ALGO_UPDATE",
                    "T": a["updateTime"],
                    "E": t,
                    "o": {
                        "caid": a["clientAlgoId"],
                        "aid": a["algoId"],
                        "at": a["algoType"],
                        "o": a["orderType"],
                        "s": a["symbol"],
                        "S": a["side"],
                        "ps": a["positionSide"],
                        "f": a["timeInForce"],
                        "q": a["quantity"],
                        "X": a["algoStatus"],
                        "ai": a["actualOrderId"],
                        "ap": a["actualPrice"],
                        "aq": SYMBOLS[algo.symbol].fmt_qty(actual.executed_qty) if actual else "0",
                        "act": "MARKET" if a["orderType"].endswith("MARKET") else "LIMIT",
                        "tp": a["triggerPrice"],
                        "p": a["price"],
                        "V": a["selfTradePreventionMode"],
                        "wt": a["workingType"],
                        "pm": a["priceMatch"],
                        "cp": a["closePosition"],
                        "pP": a["priceProtect"],
                        "R": a["reduceOnly"],
                        "tt": a["triggerTime"],
                        "gtd": a["goodTillDate"],
                        "rm": "",
                    },
                },
            )
        )

    def position(self, account_id: int, pos: Position) -> None:
        self._accounts.setdefault(account_id, set()).add(pos.symbol)

    def account(self, account_id: int) -> None:
        self._accounts.setdefault(account_id, set())

    def income(self, account_id: int, row: dict[str, Any]) -> None:
        self._incomes.setdefault(account_id, []).append((row["incomeType"], Decimal(row["income"])))

    def amended(self, order_id: int) -> None:
        """The order's next write in this transaction is a modification (x AMENDMENT)."""
        self._amended.add(order_id)

    def reason(self, account_id: int, reason: str) -> None:
        """The ACCOUNT_UPDATE reason of a change no income row names (a margin transfer moves
        money between wallets without booking any)."""
        self._reasons[account_id] = reason

    # --- transactions ------------------------------------------------------------------------
    def commit(self) -> None:
        if self.sink is None:
            self.discard()
            return
        for account_id, symbols in self._accounts.items():
            # An account being adopted is not in the engine yet: nobody can hold its key.
            if account_id in self.engine.accounts:
                self._staged.append((account_id, self._account_event(account_id, symbols)))
        events, self._staged = self._staged, []
        self._accounts, self._incomes, self._reasons = {}, {}, {}
        self._amended.clear()
        self._orders.clear()
        if events:
            self.sink(events)

    def discard(self) -> None:
        self._staged, self._accounts, self._incomes, self._reasons = [], {}, {}, {}
        self._trades.clear()
        self._amended.clear()
        self._orders.clear()

    # --- payloads ----------------------------------------------------------------------------
    def _order_event(
        self, order: Order, o: dict[str, Any], trade: dict[str, Any] | None, kind: str
    ) -> dict[str, Any]:
        t = self.engine.clock.now_ms()
        return {
            "e": "ORDER_TRADE_UPDATE",
            "E": t,
            "T": o["updateTime"],
            "o": {
                "s": o["symbol"],
                "c": o["clientOrderId"],
                "S": o["side"],
                "o": o["type"],
                "f": o["timeInForce"],
                "q": o["origQty"],
                "p": o["price"],
                "ap": o["avgPrice"],
                "sp": o["stopPrice"],
                "x": kind,
                "X": o["status"],
                "i": o["orderId"],
                "l": trade["qty"] if trade else "0",
                "z": o["executedQty"],
                "L": trade["price"] if trade else "0",
                "N": "USDT",
                "n": trade["commission"] if trade else "0",
                "T": o["updateTime"],
                "t": trade["id"] if trade else 0,
                "b": "0",
                "a": "0",
                "m": trade["maker"] if trade else False,
                "R": o["reduceOnly"],
                "wt": o["workingType"],
                "ot": o["origType"],
                "ps": o["positionSide"],
                "cp": o["closePosition"],
                "rp": trade["realizedPnl"] if trade else "0",
                "pP": o["priceProtect"],
                "si": 0,
                "ss": 0,
                "V": o["selfTradePreventionMode"],
                "pm": o["priceMatch"],
                "gtd": o["goodTillDate"],
            },
        }

    def _account_event(self, account_id: int, symbols: set[str]) -> dict[str, Any]:
        engine = self.engine
        acc = engine.accounts[account_id]
        t = engine.clock.now_ms()
        incomes = self._incomes.get(account_id, [])
        kinds = [k for k, _ in incomes]
        reason = self._reasons.get(account_id) or next(
            (REASONS[k] for k in kinds if k in REASONS), "ORDER"
        )
        change = sum((v for k, v in incomes if k == "TRANSFER"), Decimal(0))
        positions = []
        for symbol in sorted(symbols):
            pos = acc.positions.get(symbol)
            if pos is None:
                continue
            mark = engine.market.mark(symbol, t)
            setting = acc.settings.get(symbol)
            positions.append(
                {
                    "s": symbol,
                    "pa": SYMBOLS[symbol].fmt_qty(pos.amt),
                    "ep": f"{pos.entry}",
                    "bep": f"{pos.entry}",
                    "cr": "0",
                    "up": money_str(pos.amt * (mark - pos.entry)),
                    "mt": "isolated" if setting and setting.margin_type == "ISOLATED" else "cross",
                    "iw": money_str(pos.isolated_wallet),
                    "ps": "BOTH",
                }
            )
        return {
            "e": "ACCOUNT_UPDATE",
            "E": t,
            "T": acc.update_ms or t,
            "a": {
                "m": reason,
                "B": [
                    {
                        "a": "USDT",
                        "wb": money_str(acc.wallet),
                        # Binance's cw is the cross wallet: isolated wallets are not in it.
                        "cw": money_str(
                            acc.wallet
                            - sum((p.isolated_wallet for p in acc.positions.values()), Decimal(0))
                        ),
                        "bc": money_str(change),
                    }
                ],
                "P": positions,
            },
        }
