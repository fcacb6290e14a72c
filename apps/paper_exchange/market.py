"""Prices: a seeded regime-switching random walk per symbol, or a replay of Binance kline CSVs.

The path is defined by minute closes, generated sequentially from a stored genesis minute, and
12 intra-minute points (every 5 s) drawn from a Brownian bridge seeded by (seed, symbol, minute).
The price at any instant is the linear interpolation of those points, so klines, the live price
and the triggers evaluated between two ticks of the engine all see the same path, and a restart
with the same seed and genesis reproduces it exactly.

A path is dimensionless: its points are multipliers of the path's Decimal `scale` (the symbol's
start price, or a replay's first open). Random draws and exponentials are floats on those
multipliers; a price is `scale x multiplier`, computed in Decimal and rounded to the symbol's
tick, before any account sees it.
"""

from __future__ import annotations

import csv
import io
import math
import random
import threading
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from .symbols import SYMBOLS, SymbolSpec

MINUTE_MS = 60_000
POINT_MS = 5_000
# The key of a symbol's mark shifts among the price shifts (`set_price` with a mark).
MARK_SHIFT = ":mark"
POINTS = MINUTE_MS // POINT_MS
FUNDING_INTERVAL_MS = 8 * 3600 * 1000
HISTORY_MINUTES = 3 * 1440
FUNDING_RATE_CAP = Decimal("0.0075")

# Per-minute log-return drift and volatility of each regime, before the symbol's vol_scale.
REGIMES: dict[str, tuple[float, float]] = {
    "trend_up": (0.00012, 0.0007),
    "trend_down": (-0.00012, 0.0007),
    "range": (0.0, 0.0005),
    "volatile": (0.0, 0.0020),
}
REGIME_MEAN_MINUTES = 360
JUMP_PROBABILITY = 0.0007


@dataclass(frozen=True)
class Bar:
    open_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def row(self, spec: SymbolSpec, close_ms: int) -> list[object]:
        mid = (self.high + self.low) / 2
        quote = self.volume * mid
        taker_base = (self.volume * Decimal("0.5")).quantize(spec.step_size)
        return [
            self.open_ms,
            spec.fmt_price(self.open),
            spec.fmt_price(self.high),
            spec.fmt_price(self.low),
            spec.fmt_price(self.close),
            spec.fmt_qty(self.volume),
            close_ms,
            f"{quote.quantize(Decimal('0.0001'))}",
            max(1, int(self.volume / spec.step_size) // 7 % 5000 + 1),
            spec.fmt_qty(taker_base),
            f"{(taker_base * mid).quantize(Decimal('0.0001'))}",
            "0",
        ]


class GeneratedPath:
    """Minute closes of one symbol, extended on demand from the genesis minute."""

    def __init__(self, *, seed: int, spec: SymbolSpec, genesis_minute: int) -> None:
        self.seed = seed
        self.spec = spec
        self.genesis = genesis_minute
        self._rng = random.Random(f"{seed}:{spec.symbol}:path")
        self.scale: Decimal = spec.start_price
        start = math.exp(self._rng.uniform(-0.05, 0.05))
        self._closes: list[float] = [start]
        self._regimes: list[str] = ["range"]
        self._sigmas: list[float] = [REGIMES["range"][1] * spec.vol_scale]
        self._anchor = start
        self._regime = "range"

    def _extend(self, minute: int) -> None:
        rng = self._rng
        scale = self.spec.vol_scale
        while self.genesis + len(self._closes) - 1 < minute:
            if rng.random() < 1 / REGIME_MEAN_MINUTES:
                self._regime = rng.choice([r for r in REGIMES if r != self._regime])
                self._anchor = self._closes[-1]
            drift, sigma = REGIMES[self._regime]
            sigma *= scale
            last = self._closes[-1]
            if self._regime == "range":
                drift = -0.02 * math.log(last / self._anchor)
            step = drift + sigma * rng.gauss(0.0, 1.0)
            jump_p = JUMP_PROBABILITY * (3 if self._regime == "volatile" else 1)
            if rng.random() < jump_p:
                step += rng.choice((-1, 1)) * abs(rng.gauss(0.02, 0.01)) * scale
            self._closes.append(last * math.exp(step))
            self._regimes.append(self._regime)
            self._sigmas.append(sigma)

    def close(self, minute: int) -> float:
        if minute < self.genesis:
            return self._closes[0]
        self._extend(minute)
        return self._closes[minute - self.genesis]

    def regime(self, minute: int) -> str:
        self.close(minute)
        return self._regimes[max(0, minute - self.genesis)]

    def points(self, minute: int) -> list[float]:
        """The 13 prices at the 5 s marks of `minute` (first = previous close, last = close)."""
        start, end = self.close(minute - 1), self.close(minute)
        sigma = self._sigmas[max(0, minute - self.genesis)] / math.sqrt(POINTS)
        rng = random.Random(f"{self.seed}:{self.spec.symbol}:{minute}")
        walk = [0.0]
        for _ in range(POINTS):
            walk.append(walk[-1] + rng.gauss(0.0, sigma))
        total = walk[-1]
        log_ratio = math.log(end / start)
        return [
            start * math.exp(log_ratio * k / POINTS + walk[k] - total * k / POINTS)
            for k in range(POINTS + 1)
        ]

    def volume_weight(self, minute: int) -> float:
        return random.Random(f"{self.seed}:{self.spec.symbol}:{minute}:v").uniform(0.4, 1.6)


class ReplayPath:
    """Minute bars read from Binance public-data kline files (`SYMBOL-1m-*.csv` or `.zip`)."""

    def __init__(
        self,
        *,
        spec: SymbolSpec,
        bars: dict[int, tuple[float, float, float, float]],
        scale: Decimal,
    ):
        self.spec = spec
        self.scale = scale
        self._bars = bars
        self.genesis = min(bars)
        self.last = max(bars)

    def _bar(self, minute: int) -> tuple[float, float, float, float]:
        minute = min(max(minute, self.genesis), self.last)
        while minute not in self._bars:
            minute -= 1
        return self._bars[minute]

    def close(self, minute: int) -> float:
        if minute > self.last:
            return self._bar(self.last)[3]
        return self._bar(minute)[3]

    def regime(self, minute: int) -> str:
        return "replay"

    def points(self, minute: int) -> list[float]:
        if minute > self.last or minute < self.genesis:
            return [self.close(minute)] * (POINTS + 1)
        o, h, lo, c = self._bar(minute)
        # The order of the extremes is unknown in a kline: assume the wick against the close
        # came first, which is the pessimistic path for stops.
        first, second = (lo, h) if c >= o else (h, lo)
        marks = [(0, o), (4, first), (8, second), (POINTS, c)]
        out: list[float] = []
        for k in range(POINTS + 1):
            for (k0, p0), (k1, p1) in zip(marks, marks[1:], strict=False):
                if k0 <= k <= k1:
                    out.append(p0 + (p1 - p0) * (k - k0) / (k1 - k0))
                    break
        return out

    def volume_weight(self, minute: int) -> float:
        return 1.0


def load_replay(directory: Path) -> dict[str, ReplayPath]:
    paths: dict[str, dict[int, tuple[Decimal, Decimal, Decimal, Decimal]]] = {}
    for file in sorted(directory.iterdir()):
        symbol = file.name.split("-", 1)[0].upper()
        if symbol not in SYMBOLS or "-1m-" not in file.name:
            continue
        if file.suffix == ".zip":
            with zipfile.ZipFile(file) as archive:
                texts = [archive.read(n).decode() for n in archive.namelist()]
        elif file.suffix == ".csv":
            texts = [file.read_text()]
        else:
            continue
        bars = paths.setdefault(symbol, {})
        for text in texts:
            for row in csv.reader(io.StringIO(text)):
                if not row or not row[0].strip().isdigit():
                    continue  # newer files carry a header row
                open_ms = int(row[0])
                if open_ms > 10**14:  # 2025+ spot files are in microseconds
                    open_ms //= 1000
                bars[open_ms // MINUTE_MS] = tuple(Decimal(v) for v in row[1:5])  # type: ignore[assignment]
    return {s: _replay_path(SYMBOLS[s], b) for s, b in paths.items() if b}


def _replay_path(spec: SymbolSpec, bars: dict[int, tuple[Decimal, ...]]) -> ReplayPath:
    """Prices as multipliers of the first bar's open (see the module's docstring)."""
    scale = bars[min(bars)][0]
    ratios = {m: tuple(float(p / scale) for p in bar) for m, bar in bars.items()}
    return ReplayPath(spec=spec, bars=ratios, scale=scale)  # type: ignore[arg-type]


class Market:
    """Prices of every listed symbol as Decimals on the exchange clock."""

    def __init__(
        self,
        *,
        seed: int,
        genesis_ms: int,
        replay: dict[str, ReplayPath] | None = None,
        shifts: dict[str, list[tuple[int, str]]] | None = None,
    ) -> None:
        self.seed = seed
        self.genesis_ms = genesis_ms
        self._lock = threading.RLock()
        genesis_minute = genesis_ms // MINUTE_MS
        self.paths: dict[str, GeneratedPath | ReplayPath] = {}
        for symbol, spec in SYMBOLS.items():
            if replay and symbol in replay:
                self.paths[symbol] = replay[symbol]
            else:
                self.paths[symbol] = GeneratedPath(
                    seed=seed, spec=spec, genesis_minute=genesis_minute
                )
        self.shifts: dict[str, list[tuple[int, Decimal]]] = {
            s: [(t, Decimal(f)) for t, f in v] for s, v in (shifts or {}).items()
        }
        self._points: dict[tuple[str, int], list[float]] = {}
        self._bars: dict[tuple[str, int], Bar] = {}

    # --- raw path ----------------------------------------------------------------------------
    def _minute_points(self, symbol: str, minute: int) -> list[float]:
        key = (symbol, minute)
        pts = self._points.get(key)
        if pts is None:
            if len(self._points) > 4096:
                self._points.clear()
            pts = self.paths[symbol].points(minute)
            self._points[key] = pts
        return pts

    def _factor(self, symbol: str, t_ms: int) -> Decimal:
        factor = Decimal(1)
        for since, f in self.shifts.get(symbol, ()):
            if since <= t_ms:
                factor = f
        return factor

    def _raw(self, symbol: str, t_ms: int) -> float:
        minute, rest = divmod(t_ms, MINUTE_MS)
        pts = self._minute_points(symbol, minute)
        k, frac = divmod(rest, POINT_MS)
        return pts[k] + (pts[k + 1] - pts[k]) * frac / POINT_MS

    def _dec(self, symbol: str, value: float, t_ms: int) -> Decimal:
        return self._round(SYMBOLS[symbol], value, self._scale(symbol, t_ms))

    def _scale(self, symbol: str, t_ms: int) -> Decimal:
        """Price per unit of the path: its scale, times any shift set_price made."""
        return self.paths[symbol].scale * self._factor(symbol, t_ms)

    # --- public ------------------------------------------------------------------------------
    def last(self, symbol: str, t_ms: int) -> Decimal:
        with self._lock:
            return self._dec(symbol, self._raw(symbol, t_ms), t_ms)

    def premium(self, symbol: str, t_ms: int) -> Decimal:
        phase = (sum(map(ord, symbol)) + self.seed) % 628 / 100
        wave = math.sin(2 * math.pi * t_ms / FUNDING_INTERVAL_MS / 3 + phase)
        return Decimal(repr(round(0.0002 * wave, 8)))

    def mark(self, symbol: str, t_ms: int) -> Decimal:
        spec = SYMBOLS[symbol]
        fair = self.last(symbol, t_ms) * (1 + self.premium(symbol, t_ms))
        return spec.round_price(fair * self._factor(symbol + MARK_SHIFT, t_ms))

    def index(self, symbol: str, t_ms: int) -> Decimal:
        spec = SYMBOLS[symbol]
        return spec.round_price(self.last(symbol, t_ms) * (1 + self.premium(symbol, t_ms) / 2))

    def funding_rate(self, symbol: str, funding_ms: int) -> Decimal:
        """The rate settled at `funding_ms` (deterministic; 0.01 % plus the premium's sign)."""
        rng = random.Random(f"{self.seed}:{symbol}:funding:{funding_ms}")
        noise = Decimal(repr(round(rng.uniform(-5e-5, 5e-5), 8)))
        rate = Decimal("0.0001") + self.premium(symbol, funding_ms - 1) + noise
        return min(max(rate, -FUNDING_RATE_CAP), FUNDING_RATE_CAP)

    def regime(self, symbol: str, t_ms: int) -> str:
        with self._lock:
            return self.paths[symbol].regime(t_ms // MINUTE_MS)

    def set_price(
        self, symbol: str, t_ms: int, price: Decimal, mark: Decimal | None = None
    ) -> None:
        """Shift the path so the last price is `price` from `t_ms` on (tests and drills), and
        the mark `mark` (a mark apart from the last price: triggers, price protection), or back
        to the last price plus the premium when `mark` is None."""
        with self._lock:
            raw = Decimal(repr(self._raw(symbol, t_ms))) * self.paths[symbol].scale
            self.shifts.setdefault(symbol, []).append((t_ms, price / raw))
            self._bars = {k: v for k, v in self._bars.items() if k[0] != symbol}
            marks = self.shifts.setdefault(symbol + MARK_SHIFT, [])
            if mark is not None:
                fair = self.last(symbol, t_ms) * (1 + self.premium(symbol, t_ms))
                marks.append((t_ms, mark / fair))
            elif marks:
                marks.append((t_ms, Decimal(1)))

    def shifts_doc(self) -> dict[str, list[tuple[int, str]]]:
        return {s: [(t, str(f)) for t, f in v] for s, v in self.shifts.items()}

    def grid(self, t0_ms: int, t1_ms: int) -> list[int]:
        """The 5 s marks in (t0, t1], then t1: where a tick evaluates triggers between runs."""
        first = (t0_ms // POINT_MS + 1) * POINT_MS
        marks = list(range(first, t1_ms + 1, POINT_MS))
        if not marks or marks[-1] != t1_ms:
            marks.append(t1_ms)
        return marks

    def bar(self, symbol: str, minute: int, now_ms: int) -> Bar:
        """The 1m bar of `minute`; the current minute is partial, up to `now_ms`."""
        spec = SYMBOLS[symbol]
        open_ms = minute * MINUTE_MS
        complete = open_ms + MINUTE_MS <= now_ms
        key = (symbol, minute)
        cached = self._bars.get(key)
        if cached is not None:
            return cached
        with self._lock:
            bars = self._bars  # set_price replaces it: a bar of the old path must not go in
            pts = self._minute_points(symbol, minute)
            if not complete:
                upto = (now_ms - open_ms) // POINT_MS
                pts = pts[: upto + 1] + [self._raw(symbol, now_ms)]
            weight = self.paths[symbol].volume_weight(minute)
            factor = self._scale(symbol, open_ms)
        # Extremes on floats, one Decimal conversion each: klines of days must stay cheap.
        open_, close = (self._round(spec, p, factor) for p in (pts[0], pts[-1]))
        high = self._round(spec, max(pts), factor)
        low = self._round(spec, min(pts), factor)
        move = abs(pts[-1] / pts[0] - 1)
        share = 1.0 if complete else (now_ms - open_ms) / MINUTE_MS
        notional = 2_000_000 * weight * (1 + 200 * move) * share
        volume = (Decimal(repr(round(notional, 2))) / close).quantize(spec.step_size)
        bar = Bar(
            open_ms=open_ms,
            open=open_,
            high=max(high, open_, close),
            low=min(low, open_, close),
            close=close,
            volume=volume,
        )
        if complete:
            with self._lock:
                if bars is self._bars:
                    if len(bars) > 500_000:
                        bars.clear()
                    bars[key] = bar
        return bar

    @staticmethod
    def _round(spec: SymbolSpec, value: float, factor: Decimal) -> Decimal:
        return max(spec.round_price(Decimal(repr(value)) * factor), spec.tick_size)
