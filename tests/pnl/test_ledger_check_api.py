"""GET /api/pnl/ledger-check/: the last check against the exchange, its age and differences."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from apps.core.timeutil import from_ms, utcnow
from apps.pnl import services
from apps.pnl.models import IncomeRow, LedgerCheck
from tests.support.fake_binance import income_row

pytestmark = pytest.mark.django_db
URL = "/api/pnl/ledger-check/"


def test_it_wants_a_login(desk_account):
    assert APIClient().get(URL).status_code in (401, 403)


def test_it_says_never_before_the_first_check(api, desk_account):
    body = api.get(URL).json()
    assert body["status"] == "never" and body["age_seconds"] is None
    assert (body["checked_at"], body["since"], body["income"], body["differences"]) == (
        None,
        None,
        [],
        [],
    )
    assert body["interval_seconds"] == 300 and body["error"] == ""


def test_it_shows_the_differing_figures_and_the_checks_age(
    api, desk_account, fake_venue, redis_client
):
    now = fake_venue.now_ms
    fake_venue.rows = [
        income_row(1, now - 3_600_000, "COMMISSION", "-0.25"),
        income_row(2, now - 3_000_000, "COMMISSION", "-0.5"),
    ]
    services.account_poll(account_id=desk_account.id)
    IncomeRow.objects.filter(tran_id=2).delete()
    services.ledger_verify(account=desk_account)
    LedgerCheck.objects.update(checked_at=utcnow() - timedelta(seconds=12))

    body = api.get(URL, {"account": desk_account.id}).json()
    assert body["status"] == "differs" and 12 <= body["age_seconds"] <= 14
    assert body["differences"] == [
        {
            "kind": "income",
            "account": "desk",
            "key": "COMMISSION",
            "figure": "count",
            "record": "ledger",
            "ours": "1",
            "exchange": "2",
            "delta": "-1",
        },
        {
            "kind": "income",
            "account": "desk",
            "key": "COMMISSION",
            "figure": "sum",
            "record": "ledger",
            "ours": "-0.25000000",
            "exchange": "-0.75000000",
            "delta": "0.50000000",
        },
    ]
    check = LedgerCheck.objects.get()
    assert body["until"] == from_ms(check.until_ms).isoformat().replace("+00:00", "Z")
    assert body["income"][0]["exchange_sum"] == "-0.75000000"


def test_it_refuses_an_unknown_account(api):
    answer = api.get(URL, {"account": 999})
    assert answer.status_code == 400 and "account" in answer.json()


def test_the_admin_lists_checks_and_allows_no_edit(admin_client, desk_account):
    LedgerCheck.objects.create(account=desk_account, checked_at=utcnow(), status="match")
    page = admin_client.get("/admin/pnl/ledgercheck/")
    assert page.status_code == 200 and b"match" in page.content
    assert admin_client.get("/admin/pnl/ledgercheck/add/").status_code == 403
