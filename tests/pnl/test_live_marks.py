"""The dashboard re-marks open positions at the latest mark the stream process wrote, when it is
newer than the last poll's snapshot: unrealized PnL, notional, margin, ROE, rewards, equity and
the totals follow; the ledger's figures stay the poll's. An old or damaged mark changes nothing.
(Against the venue's own unRealizedProfit with the real stream process:
tests/exchange/test_stream_process.py.)"""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.core import jsoncodec, keys
from apps.core.timeutil import to_ms, utcnow
from apps.exchange import reports
from apps.exchange.reports import MarkReport
from apps.market.services import mark_publish
from apps.pnl import services
from tests.support.fake_binance import account_payload, income_row, position

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("u", password="pw-long-1"))
    return client


@pytest.fixture
def snapshot_ms(desk_account, redis_client):
    now = to_ms(utcnow()) - 5_000
    rows = [
        income_row(1, now - 3_600_000, "TRANSFER", "10000", symbol=""),
        income_row(2, now - 1_800_000, "REALIZED_PNL", "12", symbol="SOLUSDT", trade_id="4"),
    ]
    services.income_rows_store(account=desk_account, rows=reports.income_page_parse(rows))
    state = reports.account_parse(
        account_payload(
            wallet="10012",
            positions=[
                position("ETHUSDT", "0.5", "2000", "2050", leverage=5),  # +25
                position("BTCUSDT", "-0.01", "40000", "40100", leverage=10),  # -1
            ],
        )
    )
    services.snapshot_store(account=desk_account, state=state, exchange_ms=now)
    return now


def _mark(symbol: str, price: str, time_ms: int) -> None:
    p = Decimal(price)
    mark_publish(
        mark=MarkReport(
            symbol=symbol,
            mark_price=p,
            index_price=p,
            funding_rate=Decimal("0.0001"),
            next_funding_ms=0,
            time_ms=time_ms,
        )
    )


def _board(api) -> dict:
    return api.get("/api/rl-dashboard/", {"window": "24h"}).json()


def _d(value: str) -> Decimal:
    return Decimal(value)


def test_a_mark_newer_than_the_snapshot_re_marks_the_open_positions(api, snapshot_ms):
    before = _board(api)
    assert before["marks_as_of"] is None
    _mark("ETHUSDT", "2100", snapshot_ms + 1_000)
    _mark("BTCUSDT", "39000", snapshot_ms + 2_000)
    _mark("SOLUSDT", "150", snapshot_ms + 2_000)  # flat: nothing to re-mark
    board = _board(api)
    rows = {r["symbol"]: r for r in board["symbols"]}
    eth, btc, sol = rows["ETHUSDT"], rows["BTCUSDT"], rows["SOLUSDT"]
    # worked by hand: amount x (mark - entry), |amount x mark| / leverage
    assert _d(eth["mark_price"]) == 2100 and _d(eth["unrealized_pnl"]) == 50
    assert _d(eth["notional"]) == 1050 and _d(eth["initial_margin"]) == 210
    assert _d(eth["unrealized_pct"]) == (Decimal(50) / 210 * 100).quantize(Decimal("1E-8"))
    assert _d(btc["unrealized_pnl"]) == 10 and _d(btc["notional"]) == -390
    assert _d(btc["initial_margin"]) == 39 and btc["side"] == "SHORT"
    assert _d(sol["mark_price"]) == 0 and _d(sol["realized_pnl"]) == 12
    totals, old = board["totals"], before["totals"]
    assert _d(totals["unrealized_pnl"]) == 60 and _d(totals["initial_margin"]) == 249
    assert _d(totals["equity"]) == _d(old["equity"]) + 60 - 24
    assert totals["wallet_balance"] == old["wallet_balance"]
    assert totals["realized_pnl"] == old["realized_pnl"]
    # the rewards follow the new ROE
    rewards = {r["symbol"]: _d(r["unrealized_pct"]) + _d(r["realized_pct"]) for r in rows.values()}
    assert board["best_performer"] == max(rewards, key=lambda s: (rewards[s], s))
    assert board["marks_as_of"].startswith(before["as_of"][:10])
    assert board["as_of"] == before["as_of"]  # the ledger's time is still the poll's


def test_a_mark_older_than_the_snapshot_changes_nothing(api, snapshot_ms):
    before = _board(api)
    _mark("ETHUSDT", "2100", snapshot_ms - 1)
    after = _board(api)
    assert after["marks_as_of"] is None
    assert after["symbols"] == before["symbols"] and after["totals"] == before["totals"]


def test_a_damaged_mark_hash_is_ignored_and_the_answer_still_comes(api, snapshot_ms, redis_client):
    before = _board(api)
    redis_client.hset(
        keys.MARKET_MARKS,
        "ETHUSDT",
        jsoncodec.dumps({"symbol": "ETHUSDT", "mark_price": "lots", "time": str(snapshot_ms + 9)}),
    )
    _mark("BTCUSDT", "39000", snapshot_ms + 9)
    board = _board(api)
    rows = {r["symbol"]: r for r in board["symbols"]}
    eth_before = next(r for r in before["symbols"] if r["symbol"] == "ETHUSDT")
    assert rows["ETHUSDT"] == eth_before  # the poll's figures, not a guess
    assert _d(rows["BTCUSDT"]["unrealized_pnl"]) == 10
