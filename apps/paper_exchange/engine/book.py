"""The venue's order book: price levels one tick apart around the price path, each as deep as a
seeded draw makes it, refreshed at every 5-second point of the path. What the venue publishes
(`depth`, `bookTicker`, the `@bookTicker` stream) is what it fills against: a taker walks the
levels from the touch, and what it took stays taken until the book refreshes at the next point.

Level k of a side (k = 0 at the touch: bid = last, ask = last + one tick) holds
`base x (1 + k / 8) x (0.5 + u)` rounded down to the step (at least one step), where `base` is
the symbol's touch depth and u in [0, 1) is a hash of (seed, symbol, point, side, k): the same
seed and clock give the same book, and so the same fills, every run.

The venue's own resting LIMIT orders (every account's) sit in the same levels: a level
publishes the seeded quantity left plus the remaining quantity of the orders at its price, and
a taker from another account takes those orders first (oldest first; the seeded quantity is
drawn anew at every point, the orders keep their place), then the seeded quantity. A taker
passes over its own account's orders (they stay published)."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from ..market import POINT_MS
from ..symbols import SYMBOLS, SymbolSpec

if TYPE_CHECKING:
    from ..market import Market
    from .models import Account, Order

# Notional (USDT) near the touch, per symbol: the order of Binance's top-of-book on each.
TOUCH_NOTIONAL = {
    "BTCUSDT": 300_000,
    "ETHUSDT": 200_000,
    "SOLUSDT": 60_000,
    "BNBUSDT": 40_000,
    "XRPUSDT": 50_000,
}
MASK = (1 << 64) - 1
BIDS, ASKS = 0, 1
ZERO = Decimal(0)
# A fill: (price, quantity, the venue's resting order it filled against, None for the seeded).
Fill = tuple[Decimal, Decimal, "Order | None"]


def _mix(x: int) -> float:
    """splitmix64's finaliser: a well-spread, stable (unlike hash()) draw in [0, 1)."""
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return (x ^ (x >> 31)) / 2.0**64


def _base_steps(spec: SymbolSpec) -> int:
    notional = Decimal(TOUCH_NOTIONAL.get(spec.symbol, 50_000))
    return max(1, int(notional / spec.start_price / spec.step_size))


class Book:
    """Levels of every symbol at a time `t`, less what takers took since the point began, with
    the accounts' resting limits in them."""

    def __init__(self, market: Market, accounts: Mapping[int, Account] | None = None) -> None:
        self.market = market
        self.seed = market.seed
        self.accounts: Mapping[int, Account] = accounts if accounts is not None else {}
        self._base = {s: _base_steps(spec) for s, spec in SYMBOLS.items()}
        self._salt = {s: zlib.crc32(s.encode()) for s in SYMBOLS}
        # (symbol, side) -> (the point it belongs to, price -> quantity taken at that price)
        self._taken: dict[tuple[str, int], tuple[int, dict[Decimal, Decimal]]] = {}

    def _qty(self, symbol: str, point: int, side: int, k: int) -> Decimal:
        u = _mix(
            self.seed * 0x100000001B3
            ^ self._salt[symbol] << 20
            ^ point * 0x2545F4914F6CDD1D
            ^ (k << 1 | side) * 0x9E3779B97F4A7C15
        )
        steps = max(1, int(self._base[symbol] * (1 + k / 8) * (0.5 + u)))
        return SYMBOLS[symbol].step_size * steps

    def _taken_now(self, symbol: str, side: int, point: int) -> dict[Decimal, Decimal]:
        held = self._taken.get((symbol, side))
        return held[1] if held and held[0] == point else {}

    def _seeded(self, symbol: str, side: int, t: int) -> Iterator[tuple[Decimal, Decimal]]:
        """(price, seeded quantity left, possibly 0) from the touch outwards; endless on the
        ask side, down to one tick on the bid side."""
        tick = SYMBOLS[symbol].tick_size
        last = self.market.last(symbol, t)
        point = t // POINT_MS
        taken = self._taken_now(symbol, side, point)
        k = 0
        while True:
            price = last + (k + 1) * tick if side == ASKS else last - k * tick
            if price <= 0:
                return
            qty = self._qty(symbol, point, side, k)
            if taken:
                qty -= taken.get(price, ZERO)
            yield price, max(qty, ZERO)
            k += 1

    def _resting(self, symbol: str, side: int, skip_account: int | None) -> list[Order]:
        """The accounts' open orders on `side`, best price first, then oldest first."""
        want = "BUY" if side == BIDS else "SELL"
        orders = [
            o
            for acc in self.accounts.values()
            if acc.id != skip_account
            for o in acc.open_orders.values()
            if o.symbol == symbol and o.side == want and o.remaining > 0
        ]
        orders.sort(key=lambda o: (-o.price if side == BIDS else o.price, o.order_id))
        return orders

    def _levels(
        self, symbol: str, side: int, t: int, skip_account: int | None = None
    ) -> Iterator[tuple[Decimal, Decimal, list[Order]]]:
        """(price, seeded quantity left, resting orders there) from the best price outwards: the
        seeded levels merged with the resting orders' prices (an order priced better than the
        touch, which the clock loop fills at its next point, is a level of its own)."""
        resting = self._resting(symbol, side, skip_account)
        i = 0
        for price, seeded in self._seeded(symbol, side, t):
            while i < len(resting) and (
                resting[i].price > price if side == BIDS else resting[i].price < price
            ):
                at, group = resting[i].price, []
                while i < len(resting) and resting[i].price == at:
                    group.append(resting[i])
                    i += 1
                yield at, ZERO, group
            group = []
            while i < len(resting) and resting[i].price == price:
                group.append(resting[i])
                i += 1
            if seeded > 0 or group:
                yield price, seeded, group

    def levels(self, symbol: str, side: int, t: int) -> Iterator[tuple[Decimal, Decimal]]:
        """(price, quantity) as published: the seeded quantity left plus the resting orders'."""
        for price, seeded, group in self._levels(symbol, side, t):
            yield price, seeded + sum((o.remaining for o in group), ZERO)

    def top(self, symbol: str, side: int, t: int) -> tuple[Decimal, Decimal]:
        """The best level of a side: (price, quantity)."""
        return next(self.levels(symbol, side, t))

    def best(self, symbol: str, t: int) -> tuple[Decimal, Decimal]:
        """(bid, ask): the touch prices."""
        return self.top(symbol, BIDS, t)[0], self.top(symbol, ASKS, t)[0]

    def depth(self, symbol: str, side: int, t: int, limit: int) -> list[tuple[Decimal, Decimal]]:
        out = []
        for level in self.levels(symbol, side, t):
            out.append(level)
            if len(out) == limit:
                break
        return out

    def take(
        self,
        symbol: str,
        taker_side: str,
        qty: Decimal,
        t: int,
        *,
        account_id: int,
        maker_qty: Callable[[Order], Decimal],
        limit: Decimal | None = None,
        all_or_none: bool = False,
    ) -> list[Fill]:
        """A taker's fills, level by level from the touch, up to `qty` and (for a limit) no
        worse than `limit`: at each level the other accounts' orders first (as much of each as
        `maker_qty` allows: a reduce-only one no more than its position), then the seeded
        quantity, which is taken out of the book. `all_or_none` (FOK): nothing unless all of
        `qty` fills within the limit. The caller books the makers' side of each order fill."""
        side = ASKS if taker_side == "BUY" else BIDS
        fills: list[Fill] = []
        left = qty
        for price, seeded, group in self._levels(symbol, side, t, skip_account=account_id):
            if limit is not None and (price > limit if side == ASKS else price < limit):
                break
            for order in group:
                part = min(left, maker_qty(order))
                if part > 0:
                    fills.append((price, part, order))
                    left -= part
                if left == 0:
                    break
            if left > 0 and seeded > 0:
                part = min(left, seeded)
                fills.append((price, part, None))
                left -= part
            if left == 0:
                break
        if all_or_none and left > 0:
            return []
        point = t // POINT_MS
        taken = self._taken_now(symbol, side, point)
        if not taken:
            taken = {}
            self._taken[(symbol, side)] = (point, taken)
        for price, part, maker in fills:
            if maker is None:
                taken[price] = taken.get(price, ZERO) + part
        return fills
