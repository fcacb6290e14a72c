"""Reads of the PnL context: every dashboard figure, computed once here (docs/figures.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Sum

from apps.core.memo import Memo
from apps.core.money import HUNDRED, ZERO, from_e8, q8
from apps.core.timeutil import DAY_MS, from_ms, to_ms, utcnow
from apps.exchange.models import ExchangeAccount
from apps.exchange.reports import MarkReport
from apps.market.selectors import mark_entries, marks_from_entries
from apps.pnl.models import (
    AccountSnapshot,
    IncomeDay,
    IncomeRow,
    LedgerCheck,
    LedgerVersion,
    PositionSnapshot,
)

WINDOWS: dict[str, timedelta | None] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "all": None,
}
REALIZED, COMMISSION, FUNDING, TRANSFER = "REALIZED_PNL", "COMMISSION", "FUNDING_FEE", "TRANSFER"
TRADING_TYPES = (REALIZED, COMMISSION, FUNDING)
EPOCH = date(1970, 1, 1)


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return q8(part / whole * HUNDRED) if whole > 0 else ZERO


def utc_day(day_index: int) -> date:
    """The UTC date of day `day_index` since the epoch (a ledger row's is time_ms // DAY_MS)."""
    return EPOCH + timedelta(days=day_index)


def income_sums(
    *, account: ExchangeAccount, start_ms: int | None, end_ms: int
) -> dict[tuple[str, str], tuple[int, int]]:
    """Σ amount_e8 and the number of ledger rows per (symbol, income_type) over the rows with
    `start_ms <= time_ms <= end_ms` (`start_ms` None: from the first row); keys without rows are
    left out. Exact, in integers: the IncomeDay rollups of the window's days, corrected with raw
    rows at the two edges (docs/figures.md, "How the sums are read"):
    - the last day's part after `end_ms` is subtracted (rows after the last poll's `as_of`:
      usually none);
    - the first day's part before `start_ms` is subtracted, or, when that is the larger half of
      the day, the first day is left out and the window's part of it is added instead.
    So no more than half a day of raw rows is read at the start, whatever the window."""
    last = end_ms // DAY_MS
    first: int | None = None
    add: list[tuple[int, int]] = []
    subtract: list[tuple[int, int]] = []
    if start_ms is not None:
        first, offset = divmod(start_ms, DAY_MS)
        if offset * 2 > DAY_MS and first < last:
            add.append((start_ms, (first + 1) * DAY_MS - 1))
            first += 1
        elif offset:
            subtract.append((first * DAY_MS, start_ms - 1))
    if end_ms < (last + 1) * DAY_MS - 1:
        subtract.append((end_ms + 1, (last + 1) * DAY_MS - 1))
    days = IncomeDay.objects.filter(account=account, day__lte=utc_day(last))
    if first is not None:
        days = days.filter(day__gte=utc_day(first))
    parts = [(1, days.values("symbol", "income_type").annotate(n=Sum("row_count")))]
    for sign, spans in ((1, add), (-1, subtract)):
        for lo, hi in spans:
            rows = IncomeRow.objects.filter(account=account, time_ms__gte=lo, time_ms__lte=hi)
            parts.append((sign, rows.values("symbol", "income_type").annotate(n=Count("id"))))
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for sign, grouped in parts:
        for row in grouped.annotate(e8=Sum("amount_e8")):
            total = sums[(row["symbol"], row["income_type"])]
            total[0] += sign * (row["e8"] or 0)
            total[1] += sign * row["n"]
    return {key: (e8, n) for key, (e8, n) in sums.items() if n}


def snapshot_latest(*, account: ExchangeAccount) -> AccountSnapshot | None:
    return AccountSnapshot.objects.filter(account=account).order_by("-exchange_time", "-id").first()


@dataclass
class SymbolFigures:
    symbol: str
    side: str = ""
    position_size: Decimal = ZERO
    entry_price: Decimal = ZERO
    mark_price: Decimal = ZERO
    leverage: int = 0
    notional: Decimal = ZERO
    initial_margin: Decimal = ZERO
    unrealized_pnl: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    commission: Decimal = ZERO
    funding: Decimal = ZERO
    realized_trades: int = 0
    unrealized_pct: Decimal = ZERO
    realized_pct: Decimal = ZERO

    @property
    def total_pnl(self) -> Decimal:
        return self.realized_pnl + self.unrealized_pnl

    @property
    def reward(self) -> Decimal:
        return self.unrealized_pct + self.realized_pct


@dataclass
class Figures:
    account: ExchangeAccount | None
    window: str
    snapshot: AccountSnapshot | None
    window_start: datetime | None
    base: Decimal  # the realized_pct denominator (docs/figures.md)
    symbols: list[SymbolFigures]

    @property
    def as_of(self) -> datetime | None:
        return self.snapshot.exchange_time if self.snapshot else None

    def total(self, name: str) -> Decimal:
        return sum((getattr(s, name) for s in self.symbols), ZERO)

    @property
    def realized_trades(self) -> int:
        return sum(s.realized_trades for s in self.symbols)


def figures_compute(
    *, account: ExchangeAccount | None, window: str, snapshot: AccountSnapshot | None = None
) -> Figures:
    """Every figure of one account over one window, as of its last successful poll (or of
    `snapshot`, when the caller has read it already)."""
    if snapshot is None:
        snapshot = snapshot_latest(account=account) if account else None
    if snapshot is None:
        return Figures(account, window, None, None, ZERO, [])
    as_of_ms = to_ms(snapshot.exchange_time)
    span = WINDOWS[window]
    start_ms = as_of_ms - int(span.total_seconds() * 1000) if span else None
    grouped = income_sums(account=account, start_ms=start_ms, end_ms=as_of_ms)
    by_symbol: dict[str, SymbolFigures] = {}
    non_transfer_e8 = 0
    for (symbol, income_type), (total, n) in grouped.items():
        if income_type != TRANSFER:
            non_transfer_e8 += total
        if income_type not in TRADING_TYPES or not symbol:
            continue
        fig = by_symbol.setdefault(symbol, SymbolFigures(symbol=symbol))
        amount = from_e8(total)
        if income_type == REALIZED:
            fig.realized_pnl, fig.realized_trades = amount, n
        elif income_type == COMMISSION:
            fig.commission = amount
        else:
            fig.funding = amount
    for pos in snapshot.positions.all():
        fig = by_symbol.setdefault(pos.symbol, SymbolFigures(symbol=pos.symbol))
        fig.side = "LONG" if pos.position_amt > 0 else "SHORT"
        fig.position_size = pos.position_amt
        fig.entry_price = pos.entry_price
        fig.mark_price = pos.mark_price
        fig.leverage = pos.leverage
        fig.notional = pos.notional
        fig.initial_margin = pos.initial_margin
        fig.unrealized_pnl = pos.unrealized_pnl
    # Wallet at the window's start plus the net transfers made during it (docs/figures.md).
    base = snapshot.wallet_balance - from_e8(non_transfer_e8)
    for fig in by_symbol.values():
        fig.unrealized_pct = _pct(fig.unrealized_pnl, fig.initial_margin)
        fig.realized_pct = _pct(fig.realized_pnl, base)
    symbols = sorted(by_symbol.values(), key=lambda f: f.symbol)
    window_start = from_ms(start_ms) if start_ms is not None else None
    return Figures(account, window, snapshot, window_start, base, symbols)


def ledger_version(*, account: ExchangeAccount) -> int | None:
    return LedgerVersion.objects.filter(account=account).values_list("version", flat=True).first()


# --- what the API answers: typed data; apps.pnl.api.serializers renders it (docs/pnl.md) ----------


@dataclass(frozen=True)
class Totals:
    wallet_balance: Decimal
    equity: Decimal  # the margin balance
    available_balance: Decimal
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    commission: Decimal
    funding: Decimal
    realized_trades: int
    initial_margin: Decimal

    @property
    def total_pnl(self) -> Decimal:
        return self.realized_pnl + self.unrealized_pnl

    @property
    def net_pnl(self) -> Decimal:
        return self.realized_pnl + self.commission + self.funding


@dataclass(frozen=True)
class Board:
    """The figures of one dashboard answer: a function of the snapshot and the ledger only, so
    it is what the cache keeps (plain data: it is pickled into the shared Redis cache)."""

    window: str
    window_start: datetime | None
    as_of: datetime | None
    symbols: list[SymbolFigures]
    best_performer: str | None
    best_reward: Decimal | None
    avg_reward: Decimal | None
    totals: Totals
    # the newest live mark the open positions were re-marked at, when newer than the snapshot
    marks_as_of: datetime | None = None

    @property
    def symbols_tracked(self) -> int:
        return len(self.symbols)


@dataclass(frozen=True)
class Dashboard:
    status: str  # "ok", "no_data" or "stale"
    message: str
    poll_age_seconds: int | None
    board: Board  # the API answer is these three fields and the board's, flat
    # What the board is a function of (its cache key and the marks applied): equal keys, equal
    # boards, so its rendering can be kept per key. None: not to be kept (no poll yet).
    board_key: tuple | None = None


# Bumped whenever Board's shape changes: a pickle of the old shape in the shared cache must not
# meet the new code during a rolling restart.
BOARD_CACHE_SHAPE = 2

# Per process, in front of the shared cache: the board unpickled, and the board re-marked at a
# set of marks. Both are functions of their keys, so they are never stale (apps.core.memo).
_boards: Memo[Board] = Memo(32)
_boards_marked: Memo[Board] = Memo(64)


def dashboard_get(*, account: ExchangeAccount | None, window: str) -> Dashboard:
    """GET /api/rl-dashboard/: the shape the frontend builds against (docs/pnl.md).

    The figures are a function of the latest snapshot and the ledger (windows end at the
    snapshot's time), so they are computed once per (snapshot, ledger version) and reused by
    every request (of every web worker: the cache is Redis) until a poll changes either; only
    the poll's age and the status it implies are computed per request. The version is read
    before the figures: a page committed in between can only make a stored answer newer than
    its key, never older."""
    snapshot = snapshot_latest(account=account) if account else None
    board, key = board_get(account=account, window=window, snapshot=snapshot)
    # Marks move every second, the snapshot every poll: the cached board is re-marked per request
    # (once per set of marks: every request of that second gets the same board).
    open_symbols = [f.symbol for f in board.symbols if f.position_size != 0]
    if open_symbols:
        entries = mark_entries(symbols=open_symbols)
        unmarked = board

        def remark() -> Board:
            marks = marks_from_entries(symbols=open_symbols, entries=entries)
            return board_marked(board=unmarked, marks=marks)

        if key is None:
            board = remark()
        else:
            key = (key, entries)
            board = _boards_marked.get_or_compute(key, remark)
    now = utcnow()
    age = int((now - snapshot.taken_at).total_seconds()) if snapshot else None
    if snapshot is None:
        status, message = (
            "no_data",
            (
                "No exchange account is active."
                if account is None
                else f"No successful poll of account {account.name} yet."
            ),
        )
    elif age is not None and age > settings.PNL_STALE_SECONDS:
        status, message = "stale", f"Last successful poll {age} s ago: figures may be out of date."
    else:
        status = "ok"
        message = f"Tracking {board.symbols_tracked} symbol(s) of account {account.name}."
    return Dashboard(
        status=status, message=message, poll_age_seconds=age, board=board, board_key=key
    )


def board_get(
    *, account: ExchangeAccount | None, window: str, snapshot: AccountSnapshot | None
) -> tuple[Board, str | None]:
    """The dashboard's figures as of `snapshot`, from the cache when a request or a poll has
    computed them for this snapshot and ledger version already; with the key they are kept
    under (None: not kept, as there is no poll yet)."""
    version = ledger_version(account=account) if snapshot is not None else None
    key = None
    if snapshot is not None and version is not None:
        stamp = snapshot.taken_at.timestamp()
        key = (
            f"pnl:dashboard:{BOARD_CACHE_SHAPE}:{account.id}:{window}:{snapshot.id}:{stamp}:"
            f"{version}"
        )
    if key is None:
        return _board_compute(account=account, window=window, snapshot=snapshot), None
    board = _boards.get(key)
    if board is None:
        board = cache.get(key)
        if board is None:
            board = _board_compute(account=account, window=window, snapshot=snapshot)
            cache.set(key, board, timeout=settings.PNL_DASHBOARD_CACHE_SECONDS)
        _boards.put(key, board)
    return board, key


def _board_compute(
    *, account: ExchangeAccount | None, window: str, snapshot: AccountSnapshot | None
) -> Board:
    figures = figures_compute(account=account, window=window, snapshot=snapshot)
    snapshot = figures.snapshot
    totals = Totals(
        wallet_balance=snapshot.wallet_balance if snapshot else ZERO,
        equity=snapshot.margin_balance if snapshot else ZERO,
        available_balance=snapshot.available_balance if snapshot else ZERO,
        unrealized_pnl=figures.total("unrealized_pnl"),
        realized_pnl=figures.total("realized_pnl"),
        commission=figures.total("commission"),
        funding=figures.total("funding"),
        realized_trades=figures.realized_trades,
        initial_margin=figures.total("initial_margin"),
    )
    return _board_from(
        window=window,
        window_start=figures.window_start,
        as_of=figures.as_of,
        symbols=figures.symbols,
        totals=totals,
        marks_as_of=None,
    )


def _board_from(
    *,
    window: str,
    window_start: datetime | None,
    as_of: datetime | None,
    symbols: list[SymbolFigures],
    totals: Totals,
    marks_as_of: datetime | None,
) -> Board:
    rewards = [(f.reward, f.symbol) for f in symbols]
    # Highest reward; ties go to the alphabetically first symbol, so the answer is stable.
    best = min(rewards, key=lambda r: (-r[0], r[1])) if rewards else None
    avg = q8(sum((r for r, _ in rewards), ZERO) / len(rewards)) if rewards else None
    return Board(
        window=window,
        window_start=window_start,
        as_of=as_of,
        symbols=symbols,
        best_performer=best[1] if best else None,
        best_reward=best[0] if best else None,
        avg_reward=avg,
        totals=totals,
        marks_as_of=marks_as_of,
    )


def board_marked(*, board: Board, marks: dict[str, MarkReport]) -> Board:
    """The board with each open position re-marked at the symbol's latest mark, where that mark
    is newer than the snapshot the board was computed from (docs/figures.md, "live marks").

    Binance's own definitions on the new mark: unrealized PnL = amount x (mark - entry),
    notional = amount x mark, initial margin = |notional| / leverage; the equity moves by the
    change in unrealized PnL. The ledger's figures (realized, commission, funding, the wallet)
    stay the poll's: only the 15 s poll writes the ledger."""
    if board.as_of is None:
        return board
    as_of_ms = to_ms(board.as_of)
    symbols, newest_ms = [], None
    for fig in board.symbols:
        mark = marks.get(fig.symbol)
        if fig.position_size == 0 or mark is None or mark.time_ms <= as_of_ms:
            symbols.append(fig)
            continue
        notional = fig.position_size * mark.mark_price
        initial_margin = abs(notional) / fig.leverage if fig.leverage else fig.initial_margin
        unrealized = fig.position_size * (mark.mark_price - fig.entry_price)
        symbols.append(
            replace(
                fig,
                mark_price=mark.mark_price,
                notional=notional,
                initial_margin=initial_margin,
                unrealized_pnl=unrealized,
                unrealized_pct=_pct(unrealized, initial_margin),
            )
        )
        newest_ms = max(newest_ms or 0, mark.time_ms)
    if newest_ms is None:
        return board
    unrealized = sum((f.unrealized_pnl for f in symbols), ZERO)
    totals = replace(
        board.totals,
        unrealized_pnl=unrealized,
        equity=board.totals.equity + unrealized - board.totals.unrealized_pnl,
        initial_margin=sum((f.initial_margin for f in symbols), ZERO),
    )
    return _board_from(
        window=board.window,
        window_start=board.window_start,
        as_of=board.as_of,
        symbols=symbols,
        totals=totals,
        marks_as_of=from_ms(newest_ms),
    )


@dataclass(frozen=True)
class HistoryPoint:
    time: datetime
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    reward: Decimal

    @property
    def total_pnl(self) -> Decimal:
        return self.realized_pnl + self.unrealized_pnl


@dataclass(frozen=True)
class History:
    symbol: str
    points: list[HistoryPoint]


def history_get(*, account: ExchangeAccount | None, symbol: str, window: str) -> History:
    """GET /api/rl-dashboard/history/{symbol}/: one point per stored snapshot in the window."""
    symbol = symbol.upper()
    figures = figures_compute(account=account, window=window)
    if figures.snapshot is None:
        return History(symbol=symbol, points=[])
    snapshots = AccountSnapshot.objects.filter(
        account=account, exchange_time__lte=figures.snapshot.exchange_time
    )
    realized_rows = IncomeRow.objects.filter(
        account=account,
        symbol=symbol,
        income_type=REALIZED,
        time_ms__lte=to_ms(figures.snapshot.exchange_time),
    )
    if figures.window_start is not None:
        snapshots = snapshots.filter(exchange_time__gte=figures.window_start)
        realized_rows = realized_rows.filter(time_ms__gte=to_ms(figures.window_start))
    snaps = list(snapshots.order_by("exchange_time", "id").values("id", "exchange_time"))
    positions = {
        p["snapshot_id"]: p
        for p in PositionSnapshot.objects.filter(
            snapshot_id__in=[s["id"] for s in snaps], symbol=symbol
        ).values("snapshot_id", "unrealized_pnl", "initial_margin")
    }
    events = list(realized_rows.order_by("time_ms", "tran_id").values_list("time_ms", "amount_e8"))
    points, cum_e8, i = [], 0, 0
    for snap in snaps:
        t_ms = to_ms(snap["exchange_time"])
        while i < len(events) and events[i][0] <= t_ms:
            cum_e8 += events[i][1]
            i += 1
        pos = positions.get(snap["id"])
        unrealized = pos["unrealized_pnl"] if pos else ZERO
        realized = from_e8(cum_e8)
        reward = (_pct(unrealized, pos["initial_margin"]) if pos else ZERO) + _pct(
            realized, figures.base
        )
        points.append(
            HistoryPoint(
                time=snap["exchange_time"],
                unrealized_pnl=unrealized,
                realized_pnl=realized,
                reward=reward,
            )
        )
    return History(symbol=symbol, points=points)


@dataclass(frozen=True)
class Day:
    date: date
    realized_pnl: Decimal
    commission: Decimal
    funding: Decimal
    trades: int

    @property
    def net_pnl(self) -> Decimal:
        return self.realized_pnl + self.commission + self.funding


def daily_get(*, account: ExchangeAccount | None, days: int) -> list[Day]:
    """GET /api/pnl/daily/: per UTC day (exchange time), the last `days` days, oldest first."""
    snapshot = snapshot_latest(account=account) if account else None
    last_day: date = (snapshot.exchange_time if snapshot else utcnow()).date()
    first_day = last_day - timedelta(days=days - 1)
    out = {first_day + timedelta(days=n): defaultdict(int) for n in range(days)}
    if account is not None:
        # Whole days: the IncomeDay rollups are the answer (the last day's rows after the
        # last poll's time count in it, as they always have).
        grouped = (
            IncomeDay.objects.filter(
                account=account,
                day__gte=first_day,
                day__lte=last_day,
                income_type__in=TRADING_TYPES,
            )
            .exclude(symbol="")
            .values("day", "income_type")
            .annotate(total=Sum("amount_e8"), n=Sum("row_count"))
        )
        for row in grouped:
            bucket = out[row["day"]]
            bucket[row["income_type"]] += row["total"] or 0
            if row["income_type"] == REALIZED:
                bucket["trades"] += row["n"]
    return [
        Day(
            date=day,
            realized_pnl=from_e8(bucket[REALIZED]),
            commission=from_e8(bucket[COMMISSION]),
            funding=from_e8(bucket[FUNDING]),
            trades=bucket["trades"],
        )
        for day, bucket in out.items()
    ]


@dataclass(frozen=True)
class EquityPoint:
    time: datetime
    wallet_balance: Decimal
    equity: Decimal  # the margin balance


def equity_get(*, account: ExchangeAccount | None, window: str) -> list[EquityPoint]:
    """GET /api/pnl/equity/: wallet balance and equity (margin balance) per stored snapshot."""
    snapshot = snapshot_latest(account=account) if account else None
    if snapshot is None:
        return []
    rows = AccountSnapshot.objects.filter(
        account=account, exchange_time__lte=snapshot.exchange_time
    )
    span = WINDOWS[window]
    if span is not None:
        rows = rows.filter(exchange_time__gte=snapshot.exchange_time - span)
    return [
        EquityPoint(
            time=r["exchange_time"], wallet_balance=r["wallet_balance"], equity=r["margin_balance"]
        )
        for r in rows.order_by("exchange_time", "id").values(
            "exchange_time", "wallet_balance", "margin_balance"
        )
    ]


@dataclass(frozen=True)
class LedgerCheckState:
    """The last check against the exchange (services.ledger_verify) and how old it is."""

    status: str  # "match", "differs" or "never" (no completed check yet)
    age_seconds: int | None  # since the last completed check, desk clock
    interval_seconds: int  # how often it runs: an age well past this is an old answer
    check: LedgerCheck  # unsaved and empty when the account was never checked


def ledger_check_get(*, account: ExchangeAccount | None) -> LedgerCheckState:
    check = LedgerCheck.objects.filter(account=account).first() if account else None
    check = check or LedgerCheck()
    interval = settings.PNL_VERIFY_INTERVAL_SECONDS
    if check.checked_at is None:  # never checked, or only failed checks so far
        return LedgerCheckState("never", None, interval, check)
    age = max(0, int((utcnow() - check.checked_at).total_seconds()))
    return LedgerCheckState(check.status, age, interval, check)
