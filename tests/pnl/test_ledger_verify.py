"""The check of the ledger and positions against the exchange's own records (ledger_verify).

The ledger and the snapshot are stored by a real poll of the scripted venue (fake_binance over
HTTP); then the test database or the venue is changed behind the desk's back, and the check
must name the figure that differs and by how much."""

from decimal import Decimal

import pytest

from apps.exchange.errors import PayloadError
from apps.pnl import services
from apps.pnl.models import IncomeRow, LedgerCheck
from tests.support.fake_binance import account_payload, income_row, position

pytestmark = pytest.mark.django_db
HOUR = 3_600_000


@pytest.fixture
def polled(desk_account, fake_venue, redis_client):
    """Ten hours of income of every kind and one open position, polled into the ledger."""
    now = fake_venue.now_ms
    fake_venue.rows = [
        income_row(1, now - 10 * HOUR, "TRANSFER", "10000", symbol=""),
        income_row(2, now - 5 * HOUR, "COMMISSION", "-0.4", trade_id="7"),
        income_row(3, now - 4 * HOUR, "REALIZED_PNL", "12.5", trade_id="8"),
        income_row(4, now - 4 * HOUR, "COMMISSION", "-0.5", trade_id="8"),
        income_row(5, now - 2 * HOUR, "FUNDING_FEE", "-1.25", symbol="ETHUSDT"),
        income_row(6, now - HOUR, "REALIZED_PNL", "-3", symbol="ETHUSDT", trade_id="9"),
    ]
    fake_venue.account = account_payload(
        wallet="10007.35", positions=[position("BTCUSDT", "0.01", "40000", "40100")]
    )
    services.account_poll(account_id=desk_account.id)
    return desk_account


def _differences(check: LedgerCheck) -> list[tuple[str, str, str, str, str, str, str]]:
    return sorted(
        (d["kind"], d["key"], d["figure"], d["record"], d["ours"], d["exchange"], d["delta"])
        for d in check.differences
    )


def test_it_reports_a_match_with_both_sides_figures(polled):
    check = services.ledger_verify(account=polled)
    assert check.status == "match" and check.differences == [] and check.error == ""
    by_type = {r["income_type"]: r for r in check.income}
    assert by_type["COMMISSION"] == {
        "income_type": "COMMISSION",
        "exchange_count": 2,
        "exchange_sum": "-0.90000000",
        "ledger_count": 2,
        "ledger_sum": "-0.90000000",
        "rollup_count": 2,
        "rollup_sum": "-0.90000000",
    }
    assert sorted(by_type) == ["COMMISSION", "FUNDING_FEE", "REALIZED_PNL", "TRANSFER"]
    assert by_type["REALIZED_PNL"]["ledger_sum"] == "9.50000000"
    assert check.positions == [
        {
            "symbol": "BTCUSDT",
            "snapshot_amount": "0.01",
            "snapshot_entry": "40000.00000000",
            "exchange_amount": "0.01",
            "exchange_entry": "40000.00000000",
        }
    ]
    assert check.checked_at is not None and check.http_calls >= 3


def test_it_shows_a_deleted_ledger_row_as_its_types_count_and_sum(polled):
    IncomeRow.objects.filter(account=polled, tran_id=4).delete()
    check = services.ledger_verify(account=polled)
    assert check.status == "differs"
    # The raw ledger lost the row; the daily rollup (what the figures read) still counts it.
    assert _differences(check) == [
        ("income", "COMMISSION", "count", "ledger", "1", "2", "-1"),
        ("income", "COMMISSION", "sum", "ledger", "-0.40000000", "-0.90000000", "0.50000000"),
    ]


def test_it_shows_an_altered_amount_as_a_sum_difference_only(polled):
    IncomeRow.objects.filter(account=polled, tran_id=3).update(
        amount=Decimal("21.5"), amount_e8=2_150_000_000
    )
    check = services.ledger_verify(account=polled)
    assert _differences(check) == [
        ("income", "REALIZED_PNL", "sum", "ledger", "18.50000000", "9.50000000", "9.00000000"),
    ]


def test_it_shows_a_row_the_venue_published_late_in_the_ledger_and_the_rollup(polled, fake_venue):
    # Published after the poll passed its time: neither the rows nor the rollup have it.
    fake_venue.rows.append(income_row(99, fake_venue.now_ms - 3 * HOUR, "FUNDING_FEE", "0.75"))
    check = services.ledger_verify(account=polled)
    assert _differences(check) == [
        ("income", "FUNDING_FEE", "count", "ledger", "1", "2", "-1"),
        ("income", "FUNDING_FEE", "count", "rollup", "1", "2", "-1"),
        ("income", "FUNDING_FEE", "sum", "ledger", "-1.25000000", "-0.50000000", "-0.75000000"),
        ("income", "FUNDING_FEE", "sum", "rollup", "-1.25000000", "-0.50000000", "-0.75000000"),
    ]


def test_it_shows_a_position_amount_and_entry_difference(polled, fake_venue):
    fake_venue.account = account_payload(
        wallet="10007.35",
        positions=[
            position("BTCUSDT", "0.03", "40200.5", "40100"),
            position("ETHUSDT", "-0.5", "2000", "2010"),  # the snapshot has no ETHUSDT
        ],
    )
    check = services.ledger_verify(account=polled)
    pos = ("position", "BTCUSDT")
    eth = ("position", "ETHUSDT")
    assert _differences(check) == [
        (*pos, "amount", "snapshot", "0.01", "0.03", "-0.02"),
        (*pos, "entry", "snapshot", "40000.00000000", "40200.50000000", "-200.50000000"),
        (*eth, "amount", "snapshot", "0", "-0.5", "0.5"),
        (*eth, "entry", "snapshot", "0.00000000", "2000.00000000", "-2000.00000000"),
    ]
    assert check.unsettled == []


def test_it_leaves_a_symbol_filled_since_the_snapshot_for_the_next_check(polled, fake_venue):
    # A fill after the poll: the venue's position moved and its commission row says so.
    fake_venue.rows.append(income_row(50, fake_venue.now_ms + 5_000, "COMMISSION", "-0.2"))
    fake_venue.now_ms += 10_000
    fake_venue.account = account_payload(
        wallet="10007.15", positions=[position("BTCUSDT", "0.02", "40050", "40100")]
    )
    check = services.ledger_verify(account=polled)
    assert check.status == "match" and check.unsettled == ["BTCUSDT"]
    assert check.positions[0]["exchange_amount"] == "0.02"


def test_it_counts_rows_read_twice_across_page_boundaries_once(
    desk_account, fake_venue, redis_client, settings
):
    settings.PNL_INCOME_PAGE_LIMIT = 10
    now = fake_venue.now_ms
    # Four rows per millisecond: every page boundary splits a millisecond.
    fake_venue.rows = [
        income_row(i, now - HOUR + i // 4, "COMMISSION", "-0.01") for i in range(1, 95)
    ]
    services.account_poll(account_id=desk_account.id)
    check = services.ledger_verify(account=desk_account)
    assert check.status == "match"
    (commission,) = check.income
    assert (commission["exchange_count"], commission["exchange_sum"]) == (94, "-0.94000000")


def test_it_rejects_a_bad_payload_keeps_the_last_comparison_and_records_the_error(
    polled, fake_venue
):
    first = services.ledger_verify(account=polled)
    ledger_before = list(IncomeRow.objects.order_by("id").values_list("tran_id", "amount_e8"))
    bad = income_row(77, fake_venue.now_ms - 2 * HOUR, "COMMISSION", "NaN")
    fake_venue.rows.append(bad)
    with pytest.raises(PayloadError, match=r"income\[\d+\]\.income: 'NaN' is not finite"):
        services.ledger_verify(account=polled)
    after = LedgerCheck.objects.get(account=polled)
    assert (after.checked_at, after.status, after.income, after.differences) == (
        first.checked_at,
        "match",
        first.income,
        [],
    )
    assert "'NaN' is not finite" in after.error and after.error_at is not None
    assert list(IncomeRow.objects.order_by("id").values_list("tran_id", "amount_e8")) == (
        ledger_before
    )
    # The next good check clears the error.
    fake_venue.rows.remove(bad)
    assert services.ledger_verify(account=polled).error == ""


def test_it_has_nothing_to_check_before_the_first_poll(desk_account, fake_venue):
    assert services.ledger_verify(account=desk_account) is None
    assert not LedgerCheck.objects.exists() and fake_venue.calls == []
