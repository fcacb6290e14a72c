"""The verdict of a chaos run: the desk's records against the venue's, as pure functions of the
evidence a run collects (JSON), so each check is also tried on planted discrepancies
(tests/chaos/test_chaos.py) and can be re-run on a kept evidence file.

Evidence: {"desk": desk.records(), "venue": Venue.records(), "api": DeskApi.figures(),
"halted": positions of both sides while halted (before the flatten), "days": N}.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.chaos.figures import (
    WINDOW_MS,
    expected_board,
    expected_daily,
    iso_ms,
    pct,
    q8,
)

INTENT_ID = re.compile(r"^qt-(\d+)-\d+$")
IN_FLIGHT = {"NEW", "APPROVED", "SUBMITTING"}


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.lost or self.duplicated or self.unknown or self.mismatches)

    def lines(self) -> list[str]:
        return [
            f"{kind}: {what}"
            for kind in ("lost", "duplicated", "unknown", "mismatches")
            for what in getattr(self, kind)
        ]


def verify(evidence: dict[str, Any]) -> Findings:
    found = Findings()
    orders_check(evidence["desk"], evidence["venue"], found)
    ledger_check(evidence["desk"], evidence["venue"], evidence["api"], found)
    positions_check(evidence, found)
    figures_check(evidence["venue"], evidence["api"], evidence["days"], found)
    return found


# --- orders: no intent with two orders, no unknown order, none lost -------------------------------
def orders_check(desk: dict, venue: dict, found: Findings) -> None:
    intents = {i["client_order_id"]: i for i in desk["intents"] if i["client_order_id"]}
    backstops = {b["client_algo_id"]: b for b in desk["backstops"]}
    per_intent: Counter[str] = Counter()
    per_client_id: Counter[str] = Counter()
    on_venue: dict[str, dict] = {}
    for order in venue["orders"]:
        cid = order["clientOrderId"]
        per_client_id[cid] += 1
        on_venue[cid] = order
        match = INTENT_ID.match(cid)
        if match:
            per_intent[match.group(1)] += 1
        if cid not in intents and cid not in backstops:
            found.unknown.append(
                f"order {order['orderId']} {order['symbol']} {cid!r} "
                f"{order['side']} {order['executedQty']}: not the desk's"
            )
    found.duplicated += [
        f"intent {i}: {n} orders on the venue" for i, n in per_intent.items() if n > 1
    ]
    found.duplicated += [
        f"client order id {c!r} used by {n} venue orders"
        for c, n in per_client_id.items()
        if n > 1 and not INTENT_ID.match(c)
    ]
    for intent in desk["intents"]:
        cid, order = intent["client_order_id"], on_venue.get(intent["client_order_id"] or "")
        what = f"intent {intent['id']} ({intent['symbol']} {intent['action']} {intent['reason']})"
        if intent["state"] in IN_FLIGHT:
            found.lost.append(f"{what} still {intent['state']} after the desk settled")
        if intent["reason"] == "adopted":
            found.lost.append(f"{what}: the desk adopted a position change it did not know")
        if intent["reason"] == "backstop":
            continue  # its order is the backstop's (clientOrderId qb-<id>), checked below
        if order is None:
            if intent["order_id"] is not None or Decimal(intent["executed_qty"]):
                found.lost.append(
                    f"{what} records order {intent['order_id']} / filled "
                    f"{intent['executed_qty']}, the venue has no order {cid!r}"
                )
            continue
        if intent["order_id"] != order["orderId"]:
            found.lost.append(
                f"{what}: venue order {order['orderId']} ({cid}) recorded as "
                f"{intent['order_id']} (state {intent['state']})"
            )
        if Decimal(intent["executed_qty"]) != Decimal(order["executedQty"]):
            found.mismatches.append(
                f"{what}: executed {intent['executed_qty']} on the desk, "
                f"{order['executedQty']} on the venue"
            )
    found.unknown += [
        f"external order recorded by the desk: {c!r}" for c in desk["external_orders"]
    ]
    per_algo_id = Counter(a["clientAlgoId"] for a in venue["algo_orders"])
    for algo in venue["algo_orders"]:
        if algo["clientAlgoId"] not in backstops:
            found.unknown.append(
                f"algo order {algo['algoId']} {algo['clientAlgoId']!r}: not a backstop of the desk"
            )
    found.duplicated += [
        f"backstop {c}: {n} algo orders on the venue" for c, n in per_algo_id.items() if n > 1
    ]
    for backstop in desk["backstops"]:
        fired = backstop["status"] == "TRIGGERED"
        if fired and backstop["client_algo_id"] not in on_venue:
            found.lost.append(f"backstop {backstop['client_algo_id']} TRIGGERED, no fired order")
        if fired and backstop["intent_id"] is None:
            found.lost.append(f"backstop {backstop['client_algo_id']} fired, close not recorded")


# --- the income ledger: equal to the venue's income history, row for row ------------------------
def ledger_check(desk: dict, venue: dict, api: dict, found: Findings) -> None:
    as_of_ms = iso_ms(api["dashboard"]["all"]["as_of"])

    def key(tran_id: int, kind: str) -> tuple[int, str]:
        return int(tran_id), kind

    ours: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for row in desk["ledger"]:
        ours[key(row["tran_id"], row["income_type"])].append(row)
    theirs = {key(r["tranId"], r["incomeType"]): r for r in venue["income"]}
    for k, rows in ours.items():
        if len(rows) > 1:
            found.duplicated.append(f"income row {k}: {len(rows)} times in the ledger")
        if k not in theirs:
            found.mismatches.append(f"income row {k} in the ledger, not on the venue")
            continue
        mine, venue_row = rows[0], theirs[k]
        expected = (
            Decimal(venue_row["income"]),
            venue_row["symbol"],
            int(venue_row["time"]),
            str(venue_row.get("tradeId") or ""),
        )
        got = (
            Decimal(mine["amount"]),
            mine["symbol"],
            int(mine["time_ms"]),
            str(mine["trade_id"] or ""),
        )
        if got != expected:
            found.mismatches.append(f"income row {k}: ledger {got}, venue {expected}")
    for k, row in theirs.items():
        if k in ours:
            continue
        if row["time"] <= as_of_ms:
            found.lost.append(
                f"income row {k} {row['symbol']} {row['income']} "
                f"(time {row['time']} <= as_of {as_of_ms}) not in the ledger"
            )
        else:
            found.mismatches.append(
                f"income row {k} after the final poll's as_of: "
                "the final poll did not see a quiet venue"
            )


# --- positions: the desk's intents add up to the venue's positions -------------------------------
def positions_check(evidence: dict, found: Findings) -> None:
    moments = [
        (
            "final",
            evidence["desk"]["ledger_amounts"],
            evidence["desk"]["positions"],
            _venue_amounts(evidence["venue"]["positions"]),
        )
    ]
    halted = evidence.get("halted")
    if halted:
        moments.insert(
            0,
            (
                "halted",
                halted["ledger_amounts"],
                halted["positions"],
                _venue_amounts(halted["venue_positions"]),
            ),
        )
    for moment, ledger, positions, venue in moments:
        ledger = {s: Decimal(a) for s, a in ledger.items()}
        positions = {s: Decimal(a) for s, a in positions.items()}
        if ledger != venue:
            found.mismatches.append(
                f"positions ({moment}): intents add up to {ledger}, the venue holds {venue}"
            )
        if positions != venue:
            found.mismatches.append(
                f"positions ({moment}): the desk's positions {positions}, the venue holds {venue}"
            )


def _venue_amounts(positions: list[dict]) -> dict[str, Decimal]:
    return {p["symbol"]: Decimal(p["positionAmt"]) for p in positions if Decimal(p["positionAmt"])}


# --- every dashboard figure against its recomputation from the venue ------------------------------
def figures_check(venue: dict, api: dict, days: int, found: Findings) -> None:
    income, account, positions = venue["income"], venue["account"], venue["positions"]
    boards = api["dashboard"]
    as_of_ms = iso_ms(boards["all"]["as_of"])
    for window, board in boards.items():
        if board["status"] != "ok":
            found.mismatches.append(
                f"dashboard {window}: status {board['status']}: {board['message']}"
            )
        span = WINDOW_MS[window]
        start_ms = as_of_ms - span if span else None
        expected = expected_board(income, account, positions, as_of_ms=as_of_ms, start_ms=start_ms)
        got_start = iso_ms(board["window_start"]) if board["window_start"] else None
        _same(found, f"{window} window_start", got_start, start_ms)
        _same(found, f"{window} as_of", iso_ms(board["as_of"]), as_of_ms)
        got = {row["symbol"]: row for row in board["symbols"]}
        _same(found, f"{window} symbols", sorted(got), sorted(expected["symbols"]))
        for symbol, fields in expected["symbols"].items():
            for name, value in fields.items():
                _same(found, f"{window} {symbol} {name}", got.get(symbol, {}).get(name), value)
        for name, value in expected["totals"].items():
            _same(found, f"{window} totals.{name}", board["totals"].get(name), value)
        for name in ("best_performer", "best_reward", "avg_reward"):
            _same(found, f"{window} {name}", board.get(name), expected[name])
    daily = expected_daily(income, as_of_ms=as_of_ms, days=days)
    _same(found, "daily days", [d["date"] for d in api["daily"]], [d["date"] for d in daily])
    for got_day, day in zip(api["daily"], daily, strict=False):
        for name, value in day.items():
            _same(found, f"daily {day['date']} {name}", got_day.get(name), value)
    last = api["equity"][-1] if api["equity"] else {}
    _same(
        found,
        "equity last wallet_balance",
        last.get("wallet_balance"),
        q8(Decimal(account["totalWalletBalance"])),
    )
    _same(
        found, "equity last equity", last.get("equity"), q8(Decimal(account["totalMarginBalance"]))
    )
    whole = expected_board(income, account, positions, as_of_ms=as_of_ms, start_ms=None)
    base = Decimal(account["totalWalletBalance"]) - sum(
        (
            Decimal(r["income"])
            for r in income
            if r["incomeType"] != "TRANSFER" and r["time"] <= as_of_ms
        ),
        Decimal(0),
    )
    for symbol, points in api["history"].items():
        fields = whole["symbols"].get(symbol)
        if fields is None:
            continue
        point = points[-1] if points else {}
        realized = Decimal(fields["realized_pnl"])
        unrealized = Decimal(fields["unrealized_pnl"])
        _same(found, f"history {symbol} last realized_pnl", point.get("realized_pnl"), q8(realized))
        _same(
            found,
            f"history {symbol} last unrealized_pnl",
            point.get("unrealized_pnl"),
            q8(unrealized),
        )
        _same(
            found,
            f"history {symbol} last total_pnl",
            point.get("total_pnl"),
            q8(realized + unrealized),
        )
        u_pct = Decimal(fields["unrealized_pct"])
        _same(
            found,
            f"history {symbol} last reward",
            point.get("reward"),
            q8(u_pct + pct(realized, base)),
        )


def _same(found: Findings, what: str, got: Any, expected: Any) -> None:
    if got != expected:
        found.mismatches.append(f"figure {what}: dashboard {got!r}, from the venue {expected!r}")


# --- the stack's own health over the run ---------------------------------------------------------
def stack_failures(
    *, locked: list[str], loop: dict[str, int] | None, not_back: list[str], stuck: list[str]
) -> list[str]:
    out = [f'"database is locked" in the stack\'s output: {line}' for line in locked[:20]]
    if len(locked) > 20:
        out.append(f'... and {len(locked) - 20} more "database is locked" lines')
    if loop is None:
        # without the bookkeeping the skips cannot be judged, and a check that cannot be made
        # is not a check passed
        out.append(
            "no loop bookkeeping (quantum:ops:loop:quantum.trading.run_cycle): "
            "cycles run / skipped unknown"
        )
    elif loop.get("max_skips_in_a_row", 0) > 2:
        out.append(f"a trading cycle was skipped {loop['max_skips_in_a_row']} times in a row")
    out += [f"{name} did not come back after a kill" for name in not_back]
    return out + stuck
