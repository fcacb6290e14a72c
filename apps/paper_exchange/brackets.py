"""Binance's notional (leverage) brackets of the listed symbols, and the maths they drive.

Tiers (initial leverage, notional floor and cap, maintenance margin ratio) as Binance published
them for the first five contracts in October 2024; the other 15 share the schedules Binance
gives groups of altcoins (below). `cum` (Binance's "maintenance amount") is derived, not
copied: cum_1 = 0, cum_n = cum_(n-1) + floor_n x (mmr_n - mmr_(n-1)), which makes the
maintenance margin |notional| x mmr - cum continuous across bracket edges, as Binance's is.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Bracket:
    bracket: int
    initial_leverage: int
    floor: Decimal
    cap: Decimal
    mmr: Decimal
    cum: Decimal

    def json(self) -> dict[str, Any]:
        # Binance sends these as JSON numbers, not strings (GET /fapi/v1/leverageBracket).
        return {
            "bracket": self.bracket,
            "initialLeverage": self.initial_leverage,
            "notionalCap": _number(self.cap),
            "notionalFloor": _number(self.floor),
            "maintMarginRatio": _number(self.mmr),
            "cum": _number(self.cum),
        }


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# (initial leverage, notional cap, maintenance margin ratio); each floor is the previous cap.
Tiers = tuple[tuple[int, int, str], ...]

# Binance gives whole groups of contracts one schedule; these are the schedules of the 15
# contracts listed beyond the first five (bench/scale.py's 20 symbols), in the shapes Binance
# published for them in 2024: the largest altcoins at 75x, the younger ones at 50x. A 75x
# schedule is one ladder of (leverage, maintenance margin ratio) with caps per group.
_LADDER_75 = (
    (75, "0.005"),
    (50, "0.0065"),
    (40, "0.01"),
    (25, "0.02"),
    (20, "0.025"),
    (10, "0.05"),
    (5, "0.1"),
    (4, "0.125"),
    (2, "0.25"),
    (1, "0.5"),
)


def _ladder_75(*caps: int) -> Tiers:
    return tuple((lev, cap, mmr) for (lev, mmr), cap in zip(_LADDER_75, caps, strict=True))


_ALT_75_DEEP = _ladder_75(
    10_000, 50_000, 600_000, 1_200_000, 3_000_000, 15_000_000, 30_000_000, 37_500_000,
    75_000_000, 150_000_000,
)  # fmt: skip
_ALT_75 = _ladder_75(
    10_000, 50_000, 500_000, 1_000_000, 2_000_000, 10_000_000, 20_000_000, 25_000_000,
    50_000_000, 100_000_000,
)  # fmt: skip
_ALT_75_THIN = _ladder_75(
    10_000, 50_000, 250_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000, 12_500_000,
    25_000_000, 50_000_000,
)  # fmt: skip
_ALT_50: Tiers = (
    (50, 5_000, "0.01"),
    (25, 50_000, "0.02"),
    (20, 600_000, "0.025"),
    (10, 1_200_000, "0.05"),
    (5, 3_000_000, "0.1"),
    (4, 4_000_000, "0.125"),
    (2, 6_000_000, "0.25"),
    (1, 10_000_000, "0.5"),
)

_TIERS: dict[str, Tiers] = {
    "BTCUSDT": (
        (125, 50_000, "0.004"),
        (100, 600_000, "0.005"),
        (75, 3_000_000, "0.0065"),
        (50, 12_000_000, "0.01"),
        (25, 70_000_000, "0.02"),
        (20, 100_000_000, "0.025"),
        (10, 230_000_000, "0.05"),
        (5, 480_000_000, "0.1"),
        (4, 600_000_000, "0.125"),
        (3, 800_000_000, "0.15"),
        (2, 1_200_000_000, "0.25"),
        (1, 1_800_000_000, "0.5"),
    ),
    "ETHUSDT": (
        (125, 50_000, "0.004"),
        (100, 600_000, "0.005"),
        (75, 3_000_000, "0.0065"),
        (50, 12_000_000, "0.01"),
        (25, 50_000_000, "0.02"),
        (20, 65_000_000, "0.025"),
        (10, 150_000_000, "0.05"),
        (5, 320_000_000, "0.1"),
        (4, 400_000_000, "0.125"),
        (3, 530_000_000, "0.15"),
        (2, 800_000_000, "0.25"),
        (1, 1_200_000_000, "0.5"),
    ),
    "SOLUSDT": (
        (100, 20_000, "0.005"),
        (75, 100_000, "0.0065"),
        (50, 800_000, "0.01"),
        (25, 4_000_000, "0.02"),
        (20, 8_000_000, "0.025"),
        (10, 40_000_000, "0.05"),
        (5, 80_000_000, "0.1"),
        (4, 100_000_000, "0.125"),
        (2, 200_000_000, "0.25"),
        (1, 400_000_000, "0.5"),
    ),
    "BNBUSDT": (
        (75, 10_000, "0.005"),
        (50, 50_000, "0.006"),
        (40, 200_000, "0.01"),
        (25, 1_500_000, "0.02"),
        (20, 3_000_000, "0.025"),
        (10, 15_000_000, "0.05"),
        (5, 30_000_000, "0.1"),
        (4, 37_500_000, "0.125"),
        (2, 75_000_000, "0.25"),
        (1, 150_000_000, "0.5"),
    ),
    "XRPUSDT": (
        (75, 10_000, "0.005"),
        (50, 20_000, "0.0065"),
        (40, 160_000, "0.01"),
        (25, 800_000, "0.02"),
        (20, 1_600_000, "0.025"),
        (10, 8_000_000, "0.05"),
        (5, 16_000_000, "0.1"),
        (4, 20_000_000, "0.125"),
        (2, 40_000_000, "0.25"),
        (1, 80_000_000, "0.5"),
    ),
    "DOGEUSDT": (
        (75, 10_000, "0.005"),
        (50, 50_000, "0.007"),
        (40, 750_000, "0.01"),
        (25, 2_000_000, "0.02"),
        (20, 4_000_000, "0.025"),
        (10, 20_000_000, "0.05"),
        (5, 40_000_000, "0.1"),
        (4, 50_000_000, "0.125"),
        (2, 100_000_000, "0.25"),
        (1, 200_000_000, "0.5"),
    ),
    "ADAUSDT": _ALT_75_DEEP,
    "LINKUSDT": _ALT_75,
    "LTCUSDT": _ALT_75,
    "BCHUSDT": _ALT_75,
    "AVAXUSDT": _ALT_75_THIN,
    "DOTUSDT": _ALT_75_THIN,
    "TRXUSDT": _ALT_75_THIN,
    "NEARUSDT": _ALT_50,
    "ATOMUSDT": _ALT_50,
    "UNIUSDT": _ALT_50,
    "FILUSDT": _ALT_50,
    "APTUSDT": _ALT_50,
    "ARBUSDT": _ALT_50,
    "OPUSDT": _ALT_50,
}


def _build(rows: Tiers) -> tuple[Bracket, ...]:
    out: list[Bracket] = []
    floor, cum, prev_mmr = Decimal(0), Decimal(0), Decimal(0)
    for n, (leverage, cap, mmr_text) in enumerate(rows, start=1):
        mmr = Decimal(mmr_text)
        cum += floor * (mmr - prev_mmr)
        out.append(Bracket(n, leverage, floor, Decimal(cap), mmr, cum))
        floor, prev_mmr = Decimal(cap), mmr
    return tuple(out)


BRACKETS: dict[str, tuple[Bracket, ...]] = {s: _build(rows) for s, rows in _TIERS.items()}


def max_leverage(symbol: str) -> int:
    return BRACKETS[symbol][0].initial_leverage


def max_notional(symbol: str, leverage: int) -> Decimal:
    """The largest position notional this leverage allows: the cap of the last bracket whose
    initial leverage is at least `leverage`."""
    return max(b.cap for b in BRACKETS[symbol] if b.initial_leverage >= leverage)


def bracket_for(symbol: str, notional: Decimal) -> Bracket:
    """The bracket a position of this |notional| falls in (the last one past the top cap)."""
    size = abs(notional)
    for bracket in BRACKETS[symbol]:
        if size < bracket.cap:
            return bracket
    return BRACKETS[symbol][-1]


def maint_margin(symbol: str, notional: Decimal) -> Decimal:
    """Binance's maintenance margin: |notional| x mmr - cum of the position's bracket."""
    if notional == 0:
        return Decimal(0)
    bracket = bracket_for(symbol, notional)
    return abs(notional) * bracket.mmr - bracket.cum


def leverage_bracket_json(symbol: str) -> dict[str, Any]:
    return {"symbol": symbol, "brackets": [b.json() for b in BRACKETS[symbol]]}
