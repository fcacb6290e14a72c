"""Income ingestion through the desk's real poll, on PostgreSQL 15 and on SQLite, next to a
bare database write of the same rows into the same table, in one run.

    .venv/bin/python bench/ingest.py [--rows 20000] [--ledger 100000] [--backends postgres,sqlite]

The path timed is the one the running desk takes: the `quantum.pnl.poll_account` task sent
through Redis to a real Celery worker (its lock, its service), which reads the paper exchange
(`manage.py paper_exchange`, its own process) over HTTP with python-binance, writes the
database and publishes to Redis. For each backend (a child process each, as Django binds one
database per process):
1. A venue account, registered as the desk's ExchangeAccount, and a ledger of --ledger rows
   already stored in the desk's database (closed trades included, published long ago), so the
   poll's lookups (existing rows, previous trades, funding intervals, commissions) run against
   real indexes. A warm poll through the worker (its connections, caches, the cursor).
2. A backlog of --rows new income rows written into the venue's own records (its SQLite file:
   making them by trading would take the venue an hour): over its five symbols, round trips of
   an opening fill (COMMISSION), a FUNDING_FEE, a closing fill (REALIZED_PNL and COMMISSION),
   each fill also in the venue's trades, so `userTrades` finds them and the poll enriches the
   closed trades as it does live. One poll ingests them all, in pages of 1000: rows/s from
   sending the task to the run's end, and CPU per row of the worker's pool process (all its
   threads) and of the database server process (PostgreSQL's backends; SQLite runs in the
   worker).
3. The baseline, in the same run: the ingested rows deleted, then the same rows (already Python
   values: no HTTP, no JSON, no Decimal parsing) written into the same table in one transaction
   from this process: psycopg's COPY and executemany on PostgreSQL, executemany on SQLite.

PostgreSQL is a throw-away cluster started here (initdb/pg_ctl as user `postgres`, loopback, a
free port) with fsync=off: the bench measures the desk's work, not this host's disk; SQLite runs
with the desk's own settings (WAL, synchronous=NORMAL). The venue runs without its rate limits
(the two backends' polls hit it within one minute; one poll's 21 pages weigh 630 of Binance's
2,400 a minute). BENCH_PROFILE=1 runs the task in this process under cProfile instead (for
where the time goes; not the figure). Ends with
`RESULT name=<poll rows/s on PostgreSQL> baseline=<COPY rows/s on PostgreSQL> ratio=<r>`.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psutil  # noqa: E402
from benchenv import desk_env  # noqa: E402

from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange, binance_client  # noqa: E402
from tests.support.processes import RedisServer, free_port  # noqa: E402

DAY_MS = 86_400_000
PG_BIN = Path("/usr/lib/postgresql/15/bin")


PG_STATEMENTS_SETUP = (
    "CREATE EXTENSION pg_stat_statements; GRANT pg_read_all_stats TO quantum; "
    "GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO quantum"
)


class Postgres:
    """A throw-away PostgreSQL 15 cluster in `workdir`, run as user postgres (initdb refuses
    root), trust auth on loopback only; the role and database `quantum`."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "pg"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgres://quantum@127.0.0.1:{self.port}/quantum"

    def _as_postgres(self, argv: list[str]) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *argv],
            check=True,
            cwd="/",
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> Postgres:
        self.dir.mkdir(parents=True)
        self.dir.parent.chmod(0o711)  # postgres passes through, whatever the umask made it
        shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        self._as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
            + ["-E", "UTF8"]
        )
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.dir} -c fsync=off"
        )
        if os.environ.get("BENCH_PROFILE"):  # the server's side of the profile
            options += " -c shared_preload_libraries=pg_stat_statements"
        self._as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.dir / "log")]
            + ["-w", "start"]
        )
        psql = [str(PG_BIN / "psql"), "-h", str(self.dir), "-p", str(self.port), "-U", "postgres"]
        self._as_postgres([*psql, "-q", "-c", "CREATE ROLE quantum LOGIN"])
        self._as_postgres([*psql, "-q", "-c", "CREATE DATABASE quantum OWNER quantum"])
        if os.environ.get("BENCH_PROFILE"):
            self._as_postgres([*psql, "-q", "-d", "quantum", "-c", PG_STATEMENTS_SETUP])
        return self

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self._as_postgres(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop"]
            )


VENUE_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT")  # all the venue lists
FIRST_ID = 10**9  # the seeded rows' tranIds and fill ids: far above any the venue gives out


def round_trips(*, start_ms: int, end_ms: int, count: int, first_id: int):
    """`count` income rows (venue-shaped dicts) between start_ms and end_ms, and the fills they
    belong to: round trips over the venue's symbols, each a BUY opening 1 (its COMMISSION), a
    FUNDING_FEE, a SELL closing it (REALIZED_PNL and COMMISSION of one tradeId). Every symbol
    ends flat, so replaying its fills back from the venue's (empty) position finds each
    closing fill, as the poll's enrichment does."""
    rows: list[dict] = []
    fills: list[dict] = []
    step = max(1, (end_ms - start_ms) // (count + 4))
    t, n = start_ms, first_id
    for k in range(count // 4 + 1):
        symbol = VENUE_SYMBOLS[k % len(VENUE_SYMBOLS)]
        price, pnl = Decimal(100 + k % 50), Decimal(k % 997 - 498) / 100
        opened, closed = n, n + 1
        for trade_id, side, fill_price, realized in (
            (opened, "BUY", price, Decimal(0)),
            (closed, "SELL", price + pnl, pnl),
        ):
            fills.append(
                {
                    "buyer": side == "BUY",
                    "commission": "0.04",
                    "commissionAsset": "USDT",
                    "id": trade_id,
                    "maker": False,
                    "orderId": trade_id,
                    "price": str(fill_price),
                    "qty": "1",
                    "quoteQty": str(fill_price),
                    "realizedPnl": str(realized),
                    "side": side,
                    "positionSide": "BOTH",
                    "symbol": symbol,
                    "time": t if side == "BUY" else t + 2 * step,
                }
            )
        for kind, amount, trade_id, at in (
            ("COMMISSION", "-0.04", opened, t),
            ("FUNDING_FEE", "-0.01", None, t + step),
            ("REALIZED_PNL", str(pnl), closed, t + 2 * step),
            ("COMMISSION", "-0.04", closed, t + 2 * step),
        ):
            rows.append(
                {
                    "symbol": symbol,
                    "incomeType": kind,
                    "income": amount,
                    "asset": "USDT",
                    "info": "",
                    "time": at,
                    "tranId": n + 2 + len(rows),
                    "tradeId": str(trade_id) if trade_id else "",
                }
            )
        t += 4 * step
        n += 2
    assert t <= end_ms + 4 * step, "rows past end_ms"
    return rows[:count], [f for f in fills if f["time"] <= rows[count - 1]["time"]]


def venue_seed(db_path: Path, account_id: int, rows: list[dict], fills: list[dict]) -> None:
    """The venue's own records of those rows and fills, as its ledger writes them (a row per
    income row and per fill, the document as it serves it), in one transaction."""
    conn = sqlite3.connect(db_path, timeout=30)
    with conn:
        conn.executemany(
            "INSERT INTO income VALUES (?, ?, ?, ?, ?, ?)",
            [
                (r["tranId"], account_id, r["symbol"], r["incomeType"], r["time"], json.dumps(r))
                for r in rows
            ],
        )
        conn.executemany(
            "INSERT INTO trades VALUES (?, ?, ?, ?, ?, ?)",
            [
                (f["id"], account_id, f["symbol"], f["orderId"], f["time"], json.dumps(f))
                for f in fills
            ],
        )
    conn.close()


class CpuMeter:
    """CPU seconds (user + system) of a process tree, sampled: processes that exit between two
    samples keep what they had at the last one (a PostgreSQL backend closed after the task)."""

    def __init__(self, root_pid: int, *, include_root: bool = True) -> None:
        self.root = psutil.Process(root_pid)
        self.include_root = include_root
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.first = self._read()
        self.last = dict(self.first)

    def _read(self) -> dict[int, float]:
        procs = self.root.children(recursive=True) + ([self.root] if self.include_root else [])
        out = {}
        for proc in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                out[proc.pid] = times.user + times.system
        return out

    def sample(self) -> None:
        self.last.update(self._read())

    def seconds(self) -> float:
        return sum(v - self.first.get(pid, 0.0) for pid, v in self.last.items())


def child(
    backend: str, rows_n: int, ledger_n: int, venue_url: str, venue_db: str, venue_pid: str
) -> dict:
    """One backend's figures; runs with DATABASE_URL and REDIS_URL set by the parent."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from apps.core.timeutil import from_ms, to_ms, utcnow
    from apps.exchange.services import account_add
    from apps.paper_exchange.services import account_create
    from apps.pnl.models import IncomeCursor, IncomeDay, IncomeRow, PollRun, Trade
    from tests.support.processes import CeleryWorker, wait_for
    from workers.pnl import poll_account

    call_command("migrate", verbosity=0)
    now_ms = to_ms(utcnow())
    created = account_create(
        db_path=Path(venue_db), name=f"bench-{backend}", balance=Decimal(100_000)
    )
    account = account_add(
        name=f"bench-{backend}",
        base_url=venue_url,
        api_key=created.api_key,
        api_secret=created.api_secret,
        paper=True,
    )
    # The venue books the deposit (a TRANSFER row) when it first loads the account: now, so
    # the warm poll takes it, not the measured one.
    binance_client(venue_url, created.api_key, created.api_secret).futures_account()
    # 1. The ledger of earlier days, stored directly, with its closed trades (published).
    stored, trades = [], []
    earlier, _ = round_trips(
        start_ms=now_ms - 30 * DAY_MS, end_ms=now_ms - DAY_MS, count=ledger_n, first_id=1
    )
    for row in earlier:
        amount = Decimal(row["income"])
        values = dict(
            account=account,
            tran_id=row["tranId"],
            symbol=row["symbol"],
            trade_id=row["tradeId"],
            time=from_ms(row["time"]),
            time_ms=row["time"],
        )
        stored.append(
            IncomeRow(
                **values,
                income_type=row["incomeType"],
                amount=amount,
                amount_e8=int(amount * 100_000_000),
                asset="USDT",
                info="",
            )
        )
        if row["incomeType"] == "REALIZED_PNL":
            trades.append(Trade(**values, realized_pnl=amount, published_at=utcnow()))
    with transaction.atomic():  # set-up, not timed: the ORM's own bulk insert will do
        IncomeRow.objects.bulk_create(stored)
        Trade.objects.bulk_create(trades)
    backlog_from = now_ms - 2 * 3_600_000
    IncomeCursor.objects.create(account=account, cursor_ms=backlog_from - 1)
    worker = CeleryWorker(
        queues="pnl",
        env=dict(os.environ),
        name=f"bench-ingest-{backend}",
        concurrency=1,
        log_path=Path(os.environ["QUANTUM_VAR_DIR"]).parent / f"worker-{backend}.log",
    )
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    if not profile:
        worker.start()

    def poll() -> PollRun:
        """The task, as beat sends it, run by the worker; the run it recorded."""
        last = PollRun.objects.filter(account=account).order_by("-id").first()
        poll_account.delay(account.id)
        done = PollRun.objects.filter(
            account=account, id__gt=last.id if last else 0, finished_at__isnull=False
        )
        wait_for(done.exists, timeout=600, interval=0.01, what="the poll's end")
        return done.get()

    try:
        if profile:
            poll_account.apply(args=[account.id])
        else:
            poll()  # warm: the worker's connections and caches; only the venue's deposit row
        IncomeCursor.objects.filter(account=account).update(cursor_ms=backlog_from - 1)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum would have by now on a live desk
                cursor.execute("SELECT pg_backend_pid()")
                postmaster = psutil.Process(cursor.fetchone()[0]).ppid()
        else:
            postmaster = None

        # 2. The backlog, in the venue's records, through the real poll.
        backlog, fills = round_trips(
            start_ms=backlog_from,
            end_ms=now_ms - 300_000,
            count=rows_n,
            first_id=FIRST_ID + created.id * 10_000_000,  # each backend's account its own
        )
        venue_seed(Path(venue_db), created.id, backlog, fills)
        if profile:  # in this process, under cProfile: where the time goes (stderr)
            statements: dict[str, list[float]] = {}

            def timed(execute, sql, params, many, context):  # wall time per statement shape
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    spent = statements.setdefault(sql[:90], [0, 0.0])
                    spent[0] += 1
                    spent[1] += time.perf_counter() - started

            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_stat_statements_reset()")
            started = time.perf_counter()
            profile.enable()
            with connection.execute_wrapper(timed):
                poll_account.apply(args=[account.id])
            profile.disable()
            wall = time.perf_counter() - started
            run = PollRun.objects.filter(account=account).latest("id")
            for sql, (n, spent) in sorted(statements.items(), key=lambda x: -x[1][1])[:15]:
                print(f"{spent:7.3f} s {n:5d}x {sql}", file=sys.stderr)
            if connection.vendor == "postgresql":  # the server's own time per statement
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT total_exec_time, calls, left(regexp_replace(query, '\\s+', ' ',"
                        " 'g'), 110) FROM pg_stat_statements ORDER BY 1 DESC LIMIT 15"
                    )
                    for ms, calls, sql in cursor.fetchall():
                        print(f"server {ms / 1000:7.3f} s {calls:5d}x {sql}", file=sys.stderr)
            pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(60)
            cpu = server_cpu = venue_cpu = 0.0
        else:
            desk = CpuMeter(worker.proc.pid)
            server = CpuMeter(postmaster, include_root=False) if postmaster else None
            exchange = CpuMeter(int(venue_pid))
            started = time.perf_counter()
            last = PollRun.objects.filter(account=account).order_by("-id").first()
            poll_account.delay(account.id)
            done = PollRun.objects.filter(
                account=account, id__gt=last.id, finished_at__isnull=False
            )

            def finished() -> bool:
                desk.sample()
                exchange.sample()
                if server:
                    server.sample()
                return done.exists()

            wait_for(finished, timeout=600, interval=0.01, what="the poll's end")
            wall = time.perf_counter() - started
            run = done.get()
            cpu, server_cpu = desk.seconds(), server.seconds() if server else 0.0
            venue_cpu = exchange.seconds()
    finally:
        if not profile:
            worker.stop()
    assert run.status == "ok" and run.rows_ingested == rows_n, (
        run.status,
        run.rows_ingested,
        run.error,
    )
    day_rows = sum(IncomeDay.objects.filter(account=account).values_list("row_count", flat=True))
    assert day_rows == rows_n + 1, day_rows  # the rollup counted each new row once, and the
    # warm poll's deposit (the ledger's own rows went in behind its back, unrolled)
    enriched = Trade.objects.filter(account=account, published_at__isnull=False).exclude(side="")
    figures = {
        "backend": backend,
        "rows": rows_n,
        "pages": run.pages,
        "trades": run.trades_published,
        "enriched": enriched.count(),
        "poll_rows_s": rows_n / wall,
        "poll_cpu_us_row": cpu / rows_n * 1e6,
        "poll_server_cpu_us_row": server_cpu / rows_n * 1e6,
        "venue_cpu_us_row": venue_cpu / rows_n * 1e6,
        "http_ms": run.http_ms,
        "duration_ms": run.duration_ms,
    }

    # 3. The baseline: the same rows, as Python values, into the same table.
    table = IncomeRow._meta.db_table
    columns = [
        f.column for f in IncomeRow._meta.concrete_fields if not (f.primary_key and f.auto_created)
    ]
    ingested_at = utcnow()
    values = []
    for row in backlog:
        amount = Decimal(row["income"])
        by_column = {
            "account_id": account.id,
            "tran_id": row["tranId"],
            "income_type": row["incomeType"],
            "symbol": row["symbol"],
            "amount": amount,
            "amount_e8": int(amount * 100_000_000),
            "asset": row["asset"],
            "info": row["info"],
            "trade_id": row["tradeId"],
            "time": from_ms(row["time"]),
            "time_ms": row["time"],
            "ingested_at": ingested_at,
        }
        values.append(tuple(by_column[c] for c in columns))
    first = FIRST_ID

    def bare(write) -> tuple[float, float]:
        IncomeRow.objects.filter(account=account, tran_id__gte=first).delete()
        started, cpu = time.perf_counter(), time.thread_time()
        with transaction.atomic(), connection.cursor() as cursor:
            write(cursor)
        wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
        assert IncomeRow.objects.filter(account=account, tran_id__gte=first).count() == rows_n
        return rows_n / wall, cpu / rows_n * 1e6

    qn = connection.ops.quote_name
    insert = (
        f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    figures["executemany_rows_s"], figures["executemany_cpu_us_row"] = bare(
        lambda cursor: cursor.executemany(insert, values)
    )
    if connection.vendor == "postgresql":

        def copy(cursor) -> None:
            sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
            with cursor.cursor.copy(sql) as out:
                for row in values:
                    out.write_row(row)

        figures["copy_rows_s"], figures["copy_cpu_us_row"] = bare(copy)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--ledger", type=int, default=100_000)
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--venue", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.ledger, *args.venue)))
        return

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    redis = RedisServer(workdir / "redis").start()
    venue = PaperExchange(workdir / "venue", extra_args=list(NO_RATE_LIMITS)).start()
    pg = None
    results = {}
    try:
        for backend in args.backends.split(","):
            extra = {"LOG_LEVEL": "WARNING"}
            if backend == "postgres":
                pg = pg or Postgres(workdir).start()
                extra["DATABASE_URL"] = pg.url
            env = desk_env(workdir / backend, redis.url, **extra)
            (workdir / backend).mkdir(exist_ok=True)
            out = subprocess.run(
                [sys.executable, __file__, "--child", backend]
                + ["--rows", str(args.rows), "--ledger", str(args.ledger)]
                + ["--venue", venue.base_url, str(venue.db_path), str(venue.process.pid)],
                env=env,
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            ).stdout
            results[backend] = json.loads(out.strip().splitlines()[-1])
    finally:
        if pg:
            pg.stop()
        venue.stop()
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for backend, r in results.items():
        print(
            f"{backend}: poll task {r['rows']:,} rows in {r['pages']} pages, {r['trades']:,} "
            f"trades ({r['enriched']:,} enriched): {r['poll_rows_s']:,.0f} rows/s, "
            f"{r['poll_cpu_us_row']:.1f} us CPU/row in the worker"
            + (
                f" + {r['poll_server_cpu_us_row']:.1f} in PostgreSQL"
                if backend == "postgres"
                else ""
            )
            + f"; the venue {r['venue_cpu_us_row']:.1f} us CPU/row"
            + f" (run {r['duration_ms']} ms, of which HTTP {r['http_ms']} ms)"
        )
        print(
            f"{backend}: bare executemany {r['executemany_rows_s']:,.0f} rows/s "
            f"({r['executemany_cpu_us_row']:.1f} us CPU/row)"
            + (
                f"; bare COPY {r['copy_rows_s']:,.0f} rows/s "
                f"({r['copy_cpu_us_row']:.1f} us CPU/row)"
                if "copy_rows_s" in r
                else ""
            )
        )
    head = results.get("postgres") or next(iter(results.values()))
    base = head.get("copy_rows_s", head["executemany_rows_s"])
    print(
        f"RESULT name={head['poll_rows_s']:.0f} baseline={base:.0f} "
        f"ratio={head['poll_rows_s'] / base:.2f}"
    )


if __name__ == "__main__":
    main()
