"""Compare a freqtrade run's closed trades with the paper exchange's own income for them.

    .venv/bin/python docs/examples/freqtrade/compare.py --db /tmp/ftrun/tradesv3.sqlite \
        --base http://127.0.0.1:8030 --key KEY --secret SECRET

For each closed freqtrade trade (its sqlite `trades` and `orders` tables): the venue's
REALIZED_PNL and COMMISSION income rows whose `tradeId` is a fill of one of the trade's orders
(found through `userTrades`), plus its FUNDING_FEE rows for the symbol between the trade's open
and close, next to freqtrade's `close_profit_abs`. A stop order's fills are those of the
MARKET order it became (the algo order's `actualOrderId`). Also counts the trade's orders by
freqtrade's side (entry, exit, stoploss) and how the venue says each stop order ended.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.paper_exchange import binance_client  # noqa: E402


def _ms(value: str | None) -> int:
    if value is None:
        return int(datetime.now(UTC).timestamp() * 1000)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:  # freqtrade stores naive UTC
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="freqtrade's trades sqlite file")
    parser.add_argument("--base", required=True, help="the venue's base URL")
    parser.add_argument("--key", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()

    client = binance_client(args.base, args.key, args.secret)
    db = sqlite3.connect(args.db)
    db.row_factory = sqlite3.Row
    trades = db.execute(
        "select id, pair, is_open, open_date, close_date, close_profit_abs, exit_reason "
        "from trades order by id"
    ).fetchall()
    symbols = {t["pair"].split(":")[0].replace("/", "") for t in trades}
    fills_by_order: dict[str, list[int]] = defaultdict(list)
    income: list[dict] = []
    for symbol in symbols:
        for fill in client.futures_account_trades(symbol=symbol, limit=1000):
            fills_by_order[str(fill["orderId"])].append(int(fill["id"]))
        income += client.futures_income_history(symbol=symbol, startTime=0, limit=1000)
    by_trade_id: dict[int, Decimal] = defaultdict(Decimal)
    for row in income:
        if row["incomeType"] in ("REALIZED_PNL", "COMMISSION") and row["tradeId"]:
            by_trade_id[int(row["tradeId"])] += Decimal(row["income"])

    total_ft = total_venue = Decimal(0)
    sides: dict[str, int] = defaultdict(int)
    stop_states: dict[str, int] = defaultdict(int)
    print(f"{'id':>3} {'pair':<14} {'exit':<20} {'freqtrade':>12} {'venue':>12} {'diff':>10}")
    for trade in trades:
        orders = db.execute(
            "select ft_order_side, order_id, status, order_type from orders where ft_trade_id=?",
            (trade["id"],),
        ).fetchall()
        symbol = trade["pair"].split(":")[0].replace("/", "")
        # A stop order is an algo order: its fills belong to the MARKET order it became.
        order_ids = [str(order["order_id"]) for order in orders]
        for order in orders:
            sides[order["ft_order_side"]] += 1
            if order["ft_order_side"] == "stoploss":
                algo = client._request_futures_api(
                    "get", "algoOrder", True, data={"algoId": order["order_id"]}
                )
                stop_states[algo.get("algoStatus", "?")] += 1
                if algo.get("actualOrderId"):
                    order_ids.append(str(algo["actualOrderId"]))
        if trade["is_open"]:
            continue
        venue = sum(
            (by_trade_id[fill_id] for oid in order_ids for fill_id in fills_by_order.get(oid, [])),
            Decimal(0),
        )
        opened, closed = _ms(trade["open_date"]), _ms(trade["close_date"])
        venue += sum(
            (
                Decimal(r["income"])
                for r in income
                if r["incomeType"] == "FUNDING_FEE"
                and r["symbol"] == symbol
                and opened <= int(r["time"]) <= closed
            ),
            Decimal(0),
        )
        ft = Decimal(str(trade["close_profit_abs"]))
        total_ft += ft
        total_venue += venue
        print(
            f"{trade['id']:>3} {trade['pair']:<14} {trade['exit_reason'] or '':<20} "
            f"{ft:>12.8f} {venue:>12.8f} {ft - venue:>10.8f}"
        )
    closed_count = sum(1 for t in trades if not t["is_open"])
    print(f"trades {len(trades)} (closed {closed_count}); orders by side {dict(sides)}")
    print(f"stop orders on the venue by final status {dict(stop_states)}")
    diff = total_ft - total_venue
    print(f"total freqtrade {total_ft:.8f} venue {total_venue:.8f} diff {diff:.8f}")


if __name__ == "__main__":
    main()
