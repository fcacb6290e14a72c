"""The PnL tracker's own cost, in one run, on a temp SQLite database and a private redis-server.

    .venv/bin/python bench/pnl_poll.py [--rows 1000000] [--symbols 200]

1. A ledger of --rows income rows over 90 days (bulk inserted directly, then rolled up by the
   migration's backfill) and --symbols open positions, served by a minimal Binance-shaped HTTP
   server (python-binance talks to it).
2. One steady-state poll (time, account with 200 positions, the income since the cursor): its
   wall time next to the bare HTTP time of the same calls made with a bare python-binance client.
3. Income ingestion: a backlog of 20,000 new rows, rows per second.
4. GET /api/rl-dashboard/ p50/p99 with 4 concurrent clients over HTTP (a DRF token), served by
   the web process as `make up` runs it (gunicorn, its workers and threads, the shared Redis
   cache), next to a trivial authenticated DRF view (/api/auth/me/) in the same run, while
   every symbol's mark moves once a second (as the stream process writes them).
Ends with `RESULT name=<dashboard p99 ms> baseline=<trivial view p99 ms> ratio=<r>`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import secrets
import shlex
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchenv import desk_env  # noqa: E402

from tests.frontend.frontend_support import Gunicorn  # noqa: E402
from tests.support.processes import RedisServer, free_port  # noqa: E402

DAY_MS = 86_400_000


class Venue:
    """Binance-shaped answers from memory; no signature check (the bench measures the desk)."""

    def __init__(self, *, now_ms: int, symbols: int) -> None:
        self.now_ms = now_ms
        self.symbols = [f"S{n:03d}USDT" for n in range(symbols)]
        self.income: list[dict] = []
        self.account = self._account()

    def _account(self) -> dict:
        positions = []
        for n, symbol in enumerate(self.symbols):
            amt = Decimal("0.5") * (1 if n % 2 else -1)
            entry, mark = Decimal(100 + n), Decimal(101 + n)
            positions.append(
                {
                    "symbol": symbol,
                    "positionAmt": str(amt),
                    "entryPrice": str(entry),
                    "unrealizedProfit": str(amt * (mark - entry)),
                    "positionInitialMargin": str(abs(amt) * mark / 10),
                    "initialMargin": "0",
                    "maintMargin": "0",
                    "leverage": "10",
                    "isolated": False,
                    "positionSide": "BOTH",
                    "updateTime": 0,
                }
            )
        return {
            "totalWalletBalance": "100000",
            "totalUnrealizedProfit": "0",
            "totalMarginBalance": "100000",
            "totalPositionInitialMargin": "0",
            "totalMaintMargin": "0",
            "availableBalance": "90000",
            "positions": positions,
        }

    def answer(self, path: str, query: dict) -> object:
        if path == "/fapi/v1/time":
            return {"serverTime": self.now_ms}
        if path == "/fapi/v2/account":
            return self.account
        if path == "/fapi/v1/userTrades":
            return []
        if path == "/fapi/v1/income":
            start, end = int(query["startTime"][0]), int(query["endTime"][0])
            limit, page = int(query.get("limit", ["100"])[0]), int(query.get("page", ["1"])[0])
            rows = [r for r in self.income if start <= r["time"] <= end]
            return rows[(page - 1) * limit : page * limit]
        return {}


def serve(venue: Venue) -> str:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            body = json.dumps(venue.answer(parts.path, parse_qs(parts.query))).encode()
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: 1"
                + f"\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}"


def income_rows(venue: Venue, *, start_ms: int, end_ms: int, count: int, first_tran: int):
    kinds = ("REALIZED_PNL", "COMMISSION", "FUNDING_FEE")
    step = (end_ms - start_ms) / count
    for n in range(count):
        yield {
            "symbol": venue.symbols[n % len(venue.symbols)],
            "incomeType": kinds[n % 3],
            "income": f"{(n % 997 - 498) / 100:.2f}",
            "asset": "USDT",
            "info": "",
            "time": int(start_ms + n * step),
            "tranId": first_tran + n,
            "tradeId": str(n // 3),
        }


def web_start(workdir: Path) -> Gunicorn:
    """The tests' gunicorn (tests/frontend/frontend_support.py) with the workers and threads of
    `make up`'s web process (apps.ops.stack's command line), on a free loopback port."""
    from apps.ops.stack import program_commands

    argv = shlex.split(program_commands(var_dir=workdir / "var", redis_password=None)["web"])
    return Gunicorn(
        dict(os.environ),
        free_port(),
        workdir / "web.log",
        workers=int(argv[argv.index("--workers") + 1]),
        threads=int(argv[argv.index("--threads") + 1]),
    ).start()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--symbols", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-pnl-"))
    redis = RedisServer(workdir / "redis").start()
    os.environ.update(desk_env(workdir, redis.url, LOG_LEVEL="WARNING"))
    import django

    django.setup()
    from django.apps import apps as django_apps
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from apps.core.timeutil import from_ms, to_ms, utcnow
    from apps.exchange.client import build_client
    from apps.exchange.reports import MarkReport
    from apps.exchange.services import account_add
    from apps.market.services import mark_publish
    from apps.pnl import services
    from apps.pnl.models import IncomeCursor, IncomeDay, IncomeRow, PollRun, Trade

    try:
        call_command("migrate", verbosity=0)
        now_ms = to_ms(utcnow())
        venue = Venue(now_ms=now_ms, symbols=args.symbols)
        base_url = serve(venue)
        account = account_add(
            name="bench", base_url=base_url, api_key="k" * 64, api_secret="s" * 64, paper=True
        )

        # 1. The ledger, straight into the database (the venue has served it before).
        started = time.perf_counter()
        batch, trades = [], []
        for row in income_rows(
            venue,
            start_ms=now_ms - 90 * DAY_MS,
            end_ms=now_ms - DAY_MS // 2,
            count=args.rows,
            first_tran=1,
        ):
            amount = Decimal(row["income"])
            batch.append(
                IncomeRow(
                    account=account,
                    tran_id=row["tranId"],
                    income_type=row["incomeType"],
                    symbol=row["symbol"],
                    amount=amount,
                    amount_e8=int(amount * 100_000_000),
                    asset="USDT",
                    trade_id=row["tradeId"],
                    time=from_ms(row["time"]),
                    time_ms=row["time"],
                )
            )
            if row["incomeType"] == "REALIZED_PNL":  # its closed trade, published long ago
                trades.append(
                    Trade(
                        account=account,
                        tran_id=row["tranId"],
                        trade_id=row["tradeId"],
                        symbol=row["symbol"],
                        time=from_ms(row["time"]),
                        time_ms=row["time"],
                        realized_pnl=amount,
                        published_at=utcnow(),
                    )
                )
            if len(batch) == 20_000:
                IncomeRow.objects.bulk_create(batch)
                Trade.objects.bulk_create(trades)
                batch, trades = [], []
        IncomeRow.objects.bulk_create(batch)
        Trade.objects.bulk_create(trades)
        IncomeCursor.objects.create(account=account, cursor_ms=now_ms - DAY_MS // 2)
        print(
            f"ledger: {args.rows:,} rows generated in {time.perf_counter() - started:.1f} s; "
            f"{args.symbols} open positions"
        )
        # Rows inserted behind the ingestion's back: roll them up as migration 0002 does.
        started = time.perf_counter()
        backfill = importlib.import_module("apps.pnl.migrations.0002_income_day")
        backfill.income_days_backfill(django_apps, None)
        print(
            f"rollup backfill (migration 0002): {IncomeDay.objects.count():,} IncomeDay rows "
            f"in {time.perf_counter() - started:.1f} s"
        )

        # 2. Steady state: a poll with nothing new (first one warms caches and the cursor).
        services.account_poll(account_id=account.id)
        polls = []
        for _ in range(5):
            started = time.perf_counter()
            run = services.account_poll(account_id=account.id)
            polls.append((time.perf_counter() - started, run.http_ms / 1000, run.http_calls))
        bare = build_client(base_url=base_url, api_key="k", api_secret="s", timeout=10)
        cursor = IncomeCursor.objects.get(account=account).cursor_ms
        bare_times = []
        for _ in range(5):
            started = time.perf_counter()
            bare.futures_time()
            bare.futures_account()
            bare.futures_income_history(startTime=cursor, endTime=now_ms, limit=1000)
            bare_times.append(time.perf_counter() - started)
        poll_s = statistics.median(p[0] for p in polls)
        http_s = statistics.median(p[1] for p in polls)
        bare_s = statistics.median(bare_times)
        print(
            f"steady poll ({args.symbols} positions, {polls[0][2]} HTTP calls): "
            f"{poll_s * 1000:.1f} ms wall, of which HTTP {http_s * 1000:.1f} ms; bare "
            f"python-binance calls of the same requests {bare_s * 1000:.1f} ms"
        )

        # 3. Ingestion: a backlog of 20,000 rows in 1000-row pages.
        venue.now_ms = now_ms + 3_600_000  # an hour later, 20,000 rows waiting past the cursor
        backlog = list(
            income_rows(
                venue,
                start_ms=now_ms,
                end_ms=venue.now_ms - 120_000,
                count=20_000,
                first_tran=args.rows + 10,
            )
        )
        venue.income = backlog
        started, cpu = time.perf_counter(), time.thread_time()
        run = services.account_poll(account_id=account.id)
        elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
        # The poll's own CPU (this thread; the fake venue answers from others) next to the wall:
        # on a shared machine the wall time is mostly the neighbours'.
        print(
            f"ingestion: {run.rows_ingested:,} new rows in {run.pages} pages, {elapsed:.2f} s "
            f"= {run.rows_ingested / elapsed:,.0f} rows/s (HTTP {run.http_ms} ms); "
            f"CPU {cpu:.2f} s = {run.rows_ingested / cpu:,.0f} rows per CPU second"
        )
        assert PollRun.objects.filter(status="error").count() == 0

        # 4. The dashboard under 4 concurrent clients, next to a trivial authenticated view,
        # through the web process as `make up` runs it (its command line, its workers and
        # threads), over HTTP with a DRF token: the path a browser or a script takes.
        user = get_user_model().objects.create_user("bench", password=secrets.token_urlsafe(12))
        token = Token.objects.create(user=user).key
        # Every symbol's mark moves every second, as the stream process writes them from the
        # venue's markPrice@1s: each request re-marks the 200 open positions at marks newer
        # than the last poll, and no answer outlives its second of marks.
        marks_moving = threading.Event()

        def marks_publish(step: int) -> None:
            for n, symbol in enumerate(venue.symbols):
                mark_publish(
                    mark=MarkReport(
                        symbol=symbol,
                        mark_price=Decimal(102 + n) + Decimal(step % 7) / 100,
                        index_price=Decimal(102 + n),
                        funding_rate=Decimal("0.0001"),
                        next_funding_ms=now_ms + 8 * 3_600_000,
                        time_ms=to_ms(utcnow()),
                    )
                )

        def marks_stream() -> None:
            step = 0
            while not marks_moving.wait(1.0):
                step += 1
                marks_publish(step)

        marks_publish(0)
        web = web_start(workdir)
        mover = threading.Thread(target=marks_stream, daemon=True)
        mover.start()
        try:

            def load(path: str, requests_n: int = args.requests) -> list[float]:
                def worker(n: int) -> list[float]:
                    session = requests.Session()
                    session.headers["Authorization"] = f"Token {token}"
                    session.get(web.url + path, timeout=60)  # warm-up: the connection, the worker
                    out = []
                    for _ in range(n):
                        started = time.perf_counter()
                        response = session.get(web.url + path, timeout=60)
                        out.append((time.perf_counter() - started) * 1000)
                        assert response.status_code == 200, response.text[:200]
                    return out

                with ThreadPoolExecutor(4) as pool:
                    chunks = list(pool.map(worker, [requests_n // 4] * 4))
                return [t for chunk in chunks for t in chunk]

            trivial = load("/api/auth/me/")
            board = load("/api/rl-dashboard/?window=24h")
            board_all = load("/api/rl-dashboard/?window=all", 20)
        finally:
            marks_moving.set()
            mover.join()
            web.stop()
        print(f"trivial DRF view: p50 {pct(trivial, 0.5):.1f} ms p99 {pct(trivial, 0.99):.1f} ms")
        print(
            f"/api/rl-dashboard/?window=24h: p50 {pct(board, 0.5):.1f} ms "
            f"p99 {pct(board, 0.99):.1f} ms ({args.symbols} symbols)"
        )
        print(
            f"/api/rl-dashboard/?window=all: p50 {pct(board_all, 0.5):.1f} ms "
            f"p99 {pct(board_all, 0.99):.1f} ms ({args.rows + 20_000:,} ledger rows)"
        )
        # The goal is the tail: the dashboard's p99 within 3x the trivial view's.
        ratio = pct(board, 0.99) / pct(trivial, 0.99)
        print(
            f"RESULT name={pct(board, 0.99):.1f} baseline={pct(trivial, 0.99):.1f} "
            f"ratio={ratio:.2f}"
        )
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
