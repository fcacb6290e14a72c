"""Writes of the PnL context: the poll, income ingestion, snapshots, trades, the live state.

How a poll runs, and why it survives crashes, is in docs/pnl.md; every figure is defined once in
docs/figures.md and computed once in apps.pnl.selectors.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Sum

from apps.core import jsoncodec, keys
from apps.core.bulk import bound_cursor, rows_insert, rows_update
from apps.core.money import ZERO, from_e8, money8_str, q8, qty_str
from apps.core.redis import get_redis
from apps.core.timeutil import DAY_MS, from_ms, to_ms, utcnow
from apps.exchange.errors import PayloadError
from apps.exchange.gateway import Gateway, gateway_for
from apps.exchange.models import ExchangeAccount
from apps.exchange.reports import AccountReport, FillReport, IncomeReport, PositionReport
from apps.exchange.selectors import account_default
from apps.pnl import selectors
from apps.pnl.models import (
    AccountSnapshot,
    IncomeCursor,
    IncomeDay,
    IncomeRow,
    LedgerCheck,
    LedgerVersion,
    PollRun,
    PositionSnapshot,
    Trade,
)

logger = logging.getLogger(__name__)

MAX_PAGES_PER_TIMESTAMP = 10_000  # a venue ignoring `page` must not loop us for ever
PUBLISHED_MARKER_TTL = 30 * 86_400
STREAM_MAXLEN = 100_000

# For each trade of a batch, SET its marker and XADD its entry in one atomic step: both happen or
# neither (docs/pnl.md). One script call per batch, not per trade: KEYS[1] the stream, KEYS[2..]
# the trades' markers; ARGV: the marker TTL, MAXLEN, the number of fields of an entry, then each
# trade's fields (name, value, ...) in the order of its marker. Returns how many were appended.
_PUBLISH_ONCE = """
local fields = 2 * tonumber(ARGV[3])
local at, appended = 4, 0
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, at, at + fields - 1))
    appended = appended + 1
  end
  at = at + fields
end
return appended
"""


@dataclass
class IngestResult:
    rows_seen: int = 0
    rows_inserted: int = 0
    pages: int = 0
    cursor_ms: int | None = None


# --- the poll ------------------------------------------------------------------------------------


def account_poll(*, account_id: int, attempt: int = 1) -> PollRun | None:
    """One poll of one account: account state, the income since the cursor, snapshots, closed
    trades to the exit-brain stream, the Redis live state. Idempotent; the caller serialises
    polls of one account (a lock) and retries the retryable errors."""
    account = ExchangeAccount.objects.get(id=account_id)
    if not account.is_active:
        logger.info("pnl poll account=%s skipped: inactive", account.name)
        return None
    _abandoned_runs_close(account=account)
    run = PollRun.objects.create(account=account, started_at=utcnow(), attempt=attempt)
    started = time.perf_counter()
    gateway = gateway_for(account=account)
    try:
        # The venue's clock bounds this poll: income up to it, figures as of it.
        server_ms = gateway.server_time()
        state = gateway.account()
        # Records its pages and rows on `run` with each page's commit (kept on error too).
        income_ingest(account=account, gateway=gateway, until_ms=server_ms, run=run)
        snapshot_store(account=account, state=state, exchange_ms=server_ms)
        enriched = trades_enrich(account=account, gateway=gateway, positions=state.positions)
        run.trades_published = trades_publish(account=account, enriched=enriched)
        live_state_write(account=account)
    except Exception as exc:
        what = (
            "rejected a payload, nothing of it stored"
            if isinstance(exc, PayloadError)
            else "failed"
        )
        logger.error("pnl poll account=%s %s: %s", account.name, what, exc)
        error = f"{type(exc).__name__}: {exc}"
        _run_finish(run, PollRun.Status.ERROR, gateway, started, error=error)
        raise
    _run_finish(run, PollRun.Status.OK, gateway, started)
    return run


def _abandoned_runs_close(*, account: ExchangeAccount) -> None:
    """A run still `running` when a new poll starts lost its worker (SIGKILL, OOM): polls of one
    account never overlap (the caller holds the account's poll lock, a lease that lapses within
    LOCK_LEASE_SECONDS of its holder's death), so no live poll owns it."""
    PollRun.objects.filter(account=account, status=PollRun.Status.RUNNING).update(
        status=PollRun.Status.ABANDONED, finished_at=utcnow(), error="worker lost mid-poll"
    )


def _run_finish(
    run: PollRun,
    status: str,
    gateway: Gateway,
    started: float,
    *,
    error: str = "",
) -> None:
    """Close the run. `pages` and `rows_ingested` are not touched: income_ingest writes them in
    each page's own transaction, so they say what was committed, whatever failed later."""
    run.status = status
    run.error = error[:4000]
    run.finished_at = utcnow()
    run.http_calls = gateway.stats.calls
    run.http_ms = int(gateway.stats.http_seconds * 1000)
    run.duration_ms = int((time.perf_counter() - started) * 1000)
    run.used_weight_1m = gateway.stats.used_weight_1m
    run.save(
        update_fields=[
            "status",
            "error",
            "finished_at",
            "trades_published",
            "http_calls",
            "http_ms",
            "duration_ms",
            "used_weight_1m",
        ]
    )


# --- income ---------------------------------------------------------------------------------------


def income_ingest(
    *, account: ExchangeAccount, gateway: Gateway, until_ms: int, run: PollRun | None = None
) -> IngestResult:
    """Page GET /fapi/v1/income from the durable cursor up to `until_ms`.

    Each page's rows and the cursor move commit in one transaction, so a crash between pages
    loses nothing and the unique (account, tranId, incomeType) key makes re-reads no-ops. The
    next page starts at the last row's time (inclusive); if a whole page shares one
    millisecond, Binance's `page` parameter walks through it.
    """
    settle_ms = settings.PNL_INCOME_SETTLE_SECONDS * 1000
    pause = settings.PNL_INCOME_PAGE_PAUSE_SECONDS
    cursor = IncomeCursor.objects.filter(account=account).first()
    start = cursor.cursor_ms if cursor else until_ms - settings.PNL_INCOME_LOOKBACK_DAYS * DAY_MS
    result = IngestResult(cursor_ms=cursor.cursor_ms if cursor else None)
    # A pause between pages (to spare the venue's weight) rules out requesting ahead.
    pages = income_pages(gateway=gateway, start_ms=start, until_ms=until_ms, prefetch=not pause)
    for page in pages:
        rows = page.rows
        # Rows may be published a little after their time: re-read the settle window.
        new_cursor = min(page.done_before, until_ms - settle_ms)
        with transaction.atomic():
            inserted = income_rows_store(account=account, rows=rows)
            if result.cursor_ms is None or new_cursor > result.cursor_ms:
                IncomeCursor.objects.update_or_create(
                    account=account, defaults={"cursor_ms": new_cursor}
                )
                result.cursor_ms = new_cursor
            if run is not None:
                # The run's progress commits with the page: it never counts a page that
                # rolled back, and never misses one that committed.
                PollRun.objects.filter(id=run.id).update(
                    rows_ingested=result.rows_inserted + inserted, pages=result.pages + 1
                )
        result.rows_seen += len(rows)
        result.rows_inserted += inserted
        result.pages += 1
        if run is not None:
            run.rows_ingested, run.pages = result.rows_inserted, result.pages
        if pause:
            time.sleep(pause)
    return result


@dataclass(frozen=True)
class IncomePage:
    rows: list[IncomeReport]
    # every row with time < done_before (from the first page's start) has been read; rows of
    # a page may be read again on the next one (a continuation starts at the last row's time)
    done_before: int


def income_pages(
    *, gateway: Gateway, start_ms: int, until_ms: int, prefetch: bool = False
) -> Iterator[IncomePage]:
    """GET /fapi/v1/income from `start_ms` to `until_ms` (both inclusive), page by page, in
    request spans of at most PNL_INCOME_MAX_SPAN_DAYS. A full page continues at its last row's
    time (inclusive); a full page whose rows all share one millisecond continues with Binance's
    `page` parameter; a short page ends the span. Rows at a continuation's millisecond come
    twice: the ledger's unique key (ingest) or the reader (ledger_verify) drops them.

    With `prefetch`, the next page is requested (in one helper thread) as soon as this one is
    read, so the venue and the wire work while the caller stores this one. The gateway is
    never used by two threads at once: the caller does not call it while iterating, and the
    request in flight is awaited before this generator ends (closed early included). A
    prefetched page's error surfaces when that page is due, after this one was stored."""
    limit = settings.PNL_INCOME_PAGE_LIMIT
    span_ms = settings.PNL_INCOME_MAX_SPAN_DAYS * DAY_MS

    def span(start: int) -> tuple[int, int, int] | None:  # (start, end, page) of a new span
        return (start, min(start + span_ms - 1, until_ms), 1) if start <= until_ms else None

    def fetch(request: tuple[int, int, int]) -> list[IncomeReport]:
        start, end, page = request
        return gateway.income_page(start_ms=start, end_ms=end, limit=limit, page=page)

    request = span(start_ms)
    pool = ThreadPoolExecutor(1, thread_name_prefix="income-page") if prefetch else None
    try:
        ahead = pool.submit(fetch, request) if pool and request else None
        while request is not None:
            rows = ahead.result() if ahead else fetch(request)
            page_start, end, page_no = request
            full = len(rows) >= limit
            if full and rows[-1].time_ms > page_start:
                request = (rows[-1].time_ms, end, 1)
                done_before = rows[-1].time_ms  # rows at that ms may continue on the next page
            elif full:
                if page_no >= MAX_PAGES_PER_TIMESTAMP:
                    raise PayloadError(f"income: more than {page_no} full pages at {page_start}")
                request = (page_start, end, page_no + 1)
                done_before = page_start
            else:
                request = span(end + 1)
                done_before = end + 1
            ahead = pool.submit(fetch, request) if pool and request else None
            yield IncomePage(rows=rows, done_before=done_before)
    finally:
        if pool:
            pool.shutdown(wait=True)


UNION_CHUNK = 100  # SQLite allows 500 terms in a compound SELECT


def trades_funding(*, account: ExchangeAccount, realized: list[IncomeReport]) -> dict[int, Decimal]:
    """Funding of each new closed trade (by the tranId of its REALIZED_PNL row): the symbol's
    FUNDING_FEE rows after its previous closed trade, up to and including this one. Funding is
    charged per position, not per fill; this gives it to the reduction that follows it, so the
    trades of a symbol add up to its funding, and a position opened and closed whole carries
    exactly its own. Rows are ingested in time order, so those rows are already in the ledger
    (or in this page, stored just before). See docs/figures.md."""
    out: dict[int, Decimal] = {}
    by_symbol: dict[str, list[IncomeReport]] = {}
    for row in realized:
        by_symbol.setdefault(row.symbol, []).append(row)
    if not by_symbol:
        return out
    for rows in by_symbol.values():
        rows.sort(key=lambda r: (r.time_ms, r.tran_id))
    # Two queries per page (per 100 symbols): the previous trade of each symbol, then the
    # funding rows of every symbol's own interval. The page's own trades are not stored yet
    # (they are created after this, in the same transaction).
    previous = _trades_last(
        account, list(by_symbol), max(rows[0].time_ms for rows in by_symbol.values())
    )
    intervals = []
    for symbol, rows in by_symbol.items():
        since = previous.get(symbol)
        if since is not None and since > rows[0].time_ms:  # a late row: its own lookup
            since = Trade.objects.filter(
                account=account, symbol=symbol, time_ms__lte=rows[0].time_ms
            ).aggregate(last=Max("time_ms"))["last"]
        since = -1 if since is None else since
        intervals.append((symbol, since, rows[-1].time_ms))
    fees: dict[str, list[tuple[int, int]]] = {}
    for chunk in range(0, len(intervals), UNION_CHUNK):
        for symbol, time_ms, amount_e8 in _funding_rows(
            account, intervals[chunk : chunk + UNION_CHUNK]
        ):
            fees.setdefault(symbol, []).append((time_ms, amount_e8))
    for charged in fees.values():
        charged.sort()
    for symbol, rows in by_symbol.items():
        charged, i = fees.get(symbol, []), 0
        for row in rows:
            total = 0
            while i < len(charged) and charged[i][0] <= row.time_ms:
                total += charged[i][1]
                i += 1
            out[row.tran_id] = from_e8(total)
    return out


def _trades_last(account: ExchangeAccount, symbols: list[str], until_ms: int) -> dict[str, int]:
    """The time of each symbol's latest trade at or before `until_ms`."""
    if connection.vendor == "postgresql":
        # One index seek per symbol (pnl_trade_symbol_time, backwards, LIMIT 1): the GROUP BY
        # read every trade of those symbols (26 ms a page at 33,000 trades), not yet visible
        # to an index-only scan right after a backlog's inserts.
        qn = connection.ops.quote_name
        time_ms = qn("time_ms")
        sql = (
            f"SELECT q.symbol, t.last FROM unnest(%s::text[]) AS q(symbol) "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT {time_ms} AS last FROM {qn(Trade._meta.db_table)} "
            f"WHERE {qn('account_id')} = %s AND {qn('symbol')} = q.symbol "
            f"AND {time_ms} <= %s ORDER BY {time_ms} DESC LIMIT 1) t"
        )
        with bound_cursor() as cursor:
            cursor.execute(sql, [symbols, account.id, until_ms])
            return dict(cursor.fetchall())
    return dict(
        Trade.objects.filter(account=account, symbol__in=symbols, time_ms__lte=until_ms)
        .values("symbol")
        .annotate(last=Max("time_ms"))
        .values_list("symbol", "last")
    )


def _funding_rows(
    account: ExchangeAccount, intervals: list[tuple[str, int, int]]
) -> list[tuple[str, int, int]]:
    """(symbol, time_ms, amount_e8) of the FUNDING_FEE rows of each (symbol, after, until]:
    one index seek (pnl_income_symbol) per symbol, as one UNION ALL (an OR of the intervals made
    SQLite scan every FUNDING_FEE row of the account). Written as SQL: building a queryset per
    symbol cost more than running the query, at 200 symbols a page."""
    qn = connection.ops.quote_name
    table = qn(IncomeRow._meta.db_table)
    columns = f"{qn('symbol')}, {qn('time_ms')}, {qn('amount_e8')}"
    if connection.vendor == "postgresql":
        # The intervals as arrays joined to the ledger: one statement of four parameters. The
        # UNION ALL below, quoted on the client and planned branch by branch, took 50 ms a page.
        sql = (
            f"SELECT i.{qn('symbol')}, i.{qn('time_ms')}, i.{qn('amount_e8')} "  # noqa: S608
            "FROM unnest(%s::text[], %s::bigint[], %s::bigint[]) AS q(symbol, after, until) "
            f"JOIN {table} i ON i.{qn('account_id')} = %s AND i.{qn('symbol')} = q.symbol "
            f"AND i.{qn('income_type')} = %s AND i.{qn('time_ms')} > q.after "
            f"AND i.{qn('time_ms')} <= q.until"
        )
        symbols, afters, untils = (list(c) for c in zip(*intervals, strict=True))
        with bound_cursor() as cursor:
            cursor.execute(sql, [symbols, afters, untils, account.id, selectors.FUNDING])
            return cursor.fetchall()
    one = (
        f"SELECT {columns} FROM {table} "  # noqa: S608 - identifiers from the model
        f"WHERE {qn('account_id')} = %s AND {qn('symbol')} = %s AND {qn('income_type')} = %s "
        f"AND {qn('time_ms')} > %s AND {qn('time_ms')} <= %s"
    )
    params: list[object] = []
    for symbol, after, until in intervals:
        params += [account.id, symbol, selectors.FUNDING, after, until]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([one] * len(intervals)), params)
        return cursor.fetchall()


INCOME_COLUMNS = (
    "account_id",
    "tran_id",
    "income_type",
    "symbol",
    "amount",
    "amount_e8",
    "asset",
    "info",
    "trade_id",
    "time",
    "time_ms",
    "ingested_at",
)
TRADE_COLUMNS = (
    "account_id",
    "tran_id",
    "trade_id",
    "symbol",
    "time",
    "time_ms",
    "realized_pnl",
    "commission",
    "funding",
    "side",
    "qty",
    "entry_price",
    "exit_price",
    "published_at",
)


@transaction.atomic  # a savepoint in the caller's page transaction: rows and rollups together
def income_rows_store(*, account: ExchangeAccount, rows: list[IncomeReport]) -> int:
    """Insert the rows not yet in the ledger, add them to the daily rollup (IncomeDay), derive
    their closed trades; returns how many were new. Runs inside the caller's transaction, so
    the ledger and its rollup commit together or not at all."""
    page: dict[tuple[int, str], IncomeReport] = {}
    for row in rows:
        page.setdefault((row.tran_id, row.income_type), row)
    if not page:
        return 0
    now = utcnow()
    # The database says which rows are new: ON CONFLICT DO NOTHING skips a row already in the
    # ledger, or one another worker ingesting this account wrote meanwhile (PostgreSQL waits
    # for that worker's transaction, then skips it), and RETURNING names exactly the rows this
    # transaction inserted, so the rollup, the trades and the count take each row once.
    inserted = set(
        rows_insert(
            IncomeRow,
            INCOME_COLUMNS,
            [
                (
                    account.id,
                    r.tran_id,
                    r.income_type,
                    r.symbol,
                    r.amount,
                    r.amount_e8,
                    r.asset,
                    r.info,
                    r.trade_id,
                    from_ms(r.time_ms),
                    r.time_ms,
                    now,
                )
                for r in page.values()
            ],
            conflict="ON CONFLICT DO NOTHING",
            returning=("tran_id", "income_type"),
        )
    )
    new = [r for key, r in page.items() if key in inserted]
    if not new:
        return 0
    income_days_add(account=account, rows=new)
    _ledger_version_bump(account=account)
    realized = [r for r in new if r.income_type == selectors.REALIZED]
    funding = trades_funding(account=account, realized=realized)
    # A trade's commission: the COMMISSION rows of its (symbol, tradeId), whichever page
    # brought them; summed before the trades are inserted, so a new trade carries it at once.
    touched = {
        (r.symbol, r.trade_id)
        for r in new
        if r.trade_id and r.income_type in (selectors.REALIZED, selectors.COMMISSION)
    }
    fees: dict[tuple[str, str], int] = defaultdict(int)
    if touched:
        # Every row of those trades through (account, trade_id), summed here: with the income
        # type or a GROUP BY in the query, SQLite (no ANALYZE) chose an index on the account
        # alone and read the whole ledger for every page.
        for symbol, trade_id, income_type, amount_e8 in IncomeRow.objects.filter(
            account=account, trade_id__in={t for _, t in touched}
        ).values_list("symbol", "trade_id", "income_type", "amount_e8"):
            if income_type == selectors.COMMISSION:
                fees[(symbol, trade_id)] += amount_e8
    rows_insert(
        Trade,
        TRADE_COLUMNS,
        [
            (
                account.id,
                r.tran_id,
                r.trade_id,
                r.symbol,
                from_ms(r.time_ms),
                r.time_ms,
                r.amount,
                from_e8(fees.get((r.symbol, r.trade_id), 0)) if r.trade_id else ZERO,
                funding.get(r.tran_id, ZERO),
                "",
                None,
                None,
                None,
                None,
            )
            for r in realized
        ],
        conflict="ON CONFLICT DO NOTHING",
    )
    # Trades of earlier pages whose COMMISSION rows came on this one (at page boundaries).
    charged = {
        (r.symbol, r.trade_id) for r in new if r.trade_id and r.income_type == selectors.COMMISSION
    }
    if charged:
        # This page's own trades are told apart here, not by the query: a NOT IN of hundreds
        # of tranIds cost PostgreSQL 20 ms a page.
        own = {r.tran_id for r in realized}
        rows_update(
            Trade,
            ("commission",),
            [
                (trade_pk, from_e8(fees[(symbol, trade_id)]))
                for trade_pk, tran_id, symbol, trade_id in Trade.objects.filter(
                    account=account, trade_id__in={t for _, t in charged}
                ).values_list("id", "tran_id", "symbol", "trade_id")
                if tran_id not in own and (symbol, trade_id) in charged
            ],
        )
    return len(new)


def _ledger_version_bump(*, account: ExchangeAccount) -> None:
    """One upsert: an UPDATE then a CREATE raced when two workers stored an account's first
    rows at once (both found no row to update)."""
    version = connection.ops.quote_name("version")
    table = connection.ops.quote_name(LedgerVersion._meta.db_table)
    rows_insert(
        LedgerVersion,
        ("account_id", "version"),
        [(account.id, 1)],
        conflict=f"ON CONFLICT ({connection.ops.quote_name('account_id')}) "
        f"DO UPDATE SET {version} = {table}.{version} + 1",
    )


def income_days_add(*, account: ExchangeAccount, rows: list[IncomeReport]) -> None:
    """Add newly stored ledger rows to their IncomeDay rollups (sum of amount_e8, row count),
    creating the missing ones: one upsert that increments, exact on every backend. Runs in the
    transaction that stores the rows."""
    totals: dict[tuple[int, str, str], list[int]] = {}
    for r in rows:
        total = totals.setdefault((r.time_ms // DAY_MS, r.symbol, r.income_type), [0, 0])
        total[0] += r.amount_e8
        total[1] += 1
    if not totals:
        return
    qn = connection.ops.quote_name
    table = qn(IncomeDay._meta.db_table)
    amount, count = qn("amount_e8"), qn("row_count")
    unique = ", ".join(qn(c) for c in ("account_id", "day", "symbol", "income_type"))
    rows_insert(
        IncomeDay,
        ("account_id", "day", "symbol", "income_type", "amount_e8", "row_count"),
        [
            (account.id, selectors.utc_day(day), symbol, income_type, amount_e8, n)
            # Sorted: concurrent writers lock the rollup rows in one order (no deadlock).
            for (day, symbol, income_type), (amount_e8, n) in sorted(totals.items())
        ],
        # Identifiers from the model's metadata.
        conflict=f"ON CONFLICT ({unique}) DO UPDATE SET {amount} = {table}.{amount} + "
        f"excluded.{amount}, {count} = {table}.{count} + excluded.{count}",
    )


# --- snapshots -----------------------------------------------------------------------------------


@transaction.atomic
def snapshot_store(
    *, account: ExchangeAccount, state: AccountReport, exchange_ms: int
) -> AccountSnapshot:
    snapshot = AccountSnapshot.objects.create(
        account=account,
        taken_at=utcnow(),
        exchange_time=from_ms(exchange_ms),
        wallet_balance=state.wallet_balance,
        margin_balance=state.margin_balance,
        available_balance=state.available_balance,
        unrealized_pnl=state.unrealized_pnl,
        initial_margin=state.initial_margin,
        maint_margin=state.maint_margin,
        num_positions=len(state.positions),
    )
    PositionSnapshot.objects.bulk_create(
        [
            PositionSnapshot(
                snapshot=snapshot,
                symbol=p.symbol,
                position_amt=p.amt,
                entry_price=p.entry_price,
                mark_price=p.mark_price,
                unrealized_pnl=p.unrealized_pnl,
                initial_margin=p.initial_margin,
                notional=p.notional,
                leverage=p.leverage,
            )
            for p in state.positions
        ]
    )
    return snapshot


def snapshots_downsample(*, now_ms: int | None = None) -> int:
    """Beyond PNL_SNAPSHOT_FULL_RESOLUTION_HOURS keep one snapshot (the last) per account and
    PNL_SNAPSHOT_DOWNSAMPLE_MINUTES bucket; positions go with their snapshot. Returns how many
    snapshots were deleted."""
    bucket_ms = settings.PNL_SNAPSHOT_DOWNSAMPLE_MINUTES * 60_000
    cutoff = utcnow() - timedelta(hours=settings.PNL_SNAPSHOT_FULL_RESOLUTION_HOURS)
    deleted = 0
    for account_id in AccountSnapshot.objects.values_list("account_id", flat=True).distinct():
        keep: dict[int, int] = {}
        doomed: list[int] = []
        rows = (
            AccountSnapshot.objects.filter(account_id=account_id, taken_at__lt=cutoff)
            .order_by("exchange_time", "id")
            .values_list("id", "exchange_time")
        )
        for snap_id, moment in rows.iterator(chunk_size=5000):
            bucket = to_ms(moment) // bucket_ms
            if bucket in keep:
                doomed.append(keep[bucket])
            keep[bucket] = snap_id
        for i in range(0, len(doomed), 500):
            with transaction.atomic():
                deleted += (
                    AccountSnapshot.objects.filter(id__in=doomed[i : i + 500])
                    .delete()[1]
                    .get("pnl.AccountSnapshot", 0)
                )
    return deleted


# --- closed trades -------------------------------------------------------------------------------


def trades_enrich(
    *, account: ExchangeAccount, gateway: Gateway, positions: tuple[PositionReport, ...]
) -> dict[int, dict]:
    """Side, quantity and prices of new closed trades from GET /fapi/v1/userTrades, by trade
    pk: trades_publish writes them to the ledger with the publication, in one UPDATE of each
    trade (a write of its own cost as much again, thousands of trades after a backlog).

    The fills of a symbol since its oldest unenriched trade are replayed backwards from the
    current position, which tells how much of each reducing fill closed the old position (a
    flip opens the rest). Best effort: a trade whose fills are not found stays without them."""
    pending = Trade.objects.filter(account=account, published_at__isnull=True, side="")
    first_ms: dict[str, int] = {}  # each symbol's oldest unenriched trade
    by_symbol: dict[str, list[tuple[int, str, Decimal]]] = {}
    for pk, symbol, trade_id, realized_pnl, time_ms in pending.order_by("time_ms").values_list(
        "id", "symbol", "trade_id", "realized_pnl", "time_ms"
    ):
        by_symbol.setdefault(symbol, []).append((pk, trade_id, realized_pnl))
        if len(by_symbol[symbol]) == 1:
            first_ms[symbol] = time_ms
    current = {p.symbol: p.amt for p in positions}
    enriched: dict[int, dict] = {}
    for symbol, trades in by_symbol.items():
        fills = _fills_since(gateway, symbol=symbol, start_ms=first_ms[symbol])
        by_id = {str(f.trade_id): f for f in fills}
        closed: dict[str, Decimal] = {}
        amt = current.get(symbol, Decimal(0))
        for fill in sorted(fills, key=lambda f: (f.time_ms, f.trade_id), reverse=True):
            signed = fill.qty if fill.side == "BUY" else -fill.qty
            before = amt - signed
            if before != 0 and (before > 0) != (signed > 0):
                closed[str(fill.trade_id)] = min(fill.qty, abs(before))
            amt = before
        for pk, trade_id, realized_pnl in trades:
            fill = by_id.get(trade_id)
            qty = closed.get(trade_id)
            if fill is None or qty is None or qty == 0:
                continue
            exit_price = q8(fill.price)
            direction = Decimal(1) if fill.side == "SELL" else Decimal(-1)  # long closed by a sell
            # realized = qty x (exit - entry) x dir  =>  entry = exit - realized / (qty x dir)
            entry_price = q8(exit_price - realized_pnl / (qty * direction))
            enriched[pk] = {
                "side": "LONG" if direction > 0 else "SHORT",
                "qty": qty,
                "exit_price": exit_price,
                "entry_price": entry_price,
            }
    return enriched


FILLS_PAGE = 1000  # userTrades' largest page


def _fills_since(gateway: Gateway, *, symbol: str, start_ms: int) -> list[FillReport]:
    """Every fill of `symbol` from `start_ms` to now, page by page: the backwards replay in
    trades_enrich must start from the latest fill, not from the end of the first page."""
    fills = gateway.fills(symbol=symbol, start_ms=start_ms, limit=FILLS_PAGE)
    page = fills
    while len(page) == FILLS_PAGE:
        page = gateway.fills(symbol=symbol, from_id=page[-1].trade_id + 1, limit=FILLS_PAGE)
        fills += page
    return fills


def exit_links_get(*, account_id: int, trade_ids: list[str]) -> dict[str, dict]:
    """The trading desk's exit link per trade id (quantum:exitbrain:reason:{account}:{trade}),
    written by its executor when an exit fills: reason, intents, and the desk-clock times of
    the opening and closing fills. Read from Redis by key name only (trading sits above pnl)."""
    ids = [i for i in trade_ids if i]
    if not ids:
        return {}
    raw = get_redis().mget([keys.exit_reason(account_id, i) for i in ids])
    return {i: jsoncodec.loads(v) for i, v in zip(ids, raw, strict=True) if v}


def _duration_seconds(link: dict | None) -> int | None:
    """Seconds from the desk recording the opening fill to it recording the closing fill (both
    on the desk's clock, so venue clock skew does not enter); None when either is unknown."""
    if not link or link.get("opened_ms") is None or link.get("closed_ms") is None:
        return None
    return max(0, (int(link["closed_ms"]) - int(link["opened_ms"])) // 1000)


# What an entry is made of, read as plain values: an ORM object per trade cost more than the
# entry (thousands per poll after a backlog).
ENTRY_COLUMNS = (
    "id",
    "account_id",
    "symbol",
    "side",
    "entry_price",
    "exit_price",
    "qty",
    "realized_pnl",
    "commission",
    "funding",
    "tran_id",
    "trade_id",
    "time_ms",
)


def _trade_entry(trade: dict, link: dict | None = None) -> list[str]:
    """The stream entry of a closed trade (a row of ENTRY_COLUMNS) as XADD's field, value, ...
    arguments; every value JSON, money as strings."""
    net = trade["realized_pnl"] + trade["commission"] + trade["funding"]
    notional = (trade["qty"] or 0) * (trade["entry_price"] or 0)
    reward = q8(net / notional * 100) if notional else None
    fields = {
        "account": trade["account_id"],
        "symbol": trade["symbol"],
        "side": trade["side"] or None,
        "entry": trade["entry_price"],
        "exit": trade["exit_price"],
        "qty": trade["qty"],
        "realized_pnl": trade["realized_pnl"],
        "fees": trade["commission"],
        "funding": trade["funding"],
        "duration": _duration_seconds(link),
        "exit_reason": (link or {}).get("reason") or "",
        "reward": reward,
        "tran_id": trade["tran_id"],
        "trade_id": trade["trade_id"],
        "time": trade["time_ms"],
    }
    args = []
    for k, v in fields.items():
        args += (k, jsoncodec.scalar_dumps(v))
    return args


PUBLISH_BATCH = 500  # trades per script call: Redis runs one call at a time (a few ms each)


def trades_publish(*, account: ExchangeAccount, enriched: dict[int, dict] | None = None) -> int:
    """XADD each closed trade to quantum:stream:exitbrain.pnl exactly once: the marker and the
    entry are written atomically, then the trade is marked published in the ledger, with its
    enrichment (`enriched`, trades_enrich's) in the same UPDATE. A crash between the two
    leaves the marker, so the retry (enriching again) records the publication without a
    second entry."""
    publish = get_redis().register_script(_PUBLISH_ONCE)
    # Materialised first: the loop updates the rows it reads (SQLite dislikes open cursors).
    pending = list(
        Trade.objects.filter(account=account, published_at__isnull=True)
        .order_by("time_ms", "tran_id")
        .values(*ENTRY_COLUMNS)
    )
    for trade in pending:
        trade.update((enriched or {}).get(trade["id"], ()))
    for start in range(0, len(pending), PUBLISH_BATCH):
        _publish_batch(account, pending[start : start + PUBLISH_BATCH], publish)
    return len(pending)


def _publish_batch(account: ExchangeAccount, trades: list[dict], publish) -> None:
    links = exit_links_get(account_id=account.id, trade_ids=[t["trade_id"] for t in trades])
    entries = [_trade_entry(trade, links.get(trade["trade_id"])) for trade in trades]
    # The script walks ARGV an entry at a time: every entry has the same fields (name, value).
    args: list = [PUBLISHED_MARKER_TTL, STREAM_MAXLEN, len(entries[0]) // 2]
    for entry in entries:
        args += entry
    markers = [keys.pnl_published(account.id, t["tran_id"]) for t in trades]
    # Every marker and entry is in Redis before the ledger says "published".
    publish(keys=[keys.STREAM_EXITBRAIN_PNL, *markers], args=args)
    now = utcnow()
    rows_update(
        Trade,
        PUBLISHED_COLUMNS,
        [(t["id"], *(t[c] for c in PUBLISHED_COLUMNS[:-1]), now) for t in trades],
    )


PUBLISHED_COLUMNS = ("side", "qty", "exit_price", "entry_price", "published_at")


# --- the check against the exchange -------------------------------------------------------------

# A fill leaves one of these rows: a symbol with one after the snapshot may have moved since.
POSITION_MOVERS = frozenset({selectors.REALIZED, selectors.COMMISSION})


@dataclass(frozen=True)
class Difference:
    """One figure on which our records and the exchange disagree; delta = ours - exchange."""

    kind: str  # "income" | "position"
    key: str  # the income type or the symbol
    figure: str  # "count" | "sum" (income), "amount" | "entry" (position)
    record: str  # ours: "ledger" (IncomeRow), "rollup" (IncomeDay, what figures read), "snapshot"
    ours: str
    exchange: str
    delta: str


def _income_differences(
    income_type: str, record: str, ours: tuple[int, int], exchange: tuple[int, int]
) -> list[Difference]:
    """(count, Σ amount_e8) of one income type, ours against the exchange's."""
    out = []
    if ours[0] != exchange[0]:
        out.append(
            Difference(
                "income",
                income_type,
                "count",
                record,
                str(ours[0]),
                str(exchange[0]),
                str(ours[0] - exchange[0]),
            )
        )
    if ours[1] != exchange[1]:
        out.append(
            Difference(
                "income",
                income_type,
                "sum",
                record,
                money8_str(from_e8(ours[1])),
                money8_str(from_e8(exchange[1])),
                money8_str(from_e8(ours[1] - exchange[1])),
            )
        )
    return out


def _exchange_income(
    *, gateway: Gateway, since_ms: int, until_ms: int, server_ms: int, snapshot_ms: int
) -> tuple[dict[str, tuple[int, int]], set[str]]:
    """The exchange's (count, Σ amount_e8) per income type over since_ms <= time < until_ms,
    and the symbols with a fill (REALIZED_PNL or COMMISSION row) at or after the snapshot's
    time, read in one pass from since_ms to the venue's now. Rows at a continuation's
    millisecond come twice (income_pages); they are told apart by (tranId, incomeType), the
    ledger's own key, kept for the latest millisecond only: the venue answers in time order."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    movers: set[str] = set()
    edge_ms, edge_keys = -1, set()
    for page in income_pages(gateway=gateway, start_ms=since_ms, until_ms=server_ms):
        for row in page.rows:
            key = (row.tran_id, row.income_type)
            if row.time_ms < edge_ms:
                raise PayloadError(
                    f"income: row {row.tran_id} at {row.time_ms} after one at {edge_ms}: "
                    "not in time order, cannot be paged"
                )
            if row.time_ms > edge_ms:
                edge_ms, edge_keys = row.time_ms, set()
            elif key in edge_keys:
                continue  # read again at the start of the next page
            edge_keys.add(key)
            if row.time_ms < until_ms:
                total = totals[row.income_type]
                total[0] += 1
                total[1] += row.amount_e8
            if row.time_ms >= snapshot_ms and row.income_type in POSITION_MOVERS:
                movers.add(row.symbol)
    return {t: (n, e8) for t, (n, e8) in totals.items()}, movers


def ledger_verify(*, account: ExchangeAccount) -> LedgerCheck | None:
    """Check the account's ledger and last snapshot against the exchange's own records and
    store the result (LedgerCheck; defined in docs/figures.md, "Checked against the exchange"):
    - income, per type, rows with `since <= time < cursor` (since: the venue's now minus
      PNL_INCOME_LOOKBACK_DAYS, Binance's retention; the cursor: every earlier row is in the
      ledger, so later ones are not yet owed): count and sum of the ledger rows, of the daily
      rollup the figures read, and of GET /fapi/v1/income;
    - positions, per symbol: amount and entry of the latest snapshot against GET
      /fapi/v2/account now. A symbol filled since the snapshot is `unsettled`, compared next time.
    Reads only; a failed check (venue error, bad payload) records its error and raises, the
    last comparison stays. None when no poll has stored a cursor and a snapshot yet."""
    cursor = IncomeCursor.objects.filter(account=account).first()
    snapshot = selectors.snapshot_latest(account=account)
    if cursor is None or snapshot is None:
        logger.info("ledger check account=%s skipped: no poll stored yet", account.name)
        return None
    started = time.perf_counter()
    # Its own session: its call count is this check's (session_gateway's is shared).
    gateway = gateway_for(account=account)
    until_ms, snapshot_ms = cursor.cursor_ms, to_ms(snapshot.exchange_time)
    try:
        # Positions first, the clock second: a fill before the account read has a time before
        # server_ms, so the income read up to server_ms sees it (and marks its symbol).
        state = gateway.account()
        server_ms = gateway.server_time()
        since_ms = server_ms - settings.PNL_INCOME_LOOKBACK_DAYS * DAY_MS
        exchange, movers = _exchange_income(
            gateway=gateway,
            since_ms=since_ms,
            until_ms=until_ms,
            server_ms=server_ms,
            snapshot_ms=snapshot_ms,
        )
    except Exception as exc:
        logger.error("ledger check account=%s failed, nothing compared: %s", account.name, exc)
        LedgerCheck.objects.update_or_create(
            account=account,
            defaults={"error": f"{type(exc).__name__}: {exc}"[:4000], "error_at": utcnow()},
        )
        raise
    # Raw rows, counted and summed exactly in integers (a row deleted or altered shows here).
    ledger = {
        r["income_type"]: (r["n"], r["e8"] or 0)
        for r in IncomeRow.objects.filter(
            account=account, time_ms__gte=since_ms, time_ms__lt=until_ms
        )
        .values("income_type")
        .annotate(n=Count("id"), e8=Sum("amount_e8"))
    }
    rollup: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    sums = selectors.income_sums(account=account, start_ms=since_ms, end_ms=until_ms - 1)
    for (_symbol, income_type), (e8, n) in sums.items():
        rollup[income_type][0] += n
        rollup[income_type][1] += e8
    income, differences = [], []
    for income_type in sorted(set(ledger) | set(rollup) | set(exchange)):
        theirs = exchange.get(income_type, (0, 0))
        mine = ledger.get(income_type, (0, 0))
        rolled = tuple(rollup.get(income_type, (0, 0)))
        income.append(
            {
                "income_type": income_type,
                "exchange_count": theirs[0],
                "exchange_sum": money8_str(from_e8(theirs[1])),
                "ledger_count": mine[0],
                "ledger_sum": money8_str(from_e8(mine[1])),
                "rollup_count": rolled[0],
                "rollup_sum": money8_str(from_e8(rolled[1])),
            }
        )
        differences += _income_differences(income_type, "ledger", mine, theirs)
        differences += _income_differences(income_type, "rollup", rolled, theirs)
    ours_pos = {p.symbol: (p.position_amt, p.entry_price) for p in snapshot.positions.all()}
    theirs_pos = {p.symbol: (p.amt, p.entry_price) for p in state.positions}
    positions, unsettled = [], []
    for symbol in sorted(set(ours_pos) | set(theirs_pos)):
        (amt, entry), (x_amt, x_entry) = (
            ours_pos.get(symbol, (ZERO, ZERO)),
            theirs_pos.get(symbol, (ZERO, ZERO)),
        )
        positions.append(
            {
                "symbol": symbol,
                "snapshot_amount": qty_str(amt),
                "snapshot_entry": money8_str(entry),
                "exchange_amount": qty_str(x_amt),
                "exchange_entry": money8_str(x_entry),
            }
        )
        if symbol in movers:
            unsettled.append(symbol)
            continue
        if amt != x_amt:
            differences.append(
                Difference(
                    "position",
                    symbol,
                    "amount",
                    "snapshot",
                    qty_str(amt),
                    qty_str(x_amt),
                    qty_str(amt - x_amt),
                )
            )
        if entry != x_entry:
            differences.append(
                Difference(
                    "position",
                    symbol,
                    "entry",
                    "snapshot",
                    money8_str(entry),
                    money8_str(x_entry),
                    money8_str(entry - x_entry),
                )
            )
    check, _ = LedgerCheck.objects.update_or_create(
        account=account,
        defaults={
            "checked_at": utcnow(),
            "status": LedgerCheck.Status.DIFFERS if differences else LedgerCheck.Status.MATCH,
            "since_ms": since_ms,
            "until_ms": until_ms,
            "snapshot_time": snapshot.exchange_time,
            "income": income,
            "positions": positions,
            "differences": [asdict(d) for d in differences],
            "unsettled": unsettled,
            "http_calls": gateway.stats.calls,
            "duration_ms": int((time.perf_counter() - started) * 1000),
            "error": "",
            "error_at": None,
        },
    )
    if differences:
        logger.warning(
            "ledger check account=%s differs from the exchange: %s",
            account.name,
            "; ".join(f"{d.key} {d.figure} ({d.record}) {d.delta}" for d in differences),
        )
    return check


# --- the live state in Redis ---------------------------------------------------------------------


def live_state_write(*, account: ExchangeAccount) -> None:
    """quantum:rl:reward:{SYMBOL} per tracked symbol and quantum:portfolio:realtime, rebuilt
    from the ledger on every poll (Redis is a cache: flush it and the next poll restores it).
    Only the dashboard's default account writes these desk-wide keys. Written from the
    dashboard's figures (the selectors' data), with the API's renderings of each number, so a
    reader of Redis and a reader of the API see the same strings. The reward history
    (quantum:rl:history:{SYMBOL}) is the RL monitor's, not written here (docs/intelligence.md)."""
    default = account_default()
    if default is None or default.id != account.id:
        return
    window = settings.PNL_REWARD_WINDOW
    board, _ = selectors.board_get(
        account=account, window=window, snapshot=selectors.snapshot_latest(account=account)
    )
    ttl = settings.PNL_REWARD_TTL_SECONDS
    as_of_ms = to_ms(board.as_of) if board.as_of else to_ms(utcnow())
    source = f"pnl_tracker:{account.name}"
    pipe = get_redis().pipeline(transaction=True)
    for f in board.symbols:
        key = keys.rl_reward(f.symbol)
        fields = {
            "symbol": f.symbol,
            "unrealized_pnl": money8_str(f.unrealized_pnl),
            "unrealized_pct": money8_str(f.unrealized_pct),
            "realized_pnl": money8_str(f.realized_pnl),
            "realized_pct": money8_str(f.realized_pct),
            "total_pnl": money8_str(f.total_pnl),
            "realized_trades": f.realized_trades,
            "side": f.side,
            "entry_price": money8_str(f.entry_price),
            "mark_price": money8_str(f.mark_price),
            "notional": money8_str(f.notional),
            "leverage": f.leverage,
            "reward": money8_str(f.reward),
            "commission": money8_str(f.commission),
            "funding": money8_str(f.funding),
            "position_size": qty_str(f.position_size),
            "reward_unrealized_pct": money8_str(f.unrealized_pct),
            "reward_realized_pct": money8_str(f.realized_pct),
            "window": window,
            "timestamp": as_of_ms,
            "source": source,
        }
        pipe.delete(key)
        pipe.hset(key, mapping={k: jsoncodec.dumps(v) for k, v in fields.items()})
        pipe.expire(key, ttl)
    totals = board.totals
    portfolio = {
        "total_equity": money8_str(totals.equity),
        "wallet_balance": money8_str(totals.wallet_balance),
        "available_balance": money8_str(totals.available_balance),
        "total_unrealized_pnl": money8_str(totals.unrealized_pnl),
        "total_realized_pnl": money8_str(totals.realized_pnl),
        "total_pnl": money8_str(totals.total_pnl),
        "total_margin": money8_str(totals.initial_margin),
        "num_positions": sum(1 for f in board.symbols if f.side),
        "window": window,
        "timestamp": as_of_ms,
        "source": source,
    }
    pipe.delete(keys.PORTFOLIO_REALTIME)
    pipe.hset(
        keys.PORTFOLIO_REALTIME, mapping={k: jsoncodec.dumps(v) for k, v in portfolio.items()}
    )
    pipe.expire(keys.PORTFOLIO_REALTIME, ttl)
    pipe.execute()
