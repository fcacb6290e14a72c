"""The clock loop: each tick walks the price path's grid points since the last tick and, at each,
settles funding that fell due, fills resting limits the price reached, fires conditional
orders, and liquidates accounts whose margin balance fell below maintenance. An admin price
move ticks at once so its consequences are visible in the reply."""

from __future__ import annotations

import json
import logging
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from ..clock import wall_ms
from ..market import FUNDING_INTERVAL_MS
from ..symbols import LIQUIDATION_FEE, SYMBOLS, get_spec
from . import accounting as acct
from . import ledger, matching
from .models import Account, Order
from .risk import AccountRisk, account_risk

if TYPE_CHECKING:
    from .exchange import Engine

log = logging.getLogger(__name__)

# A tick that finds a long gap (a restart after downtime) evaluates only the latest marks.
MAX_GRID_POINTS = 5_000


def tick(engine: Engine) -> None:
    with engine.lock:
        now = engine.clock.now_ms()
        grid = engine.market.grid(engine.last_tick_ms, now)
        if len(grid) > MAX_GRID_POINTS:
            grid = grid[-MAX_GRID_POINTS:]
        for t in grid:
            settle_funding(engine, t)
            evaluate(engine, t)
        engine.last_tick_ms = now
        if wall_ms() - engine.persisted_clock_wall > 1000:
            engine.persisted_clock_wall = wall_ms()
            with engine.store.tx():
                engine.store.meta_set("clock_ms", str(now))
                engine.store.meta_set("price_shifts", json.dumps(engine.market.shifts_doc()))


def evaluate(engine: Engine, t: int) -> None:
    """Every account at grid point `t`, orders in id order (the older order fills first)."""
    cache: dict[str, tuple[Decimal, Decimal]] = {}

    def prices(symbol: str) -> tuple[Decimal, Decimal]:
        if symbol not in cache:
            cache[symbol] = (engine.market.last(symbol, t), engine.market.mark(symbol, t))
        return cache[symbol]

    for acc in engine.accounts.values():
        for order in sorted(acc.open_orders.values(), key=lambda o: o.order_id):
            if order.time_ms > t:
                continue  # the tick is catching up on marks from before this order
            last, _ = prices(order.symbol)
            if matching.limit_hit(order, last):
                matching.fill_resting(engine, acc, order, t)
        for algo in sorted(acc.open_algos.values(), key=lambda a: a.algo_id):
            if algo.create_ms > t:
                continue
            last, mark = prices(algo.symbol)
            matching.evaluate_algo(engine, acc, algo, last, mark, t)
        if any(p.amt != 0 for p in acc.positions.values()):
            marks = {s: prices(s)[1] for s, p in acc.positions.items() if p.amt != 0}
            risk = account_risk(engine, acc, t, marks)
            for s in list(risk.symbols.values()):
                if s.isolated and s.amt != 0 and s.isolated_wallet + s.unrealized < s.maint:
                    liquidate(
                        engine, acc, account_risk(engine, acc, t, marks), t, symbols={s.symbol}
                    )
                    risk = account_risk(engine, acc, t, marks)
            cross = {s.symbol for s in risk.symbols.values() if not s.isolated and s.amt != 0}
            if cross and risk.cross_wallet + risk.cross_unrealized < risk.cross_maint:
                liquidate(engine, acc, risk, t, symbols=cross)


def settle_funding(engine: Engine, t: int) -> None:
    """Every funding time up to `t` not settled yet, each in one transaction with its marker."""
    while engine.funding_done_ms + FUNDING_INTERVAL_MS <= t:
        funding_ms = engine.funding_done_ms + FUNDING_INTERVAL_MS
        with engine.store.tx():
            for acc in engine.accounts.values():
                for symbol, pos in sorted(acc.positions.items()):
                    if pos.amt == 0:
                        continue
                    rate = engine.market.funding_rate(symbol, funding_ms)
                    mark = engine.market.mark(symbol, funding_ms)
                    fee = acct.funding_fee(amt=pos.amt, mark=mark, rate=rate)
                    if fee:
                        ledger.income(engine, acc, "FUNDING_FEE", fee, funding_ms, symbol=symbol)
                        engine.store.put_account(acc)
                        if engine.setting(acc, symbol).margin_type == "ISOLATED":
                            # Binance settles an isolated position's funding in its own wallet.
                            pos.isolated_wallet += fee
                            engine.store.put_position(acc.id, pos)
            engine.funding_done_ms = funding_ms
            engine.store.meta_set("funding_done_ms", str(funding_ms))


def liquidate(
    engine: Engine, acc: Account, risk: AccountRisk, t: int, *, symbols: set[str]
) -> None:
    """Liquidate `symbols`' positions (the cross ones together, an isolated one alone): cancel
    their orders and close them. Cross positions close at the mark, paying the taker fee; a
    loss past the cross wallet is cleared by an INSURANCE_CLEAR row. An isolated position
    closes at the price `accounting.isolated_liquidation_price` gives (the bankruptcy price,
    unless its wallet at the mark exceeds the clearance fee) with no commission: the clearance
    fee replaces it, and it never costs the cross wallet more than its own wallet."""
    log.warning("liquidating account %s (%s) at %s", acc.name, ",".join(sorted(symbols)), t)
    for order in [o for o in acc.open_orders.values() if o.symbol in symbols]:
        matching.cancel(engine, acc, order, t)
    for algo in [a for a in acc.open_algos.values() if a.symbol in symbols]:
        matching.close_algo(engine, acc, algo, "EXPIRED", t)
    # What the cross wallet keeps whatever this liquidation loses: all of it when an isolated
    # position goes, nothing below zero when the cross positions go.
    isolated = any(risk.symbols[s].isolated for s in symbols)
    floor = risk.cross_wallet if isolated else Decimal(0)
    with engine.store.tx():
        for symbol, s in sorted(risk.symbols.items()):
            if s.amt == 0 or symbol not in symbols:
                continue
            price, rate = s.mark, None
            if s.isolated:
                exact = acct.isolated_liquidation_price(
                    amt=s.amt,
                    entry=s.entry,
                    wallet=s.isolated_wallet,
                    mark=s.mark,
                    fee_rate=LIQUIDATION_FEE,
                )
                # On the tick towards the entry, so the loss never passes the wallet.
                price = SYMBOLS[symbol].round_price(
                    exact, ROUND_CEILING if s.amt > 0 else ROUND_FLOOR
                )
                rate = Decimal(0)
            order = Order(
                order_id=engine.next_order_id(),
                account_id=acc.id,
                symbol=symbol,
                client_order_id=f"autoclose-{t}",
                side="SELL" if s.amt > 0 else "BUY",
                type="LIQUIDATION",
                orig_type="LIQUIDATION",
                time_in_force="IOC",
                price=price,
                orig_qty=abs(s.amt),
                time_ms=t,
                update_ms=t,
            )
            ledger.fill(engine, acc, order, abs(s.amt), price, maker=False, t=t, rate=rate)
            engine.store.put_order(order)
        kept = sum((p.isolated_wallet for p in acc.positions.values()), Decimal(0))
        cross_wallet = acc.wallet - kept
        if cross_wallet < floor:
            ledger.income(engine, acc, "INSURANCE_CLEAR", floor - cross_wallet, t, symbol="")
            engine.store.put_account(acc)


def set_price(
    engine: Engine, symbol: str, price: Decimal, mark: Decimal | None = None
) -> dict[str, Any]:
    """Admin control: move a symbol's price path to `price` now (its mark to `mark`, or with
    the last price), then tick."""
    spec = get_spec(symbol)
    spec.check_price(price)
    if mark is not None:
        spec.check_price(mark)
    t = engine.clock.now_ms()
    engine.market.set_price(symbol, t, price, mark)
    with engine.store.tx():
        engine.store.meta_set("price_shifts", json.dumps(engine.market.shifts_doc()))
    tick(engine)
    return {
        "symbol": symbol,
        "price": spec.fmt_price(engine.market.last(symbol, t)),
        "markPrice": spec.fmt_price(engine.market.mark(symbol, t)),
        "time": t,
    }
