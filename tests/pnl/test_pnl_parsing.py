"""Strict payload validation: a bad payload changes nothing and says which field was bad."""

import logging
from decimal import Decimal

import pytest

from apps.exchange import reports
from apps.exchange.errors import PayloadError
from apps.pnl import services
from apps.pnl.models import AccountSnapshot, IncomeCursor, IncomeRow, PollRun
from tests.support.fake_binance import account_payload, income_row, position


def test_it_derives_mark_and_notional_exactly_from_account_v2():
    state = reports.account_parse(
        account_payload(
            positions=[
                position("BTCUSDT", "-0.010", "40300.0", "40288.4"),
                position("ETHUSDT", "0.300", "2000.00", "2049.87", leverage=5),
            ]
        )
    )
    btc, eth = state.positions
    assert btc.mark_price == Decimal("40288.4") and btc.notional == Decimal("-402.884")
    assert btc.unrealized_pnl == Decimal("0.116")
    assert eth.unrealized_pnl == Decimal("14.961") and eth.leverage == 5


def test_it_skips_flat_positions():
    state = reports.account_parse(account_payload(positions=[position("BTCUSDT", "0", "0", "1")]))
    assert state.positions == ()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("totalWalletBalance"), "account.totalWalletBalance: missing"),
        (lambda d: d.update(availableBalance="abc"), "'abc' is not a number"),
        (lambda d: d.update(totalMarginBalance="NaN"), "'NaN' is not finite"),
        (
            lambda d: d["positions"][0].update(unrealizedProfit="Infinity"),
            "positions[0].unrealizedProfit: 'Infinity' is not finite",
        ),
        (lambda d: d["positions"][0].update(positionAmt=1.5), "1.5 is not a decimal string"),
        (lambda d: d["positions"][0].update(leverage="ten"), "leverage: 'ten' is not an integer"),
        (lambda d: d.update(positions="nope"), "positions: 'nope' is not a list"),
    ],
)
def test_it_rejects_a_bad_account_payload_naming_field_and_value(mutate, message):
    doc = account_payload(positions=[position("BTCUSDT", "0.01", "40000", "40100")])
    mutate(doc)
    with pytest.raises(PayloadError, match=message.replace("[", r"\[").replace("]", r"\]")):
        reports.account_parse(doc)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("income", "NaN", "'NaN' is not finite"),
        ("income", "1.123456789", "more than 8 decimal places"),
        ("tranId", "x1", "tranId: 'x1' is not an integer"),
        ("time", None, "time: None is not an integer"),
        ("incomeType", "", "incomeType: empty"),
    ],
)
def test_it_rejects_a_bad_income_row(field, value, message):
    row = income_row(1, 1_700_000_000_000)
    row[field] = value
    with pytest.raises(PayloadError, match=message):
        reports.income_page_parse([income_row(2, 1_700_000_000_000), row])


@pytest.mark.django_db
def test_it_changes_nothing_on_a_bad_account_payload_and_logs_it(
    desk_account, fake_venue, redis_client, caplog
):
    fake_venue.rows = [income_row(1, fake_venue.now_ms - 1000)]
    fake_venue.account = account_payload(positions=[position("BTCUSDT", "0.01", "4e4", "4.1e4")])
    fake_venue.account["positions"][0]["entryPrice"] = "NaN"
    with caplog.at_level(logging.ERROR), pytest.raises(PayloadError):
        services.account_poll(account_id=desk_account.id)
    assert "account.positions[0].entryPrice: 'NaN' is not finite" in caplog.text
    assert "account=desk" in caplog.text
    assert not IncomeRow.objects.exists()
    assert not AccountSnapshot.objects.exists()
    assert not IncomeCursor.objects.exists()
    assert redis_client.keys("quantum:rl:*") == []
    run = PollRun.objects.get()
    assert run.status == "error" and "entryPrice" in run.error


@pytest.mark.django_db
def test_it_stores_no_row_of_a_bad_income_page(desk_account, fake_venue, redis_client):
    good = income_row(1, fake_venue.now_ms - 2000)
    bad = income_row(2, fake_venue.now_ms - 1000, amount="Infinity")
    fake_venue.rows = [good, bad]
    with pytest.raises(PayloadError, match="income\\[1\\].income: 'Infinity' is not finite"):
        services.account_poll(account_id=desk_account.id)
    assert not IncomeRow.objects.exists()
    # Earlier, empty request spans of the catch-up may advance the cursor; never past the page.
    cursor = IncomeCursor.objects.filter(account=desk_account).first()
    assert cursor is None or cursor.cursor_ms <= good["time"]


@pytest.mark.parametrize(
    "change",
    [
        {},  # the venue's own shape: the plain path
        {"income": "1.5"},
        {"income": "-0"},
        {"income": " 2.25 "},  # the strict path strips, Decimal too
        {"income": "1E+2"},
        {"income": 3},  # an integer amount: the strict path
        {"tradeId": 77},  # an integer tradeId: the strict path
        {"info": "x" * 300},
    ],
)
def test_it_reads_a_well_formed_income_row_as_the_strict_parser_does(change):
    # The plain path (no helper per field) takes only rows the strict one accepts, and gives
    # the same report; anything else is the strict parser's.
    raw = {**income_row(7, 1_700_000_000_000, "COMMISSION", "-0.01234567", trade_id="5"), **change}
    assert reports.income_page_parse([raw]) == [reports._income_row(raw, "income[0]")]
