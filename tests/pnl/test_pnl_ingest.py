"""Income ingestion: paging, the durable cursor, crashes between pages, catch-up."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.exchange.errors import RetryableExchangeError
from apps.pnl import services
from apps.pnl.models import (
    AccountSnapshot,
    IncomeCursor,
    IncomeDay,
    IncomeRow,
    PollRun,
    Trade,
)
from tests.support.fake_binance import fill_row, income_row

pytestmark = pytest.mark.django_db

HOUR = 3_600_000


def _ledger(account):
    return sorted(IncomeRow.objects.filter(account=account).values_list("tran_id", "income_type"))


def _expected(rows):
    return sorted((r["tranId"], r["incomeType"]) for r in rows)


def test_it_stores_each_row_once_across_repeated_polls(desk_account, fake_venue, redis_client):
    now = fake_venue.now_ms
    fake_venue.rows = [income_row(i, now - 10_000 + i) for i in range(1, 6)]
    services.account_poll(account_id=desk_account.id)
    services.account_poll(account_id=desk_account.id)
    assert _ledger(desk_account) == _expected(fake_venue.rows)
    assert Trade.objects.filter(account=desk_account).count() == 5
    assert PollRun.objects.filter(status="ok").count() == 2


def test_it_pages_through_more_than_a_page_sharing_one_millisecond(
    desk_account, fake_venue, redis_client
):
    now = fake_venue.now_ms
    same = now - 5 * HOUR
    rows = [income_row(i, same, "COMMISSION", "-0.1") for i in range(1, 2501)]
    rows += [income_row(5000 + i, same + 1 + i, "FUNDING_FEE", "0.2") for i in range(1200)]
    fake_venue.rows = rows
    services.account_poll(account_id=desk_account.id)
    assert _ledger(desk_account) == _expected(rows)
    pages = [p for m, p in fake_venue.calls if m == "futures_income_history"]
    assert any(p.get("page") == 3 and p["startTime"] == same for p in pages)


def test_it_uses_the_last_row_time_as_the_next_start_and_dedupes_the_overlap(
    desk_account, fake_venue, redis_client, settings
):
    settings.PNL_INCOME_PAGE_LIMIT = 10
    now = fake_venue.now_ms
    # Four rows per millisecond: every page boundary splits a millisecond.
    rows = [income_row(i, now - HOUR + i // 4, "COMMISSION", "-0.01") for i in range(1, 95)]
    fake_venue.rows = rows
    services.account_poll(account_id=desk_account.id)
    assert _ledger(desk_account) == _expected(rows)
    assert IncomeRow.objects.count() == len(rows)


def test_it_catches_up_after_a_missed_day_from_the_durable_cursor(
    desk_account, fake_venue, redis_client, settings
):
    settings.PNL_INCOME_PAGE_LIMIT = 100
    now = fake_venue.now_ms
    first = [income_row(i, now - 30 * HOUR + i * 1000, "FUNDING_FEE", "0.5") for i in range(50)]
    fake_venue.rows = first
    fake_venue.now_ms = now - 29 * HOUR
    services.account_poll(account_id=desk_account.id)
    cursor = IncomeCursor.objects.get(account=desk_account).cursor_ms
    assert cursor == fake_venue.now_ms - settings.PNL_INCOME_SETTLE_SECONDS * 1000
    # A day without polls (and, over 10 days, more than one 7-day request span).
    later = [
        income_row(1000 + i, now - 28 * HOUR + i * 60_000, "COMMISSION", "-0.1")
        for i in range(1500)
    ]
    fake_venue.rows = first + later
    fake_venue.now_ms = now
    seen = len(fake_venue.calls)
    services.account_poll(account_id=desk_account.id)
    assert _ledger(desk_account) == _expected(first + later)
    starts = [p["startTime"] for m, p in fake_venue.calls[seen:] if m == "futures_income_history"]
    assert min(starts) == cursor  # the second poll started from the cursor


def test_it_loses_and_duplicates_nothing_when_a_poll_dies_between_pages(
    desk_account, fake_venue, redis_client, settings
):
    settings.PNL_INCOME_PAGE_LIMIT = 20
    settings.PNL_INCOME_LOOKBACK_DAYS = 1  # one request span: calls are time, account, pages
    now = fake_venue.now_ms
    rows = [income_row(i, now - HOUR + i * 7, "COMMISSION", "-0.01") for i in range(1, 101)]
    fake_venue.rows = rows
    # time, account, 3 pages; the 4th page request is read and its connection dropped unanswered
    fake_venue.drop_on_call = 6
    with pytest.raises(RetryableExchangeError, match="connection failed"):
        services.account_poll(account_id=desk_account.id)
    # Three pages committed; each next page starts at the previous page's last millisecond
    # (inclusive), so they hold 20 + 19 + 19 new rows. Nothing of the lost page, no snapshot.
    assert IncomeRow.objects.count() == 58
    assert IncomeCursor.objects.get(account=desk_account).cursor_ms == rows[57]["time"]
    assert not AccountSnapshot.objects.exists()
    run = PollRun.objects.get()
    assert run.status == "error" and "RetryableExchangeError" in run.error
    assert run.http_calls == 6  # the dropped request is counted by the real adapter
    # The failed run says what it committed before the connection dropped.
    assert (run.pages, run.rows_ingested) == (3, 58)
    fake_venue.drop_on_call = None
    services.account_poll(account_id=desk_account.id)
    assert _ledger(desk_account) == _expected(rows)


def test_it_links_each_trade_to_its_commission_even_across_pages(
    desk_account, fake_venue, redis_client, settings
):
    settings.PNL_INCOME_PAGE_LIMIT = 3
    now = fake_venue.now_ms
    rows = []
    for n in range(5):
        t = now - HOUR + n * 1000
        rows += [
            income_row(10 * n + 1, t, "REALIZED_PNL", "2.5", trade_id=str(n)),
            income_row(10 * n + 2, t, "COMMISSION", "-0.25", trade_id=str(n)),
        ]
    fake_venue.rows = rows
    services.account_poll(account_id=desk_account.id)
    trades = list(Trade.objects.order_by("time_ms"))
    assert [str(t.commission) for t in trades] == ["-0.25000000"] * 5
    assert all(t.published_at for t in trades)


def test_a_closed_trade_carries_the_funding_charged_since_the_previous_one(
    desk_account, fake_venue, redis_client, settings
):
    settings.PNL_INCOME_PAGE_LIMIT = 3  # pages split the story between funding and trades
    t = fake_venue.now_ms - 10 * HOUR
    fake_venue.rows = [
        income_row(1, t, "FUNDING_FEE", "-0.50000000"),
        income_row(2, t + 1, "FUNDING_FEE", "-9.00000000", symbol="ETHUSDT"),
        income_row(3, t + 2, "REALIZED_PNL", "4.00000000", trade_id="a"),  # gets -0.5
        income_row(4, t + 2, "REALIZED_PNL", "1.00000000", trade_id="b"),  # same ms: nothing left
        income_row(5, t + 3, "FUNDING_FEE", "-0.25000000"),
        income_row(6, t + 3, "FUNDING_FEE", "0.05000000"),
        income_row(7, t + 4, "REALIZED_PNL", "-2.00000000", trade_id="c"),  # gets -0.20
        income_row(8, t + 5, "FUNDING_FEE", "-1.00000000"),  # waits for the next reduction
        income_row(9, t + 6, "REALIZED_PNL", "3.00000000", symbol="ETHUSDT", trade_id="d"),
    ]
    services.account_poll(account_id=desk_account.id)
    funding = dict(Trade.objects.filter(account=desk_account).values_list("tran_id", "funding"))
    assert funding == {
        3: Decimal("-0.5"),
        4: Decimal(0),
        7: Decimal("-0.2"),
        9: Decimal("-9"),
    }
    # a later poll brings the next reduction: it gets the funding that waited for it
    later = fake_venue.now_ms + 1000
    fake_venue.rows.append(income_row(10, later, "REALIZED_PNL", "0.10000000", trade_id="e"))
    fake_venue.now_ms += HOUR
    services.account_poll(account_id=desk_account.id)
    assert Trade.objects.get(account=desk_account, tran_id=10).funding == Decimal("-1")
    btc = Trade.objects.filter(account=desk_account, symbol="BTCUSDT")
    assert sum(btc.values_list("funding", flat=True)) == Decimal("-1.70")


def test_it_enriches_every_closed_trade_of_a_backlog_longer_than_a_page_of_fills(
    desk_account, fake_venue, redis_client, settings
):
    settings.PNL_INCOME_PAGE_LIMIT = 1000
    start = fake_venue.now_ms - 2 * HOUR
    fills, rows, expected = [], [], {}
    for n in range(600):  # 1,200 fills: the closing fills past the first page of 1,000 too
        t, qty = start + 10 * n, f"0.00{n % 5 + 1}"
        entry, exit_ = Decimal(80_000 + n), Decimal(80_010 + n)
        realized = str((exit_ - entry) * Decimal(qty))
        fills += [
            fill_row(2 * n + 1, t, "BUY", qty, str(entry)),
            fill_row(2 * n + 2, t + 1, "SELL", qty, str(exit_), realized),
        ]
        rows.append(income_row(n + 1, t + 1, "REALIZED_PNL", realized, trade_id=str(2 * n + 2)))
        expected[n + 1] = ("LONG", Decimal(qty), exit_, entry)
    fake_venue.fills, fake_venue.rows = fills, rows
    services.account_poll(account_id=desk_account.id)
    got = {
        t.tran_id: (t.side, t.qty, t.exit_price, t.entry_price)
        for t in Trade.objects.filter(account=desk_account)
    }
    assert got == expected


@pytest.mark.django_db(transaction=True)  # two threads, two connections, real commits
def test_it_loses_and_duplicates_nothing_when_two_workers_ingest_one_account_at_once(
    desk_account, fake_venue, redis_client, settings
):
    # Without the task's lock (it expired, or two beats): both polls read the same pages at
    # once. Each row must be stored, rolled up and traded exactly once, and neither poll fail.
    # Pages of at least COPY_MIN_ROWS: on PostgreSQL they go through the COPY staging table.
    settings.PNL_INCOME_PAGE_LIMIT = 100
    now = fake_venue.now_ms
    kinds = ("REALIZED_PNL", "COMMISSION", "FUNDING_FEE")
    rows = [
        income_row(i, now - HOUR + i, kinds[i % 3], f"-0.0{i % 7 + 1}", trade_id=str(i // 3))
        for i in range(1, 601)
    ]
    fake_venue.rows = rows
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def poll() -> None:
        try:
            start.wait()
            services.account_poll(account_id=desk_account.id)
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=poll) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not errors, errors
    assert _ledger(desk_account) == _expected(rows)
    days = IncomeDay.objects.filter(account=desk_account)
    assert sum(d.row_count for d in days) == len(rows)
    assert sum(d.amount_e8 for d in days) == sum(
        IncomeRow.objects.filter(account=desk_account).values_list("amount_e8", flat=True)
    )
    realized = [r["tranId"] for r in rows if r["incomeType"] == "REALIZED_PNL"]
    assert sorted(Trade.objects.values_list("tran_id", flat=True)) == realized
    assert PollRun.objects.filter(status="ok").count() == 2
