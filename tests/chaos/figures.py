"""Every dashboard figure recomputed from the venue's own records (its /fapi/v1/income rows and
/fapi/v2/account), following docs/figures.md word by word, never through apps.pnl: so a desk
that lost, doubled or misread a row, or a figure computed wrongly, shows up as a difference."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

E8 = Decimal("0.00000001")
ZERO = Decimal(0)
WINDOW_MS = {"all": None, "24h": 86_400_000, "7d": 7 * 86_400_000}
TRADING = ("REALIZED_PNL", "COMMISSION", "FUNDING_FEE")


def q8(value: Decimal) -> str:
    return format(value.quantize(E8, rounding=ROUND_HALF_EVEN), "f")


def pct(part: Decimal, whole: Decimal) -> Decimal:
    """A percentage with 8 places; 0 when the denominator is zero or negative."""
    return Decimal(q8(part / whole * 100)) if whole > 0 else ZERO


def iso_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _day(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).date()


def expected_board(
    income: list[dict], account: dict, positions: list[dict], *, as_of_ms: int, start_ms: int | None
) -> dict[str, Any]:
    """The /api/rl-dashboard/ answer of one window, from the venue's payloads."""
    rows = [
        r for r in income if r["time"] <= as_of_ms and (start_ms is None or r["time"] >= start_ms)
    ]
    per: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"REALIZED_PNL": ZERO, "COMMISSION": ZERO, "FUNDING_FEE": ZERO, "trades": 0}
    )
    for r in rows:
        if r["incomeType"] in TRADING and r["symbol"]:
            per[r["symbol"]][r["incomeType"]] += Decimal(r["income"])
            per[r["symbol"]]["trades"] += r["incomeType"] == "REALIZED_PNL"
    held = {p["symbol"]: p for p in positions}
    for symbol in held:
        per[symbol]  # noqa: B018 - a held symbol is listed even without income in the window
    wallet = Decimal(account["totalWalletBalance"])
    base = wallet - sum((Decimal(r["income"]) for r in rows if r["incomeType"] != "TRANSFER"), ZERO)
    symbols = {}
    for symbol, s in sorted(per.items()):
        p = held.get(symbol)
        amt = Decimal(p["positionAmt"]) if p else ZERO
        unrealized = Decimal(p["unrealizedProfit"]) if p else ZERO
        margin = Decimal(p["positionInitialMargin"]) if p else ZERO
        entry = Decimal(p["entryPrice"]) if p else ZERO
        mark = entry + unrealized / amt if p else ZERO
        u_pct, r_pct = pct(unrealized, margin), pct(s["REALIZED_PNL"], base)
        symbols[symbol] = {
            "side": ("LONG" if amt > 0 else "SHORT") if p else "",
            "position_size": format(amt.normalize(), "f") if p else "0",
            "entry_price": q8(entry),
            "mark_price": q8(mark),
            "leverage": int(p["leverage"]) if p else 0,
            "notional": q8(amt * mark),
            "initial_margin": q8(margin),
            "unrealized_pnl": q8(unrealized),
            "unrealized_pct": q8(u_pct),
            "realized_pnl": q8(s["REALIZED_PNL"]),
            "realized_pct": q8(r_pct),
            "total_pnl": q8(s["REALIZED_PNL"] + unrealized),
            "realized_trades": s["trades"],
            "commission": q8(s["COMMISSION"]),
            "funding": q8(s["FUNDING_FEE"]),
            "reward": q8(u_pct + r_pct),
        }
    total = {
        f: sum((Decimal(v[f]) for v in symbols.values()), ZERO)
        for f in ("realized_pnl", "unrealized_pnl", "commission", "funding", "initial_margin")
    }
    rewards = {name: Decimal(v["reward"]) for name, v in symbols.items()}
    best = min(rewards, key=lambda n: (-rewards[n], n)) if rewards else None
    return {
        "window_start_ms": start_ms,
        "symbols": symbols,
        "best_performer": best,
        "best_reward": q8(rewards[best]) if best else None,
        "avg_reward": q8(sum(rewards.values()) / len(rewards)) if rewards else None,
        "totals": {
            "wallet_balance": q8(wallet),
            "equity": q8(Decimal(account["totalMarginBalance"])),
            "available_balance": q8(Decimal(account["availableBalance"])),
            **{f: q8(v) for f, v in total.items()},
            "total_pnl": q8(total["realized_pnl"] + total["unrealized_pnl"]),
            "net_pnl": q8(total["realized_pnl"] + total["commission"] + total["funding"]),
            "realized_trades": sum(v["realized_trades"] for v in symbols.values()),
        },
    }


def expected_daily(income: list[dict], *, as_of_ms: int, days: int) -> list[dict]:
    """GET /api/pnl/daily/: per UTC day of the venue's clock, the last `days` days, oldest
    first; rows that carry a symbol; days without income listed with zeros."""
    last = _day(as_of_ms)
    out = {last - timedelta(days=days - 1 - n): defaultdict(Decimal) for n in range(days)}
    for r in income:
        day = _day(r["time"])
        if day in out and r["incomeType"] in TRADING and r["symbol"]:
            out[day][r["incomeType"]] += Decimal(r["income"])
            out[day]["trades"] += r["incomeType"] == "REALIZED_PNL"
    return [
        {
            "date": day.isoformat(),
            "realized_pnl": q8(b["REALIZED_PNL"]),
            "commission": q8(b["COMMISSION"]),
            "funding": q8(b["FUNDING_FEE"]),
            "net_pnl": q8(b["REALIZED_PNL"] + b["COMMISSION"] + b["FUNDING_FEE"]),
            "trades": int(b["trades"]),
        }
        for day, b in out.items()
    ]


def days_spanned(income: list[dict], as_of_ms: int) -> int:
    """How many days of /api/pnl/daily/ cover every income row up to as_of."""
    first = min((r["time"] for r in income), default=as_of_ms)
    return (_day(as_of_ms) - _day(first)).days + 1
