"""Income ingestion through the real PnL poll, on PostgreSQL 15 and on SQLite, next to a bare
database write of the same rows into the same table, in one run.

    .venv/bin/python bench/ingest.py [--rows 20000] [--ledger 100000] [--backends postgres,sqlite]

For each backend (a child process each, as Django binds one database per process):
1. A ledger of --ledger rows already stored (closed trades included), so the poll's lookups
   (existing rows, previous trades, funding intervals, commissions) run against real indexes.
2. A backlog of --rows new income rows (REALIZED_PNL, COMMISSION, FUNDING_FEE over 200 symbols)
   served in pages of 1000 by the Binance-shaped HTTP server of bench/pnl_poll.py; one
   `account_poll` ingests them all: rows/s over wall time, and rows per CPU second of the poll's
   own thread (the fake venue answers from other threads) and of the database server process
   (PostgreSQL's backend; SQLite runs in the poll's thread).
3. The baseline, in the same run: the ingested rows deleted, then the same rows (already Python
   values: no HTTP, no JSON, no Decimal parsing) written into the same table in one transaction:
   psycopg's COPY and executemany on PostgreSQL, executemany on SQLite.

PostgreSQL is a throw-away cluster started here (initdb/pg_ctl as user `postgres`, loopback, a
free port) with fsync=off: the bench measures the desk's work, not this host's disk; SQLite runs
with the desk's own settings (WAL, synchronous=NORMAL). Ends with
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
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchenv import desk_env  # noqa: E402

from tests.support.processes import RedisServer, free_port  # noqa: E402

DAY_MS = 86_400_000
PG_BIN = Path("/usr/lib/postgresql/15/bin")


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
        self._as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.dir / "log")]
            + ["-w", "start"]
        )
        psql = [str(PG_BIN / "psql"), "-h", str(self.dir), "-p", str(self.port), "-U", "postgres"]
        self._as_postgres([*psql, "-q", "-c", "CREATE ROLE quantum LOGIN"])
        self._as_postgres([*psql, "-q", "-c", "CREATE DATABASE quantum OWNER quantum"])
        return self

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self._as_postgres(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop"]
            )


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process (the database server's backend), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(backend: str, rows_n: int, ledger_n: int) -> dict:
    """One backend's figures; runs with DATABASE_URL and REDIS_URL set by the parent."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from pnl_poll import Venue, income_rows, serve

    from apps.core.timeutil import from_ms, to_ms, utcnow
    from apps.exchange.services import account_add
    from apps.pnl import services
    from apps.pnl.models import IncomeCursor, IncomeDay, IncomeRow, Trade

    call_command("migrate", verbosity=0)
    now_ms = to_ms(utcnow())
    venue = Venue(now_ms=now_ms, symbols=200)
    account = account_add(
        name="bench", base_url=serve(venue), api_key="k" * 64, api_secret="s" * 64, paper=True
    )
    # 1. The ledger the venue served before, stored directly, with its closed trades.
    stored, trades = [], []
    for row in income_rows(
        venue, start_ms=now_ms - 30 * DAY_MS, end_ms=now_ms - DAY_MS, count=ledger_n, first_tran=1
    ):
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
    IncomeCursor.objects.create(account=account, cursor_ms=now_ms - DAY_MS)
    services.account_poll(account_id=account.id)  # warm: caches, connections, the cursor
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would have by now on a live desk
            cursor.execute("SELECT pg_backend_pid()")
            backend_pid = cursor.fetchone()[0]
    else:
        backend_pid = None

    # 2. The backlog through the real poll.
    venue.now_ms = now_ms + 3_600_000
    backlog = list(
        income_rows(
            venue,
            start_ms=now_ms,
            end_ms=venue.now_ms - 120_000,
            count=rows_n,
            first_tran=ledger_n + 10,
        )
    )
    venue.income = backlog
    server_cpu = _cpu_seconds(backend_pid) if backend_pid else 0.0
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    started, cpu = time.perf_counter(), time.thread_time()
    statements: dict[str, list[float]] = {}

    def timed(execute, sql, params, many, context):  # wall time per statement shape
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = statements.setdefault(sql[:90], [0, 0.0])
            spent[0] += 1
            spent[1] += time.perf_counter() - started

    if profile:
        profile.enable()
    with connection.execute_wrapper(timed) if profile else contextlib.nullcontext():
        run = services.account_poll(account_id=account.id)
    if profile:
        profile.disable()
        for sql, (n, spent) in sorted(statements.items(), key=lambda x: -x[1][1])[:15]:
            print(f"{spent:7.3f} s {n:5d}x {sql}", file=sys.stderr)
    wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
    if profile:  # where the poll's time goes, to stderr: BENCH_PROFILE=1
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    server_cpu = _cpu_seconds(backend_pid) - server_cpu if backend_pid else 0.0
    assert run.status == "ok" and run.rows_ingested == rows_n, (run.status, run.rows_ingested)
    day_rows = sum(IncomeDay.objects.filter(account=account).values_list("row_count", flat=True))
    assert day_rows == rows_n, day_rows  # the rollup counted each new row once (the ledger's
    # own rows went in behind its back, unrolled)
    figures = {
        "backend": backend,
        "rows": rows_n,
        "pages": run.pages,
        "poll_rows_s": rows_n / wall,
        "poll_cpu_us_row": cpu / rows_n * 1e6,
        "poll_server_cpu_us_row": server_cpu / rows_n * 1e6,
        "http_ms": run.http_ms,
    }

    # 3. The baseline: the same rows, as Python values, into the same table.
    table = IncomeRow._meta.db_table
    columns = [
        f.column for f in IncomeRow._meta.concrete_fields if not (f.primary_key and f.auto_created)
    ]
    created = utcnow()
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
            "ingested_at": created,
        }
        values.append(tuple(by_column[c] for c in columns))
    first = ledger_n + 10

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
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.ledger)))
        return

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    redis = RedisServer(workdir / "redis").start()
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
                + ["--rows", str(args.rows), "--ledger", str(args.ledger)],
                env=env,
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            ).stdout
            results[backend] = json.loads(out.strip().splitlines()[-1])
    finally:
        if pg:
            pg.stop()
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for backend, r in results.items():
        print(
            f"{backend}: poll {r['rows']:,} rows in {r['pages']} pages: {r['poll_rows_s']:,.0f} "
            f"rows/s, {r['poll_cpu_us_row']:.1f} us CPU/row in the poll's thread"
            + (
                f" + {r['poll_server_cpu_us_row']:.1f} in the PostgreSQL backend"
                if backend == "postgres"
                else ""
            )
            + f" (HTTP {r['http_ms']} ms)"
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
