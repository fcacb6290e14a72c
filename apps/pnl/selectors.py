"""Reads of the PnL context: every dashboard figure, computed once here (docs/figures.md)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, OuterRef, Subquery, Sum

from apps.core.memo import Memo
from apps.core.money import HUNDRED, ZERO, from_e8, money8_str, q8
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
    # the account the row belongs to: an aggregate of several accounts lists each one's rows
    account_id: int = 0
    account_name: str = ""
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


def _symbol_new(account: ExchangeAccount | None, symbol: str) -> SymbolFigures:
    if account is None:
        return SymbolFigures(symbol=symbol)
    return SymbolFigures(symbol=symbol, account_id=account.id, account_name=account.name)


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
        fig = by_symbol.setdefault(symbol, _symbol_new(account, symbol))
        amount = from_e8(total)
        if income_type == REALIZED:
            fig.realized_pnl, fig.realized_trades = amount, n
        elif income_type == COMMISSION:
            fig.commission = amount
        else:
            fig.funding = amount
    for pos in snapshot.positions.all():
        fig = by_symbol.setdefault(pos.symbol, _symbol_new(account, pos.symbol))
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
    best_performer_account: str | None = None  # the account of best_performer's row

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
BOARD_CACHE_SHAPE = 3

# Per process, in front of the shared cache: the board unpickled, and the board re-marked at a
# set of marks. Both are functions of their keys, so they are never stale (apps.core.memo).
_boards: Memo[Board] = Memo(32)
_boards_marked: Memo[Board] = Memo(64)


def dashboard_get(*, account: ExchangeAccount | None, window: str) -> Dashboard:
    """GET /api/rl-dashboard/?account=<id>: the shape the frontend builds against (docs/pnl.md).

    The figures are a function of the latest snapshot and the ledger (windows end at the
    snapshot's time), so they are computed once per (snapshot, ledger version) and reused by
    every request (of every web worker: the cache is Redis) until a poll changes either; only
    the poll's age and the status it implies are computed per request. The version is read
    before the figures: a page committed in between can only make a stored answer newer than
    its key, never older."""
    snapshot = snapshot_latest(account=account) if account else None
    return _dashboard_one(account=account, window=window, snapshot=snapshot, version=UNREAD)


class _Unread:
    """A ledger version not read yet (None is a read: the account has no ledger version)."""


UNREAD = _Unread()


def _dashboard_one(
    *,
    account: ExchangeAccount | None,
    window: str,
    snapshot: AccountSnapshot | None,
    version: int | None | _Unread,
) -> Dashboard:
    board, key = board_get(account=account, window=window, snapshot=snapshot, version=version)
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
    *,
    account: ExchangeAccount | None,
    window: str,
    snapshot: AccountSnapshot | None,
    version: int | None | _Unread = UNREAD,
) -> tuple[Board, str | None]:
    """The dashboard's figures as of `snapshot`, from the cache when a request or a poll has
    computed them for this snapshot and ledger version already; with the key they are kept
    under (None: not kept, as there is no poll yet)."""
    if isinstance(version, _Unread):
        version = ledger_version(account=account) if snapshot is not None else None
    key = None
    if snapshot is not None and version is not None:
        stamp = snapshot.taken_at.timestamp()
        # the rows carry the account's name: a rename must not be answered from the old key
        name = hashlib.blake2s(account.name.encode(), digest_size=6).hexdigest()
        key = (
            f"pnl:dashboard:{BOARD_CACHE_SHAPE}:{account.id}.{name}:{window}:{snapshot.id}:"
            f"{stamp}:{version}"
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
    rewards = [(f.reward, f.symbol, f.account_name) for f in symbols]
    # Highest reward; ties go to the alphabetically first symbol (then account), so the answer
    # is stable.
    best = min(rewards, key=lambda r: (-r[0], r[1], r[2])) if rewards else None
    avg = q8(sum((r[0] for r in rewards), ZERO) / len(rewards)) if rewards else None
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
        best_performer_account=best[2] if best else None,
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
    return _days(accounts=[account] if account else [], last_day=last_day, days=days)


def _days(*, accounts: list[ExchangeAccount], last_day: date, days: int) -> list[Day]:
    first_day = last_day - timedelta(days=days - 1)
    out = {first_day + timedelta(days=n): defaultdict(int) for n in range(days)}
    if accounts:
        # Whole days: the IncomeDay rollups are the answer (the last day's rows after the
        # last poll's time count in it, as they always have).
        grouped = (
            IncomeDay.objects.filter(
                account__in=accounts,
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
    if account is not None:
        # named, so that the rows of several accounts can be listed together (never saved)
        check.positions = [{**p, "account": account.name} for p in check.positions]
        check.differences = [{**d, "account": account.name} for d in check.differences]
    interval = settings.PNL_VERIFY_INTERVAL_SECONDS
    if check.checked_at is None:  # never checked, or only failed checks so far
        return LedgerCheckState("never", None, interval, check)
    age = max(0, int((utcnow() - check.checked_at).total_seconds()))
    return LedgerCheckState(check.status, age, interval, check)


# --- every active account at once (?account=all, the default; docs/figures.md, "All accounts") ---


def snapshots_latest(
    *, accounts: list[ExchangeAccount], before: datetime | None = None
) -> dict[int, AccountSnapshot]:
    """Each account's latest snapshot (taken before `before`, when given; accounts without one
    are left out), in two queries whatever the number of accounts."""
    latest = AccountSnapshot.objects.filter(account=OuterRef("pk"))
    if before is not None:
        latest = latest.filter(exchange_time__lt=before)
    latest = latest.order_by("-exchange_time", "-id").values("id")[:1]
    ids = (
        ExchangeAccount.objects.filter(id__in=[a.id for a in accounts])
        .annotate(snapshot_id=Subquery(latest))
        .values_list("snapshot_id", flat=True)
    )
    snapshots = AccountSnapshot.objects.in_bulk([i for i in ids if i is not None])
    return {s.account_id: s for s in snapshots.values()}


def ledger_versions(*, accounts: list[ExchangeAccount]) -> dict[int, int]:
    rows = LedgerVersion.objects.filter(account_id__in=[a.id for a in accounts])
    return dict(rows.values_list("account_id", "version"))


# Per process: the aggregate of a set of per-account boards, by their keys (each names its
# account, snapshot, ledger version and marks), so the key names the account set as well.
_boards_all: Memo[Board] = Memo(32)


def dashboard_all_get(*, accounts: list[ExchangeAccount], window: str) -> Dashboard:
    """GET /api/rl-dashboard/ (no account, or account=all): every account's board, each as
    `dashboard_get` answers it (cached, re-marked), then summed: one row per account and
    symbol, the totals the sums of the accounts' totals."""
    if not accounts:
        return _dashboard_one(account=None, window=window, snapshot=None, version=None)
    if len(accounts) == 1:
        return dashboard_get(account=accounts[0], window=window)
    snapshots = snapshots_latest(accounts=accounts)
    versions = ledger_versions(accounts=accounts)
    parts = [
        _dashboard_one(
            account=a, window=window, snapshot=snapshots.get(a.id), version=versions.get(a.id)
        )
        for a in accounts
    ]
    keys: list[Hashable] | None = []
    for account, part in zip(accounts, parts, strict=True):
        if part.board_key is not None:
            keys.append(part.board_key)
        elif account.id not in snapshots:
            keys.append(("no poll", account.id))  # its board is empty whatever else
        else:
            keys = None  # a board that is not a function of a key: the aggregate is not either
            break
    boards = [p.board for p in parts]
    key = ("all", window, tuple(keys)) if keys is not None else None
    if key is None:
        board = boards_combine(window=window, boards=boards)
    else:
        board = _boards_all.get_or_compute(
            key, lambda: boards_combine(window=window, boards=boards)
        )
    status, message, age = _status_all(accounts=accounts, parts=parts, board=board)
    return Dashboard(
        status=status, message=message, poll_age_seconds=age, board=board, board_key=key
    )


def _status_all(
    *, accounts: list[ExchangeAccount], parts: list[Dashboard], board: Board
) -> tuple[str, str, int | None]:
    """The aggregate is as current as its oldest part: its age is the oldest poll's, and one
    account without a poll or with a stale one makes it stale, naming that account."""
    ages = [p.poll_age_seconds for p in parts if p.poll_age_seconds is not None]
    if not ages:
        names = ", ".join(a.name for a in accounts)
        return "no_data", f"No successful poll of any active account yet ({names}).", None
    behind = [
        f"account {a.name} has no successful poll yet"
        if p.poll_age_seconds is None
        else f"account {a.name} last polled {p.poll_age_seconds} s ago"
        for a, p in zip(accounts, parts, strict=True)
        if p.status != "ok"
    ]
    if behind:
        return "stale", "; ".join(behind) + ": the totals leave out or lag it.", max(ages)
    message = (
        f"Tracking {board.symbols_tracked} symbol row(s) of {len(accounts)} accounts "
        f"({', '.join(a.name for a in accounts)})."
    )
    return "ok", message, max(ages)


def boards_combine(*, window: str, boards: list[Board]) -> Board:
    """Several accounts' boards as one (docs/figures.md, "All accounts"): every row kept with
    its account (its percentages are its account's), the totals summed, `as_of` and
    `window_start` the earliest of the accounts' (each account's window ends at its own last
    poll), `marks_as_of` the newest mark applied."""
    polled = [b for b in boards if b.as_of is not None]
    symbols = sorted(
        (f for b in boards for f in b.symbols), key=lambda f: (f.symbol, f.account_name)
    )
    totals = Totals(
        **{
            f.name: sum(
                (getattr(b.totals, f.name) for b in boards[1:]), getattr(boards[0].totals, f.name)
            )
            for f in fields(Totals)
        }
    )
    starts = [b.window_start for b in polled if b.window_start is not None]
    marks = [b.marks_as_of for b in boards if b.marks_as_of is not None]
    return _board_from(
        window=window,
        window_start=min(starts) if starts else None,
        as_of=min(b.as_of for b in polled) if polled else None,
        symbols=symbols,
        totals=totals,
        marks_as_of=max(marks) if marks else None,
    )


def daily_all_get(*, accounts: list[ExchangeAccount], days: int) -> list[Day]:
    """GET /api/pnl/daily/ for every account: per day, the sums over the accounts; the last day
    is the newest of their last polls' days."""
    snapshots = snapshots_latest(accounts=accounts)
    newest = max((s.exchange_time for s in snapshots.values()), default=None)
    return _days(accounts=accounts, last_day=(newest or utcnow()).date(), days=days)


def _series_window(
    *, snapshots: dict[int, AccountSnapshot], window: str
) -> tuple[datetime, datetime | None] | None:
    """An aggregate series' window: it ends at the newest of the accounts' last polls."""
    if not snapshots:
        return None
    end = max(s.exchange_time for s in snapshots.values())
    span = WINDOWS[window]
    return end, (end - span if span is not None else None)


def carried_sums(
    *,
    seeds: dict[int, tuple[Decimal, ...]],
    rows: Iterable[tuple[int, datetime, tuple[Decimal, ...]]],
    width: int,
    interval_ms: int,
) -> list[tuple[datetime, tuple[Decimal, ...]]]:
    """Per interval of `interval_ms` (on the epoch's grid) that holds a row: at its newest row's
    time, the sums over the accounts of each one's latest values at or before that time.
    `rows` are (account id, time, values) in time order; `seeds` each account's values before
    the first row (its last snapshot before the window), so the first point is not partial."""
    current = dict(seeds)
    totals = [sum((v[i] for v in current.values()), ZERO) for i in range(width)]
    points: list[tuple[datetime, tuple[Decimal, ...]]] = []
    bucket, last_time = None, None
    for account_id, time, values in rows:
        b = to_ms(time) // interval_ms
        if bucket is not None and b != bucket:
            points.append((last_time, tuple(totals)))
        old = current.get(account_id)
        for i in range(width):
            totals[i] += values[i] - (old[i] if old else ZERO)
        current[account_id] = values
        bucket, last_time = b, time
    if bucket is not None:
        points.append((last_time, tuple(totals)))
    return points


def _seed_snapshots(
    *, accounts: list[ExchangeAccount], before: datetime | None
) -> list[AccountSnapshot]:
    """Each account's last snapshot before a series' window (none for a window from the start)."""
    if before is None:
        return []
    return list(snapshots_latest(accounts=accounts, before=before).values())


def equity_all_get(*, accounts: list[ExchangeAccount], window: str) -> list[EquityPoint]:
    """GET /api/pnl/equity/ for every account: one point per poll interval that holds a
    snapshot of any account, the sums of every account's latest wallet and margin balance."""
    bounds = _series_window(snapshots=snapshots_latest(accounts=accounts), window=window)
    if bounds is None:
        return []
    end, start = bounds
    rows = AccountSnapshot.objects.filter(account__in=accounts, exchange_time__lte=end)
    if start is not None:
        rows = rows.filter(exchange_time__gte=start)
    seeds = {
        s.account_id: (s.wallet_balance, s.margin_balance)
        for s in _seed_snapshots(accounts=accounts, before=start)
    }
    series = carried_sums(
        seeds=seeds,
        rows=(
            (a, t, (w, m))
            for a, t, w, m in rows.order_by("exchange_time", "id").values_list(
                "account_id", "exchange_time", "wallet_balance", "margin_balance"
            )
        ),
        width=2,
        interval_ms=settings.PNL_POLL_INTERVAL_SECONDS * 1000,
    )
    return [EquityPoint(time=t, wallet_balance=w, equity=m) for t, (w, m) in series]


def history_all_get(*, accounts: list[ExchangeAccount], symbol: str, window: str) -> History:
    """GET /api/rl-dashboard/history/{symbol}/ for every account: one point per poll interval,
    the symbol's unrealized PnL and margin summed over every account's latest snapshot, its
    realized PnL summed over every account's rows since the window's start; the reward from
    those sums and the sum of the accounts' bases (docs/figures.md, "All accounts")."""
    symbol = symbol.upper()
    snapshots = snapshots_latest(accounts=accounts)
    bounds = _series_window(snapshots=snapshots, window=window)
    if bounds is None:
        return History(symbol=symbol, points=[])
    end, start = bounds
    base = sum(
        (
            figures_compute(account=a, window=window, snapshot=snapshots[a.id]).base
            for a in accounts
            if a.id in snapshots
        ),
        ZERO,
    )
    snaps = AccountSnapshot.objects.filter(account__in=accounts, exchange_time__lte=end)
    positions = PositionSnapshot.objects.filter(
        snapshot__account__in=accounts, snapshot__exchange_time__lte=end, symbol=symbol
    )
    realized_rows = IncomeRow.objects.filter(
        account__in=accounts, symbol=symbol, income_type=REALIZED, time_ms__lte=to_ms(end)
    )
    if start is not None:
        snaps = snaps.filter(exchange_time__gte=start)
        positions = positions.filter(snapshot__exchange_time__gte=start)
        realized_rows = realized_rows.filter(time_ms__gte=to_ms(start))
    held = {
        p["snapshot_id"]: (p["unrealized_pnl"], p["initial_margin"])
        for p in positions.values("snapshot_id", "unrealized_pnl", "initial_margin")
    }
    seeds = {}
    for seed in _seed_snapshots(accounts=accounts, before=start):
        pos = seed.positions.filter(symbol=symbol).first()
        seeds[seed.account_id] = (pos.unrealized_pnl, pos.initial_margin) if pos else (ZERO, ZERO)
    series = carried_sums(
        seeds=seeds,
        rows=(
            (a, t, held.get(i, (ZERO, ZERO)))
            for i, a, t in snaps.order_by("exchange_time", "id").values_list(
                "id", "account_id", "exchange_time"
            )
        ),
        width=2,
        interval_ms=settings.PNL_POLL_INTERVAL_SECONDS * 1000,
    )
    events = list(realized_rows.order_by("time_ms", "tran_id").values_list("time_ms", "amount_e8"))
    points, cum_e8, i = [], 0, 0
    for time, (unrealized, margin) in series:
        t_ms = to_ms(time)
        while i < len(events) and events[i][0] <= t_ms:
            cum_e8 += events[i][1]
            i += 1
        realized = from_e8(cum_e8)
        points.append(
            HistoryPoint(
                time=time,
                unrealized_pnl=unrealized,
                realized_pnl=realized,
                reward=_pct(unrealized, margin) + _pct(realized, base),
            )
        )
    return History(symbol=symbol, points=points)


_CHECK_ORDER = {"differs": 0, "never": 1, "match": 2}


def ledger_check_all_get(*, accounts: list[ExchangeAccount]) -> LedgerCheckState:
    """GET /api/pnl/ledger-check/ for every account: the worst status (differs, then never,
    then match), the oldest check's age, the income tallies summed per type, every account's
    positions and differences with its name, its errors prefixed with it."""
    states = [(a, ledger_check_get(account=a)) for a in accounts]
    interval = settings.PNL_VERIFY_INTERVAL_SECONDS
    if not states:
        return LedgerCheckState("never", None, interval, LedgerCheck())
    status = min((s.status for _, s in states), key=_CHECK_ORDER.__getitem__)
    checked = [s.check for _, s in states if s.check.checked_at is not None]
    combined = LedgerCheck(
        status=status if status != "never" else "",
        checked_at=min((c.checked_at for c in checked), default=None),
        since_ms=min((c.since_ms for c in checked if c.since_ms is not None), default=None),
        until_ms=max((c.until_ms for c in checked if c.until_ms is not None), default=None),
        snapshot_time=min(
            (c.snapshot_time for c in checked if c.snapshot_time is not None), default=None
        ),
        income=_income_summed([s.check.income for _, s in states]),
        positions=[p for _, s in states for p in s.check.positions],
        differences=[d for _, s in states for d in s.check.differences],
        unsettled=[f"{u} ({a.name})" for a, s in states for u in s.check.unsettled],
        error="; ".join(f"{a.name}: {s.check.error}" for a, s in states if s.check.error),
        error_at=max((s.check.error_at for _, s in states if s.check.error_at), default=None),
    )
    if status == "never":
        return LedgerCheckState("never", None, interval, combined)
    age = max(s.age_seconds for _, s in states if s.age_seconds is not None)
    return LedgerCheckState(status, age, interval, combined)


def _income_summed(tallies: list[list[dict]]) -> list[dict]:
    counts = ("exchange_count", "ledger_count", "rollup_count")
    sums = ("exchange_sum", "ledger_sum", "rollup_sum")
    by_type: dict[str, dict] = {}
    for tally in tallies:
        for row in tally:
            out = by_type.setdefault(
                row["income_type"],
                {"income_type": row["income_type"], **dict.fromkeys(counts, 0)}
                | dict.fromkeys(sums, ZERO),
            )
            for name in counts:
                out[name] += row[name]
            for name in sums:
                out[name] += Decimal(row[name])
    return [
        {**row, **{name: money8_str(row[name]) for name in sums}}
        for _, row in sorted(by_type.items())
    ]
