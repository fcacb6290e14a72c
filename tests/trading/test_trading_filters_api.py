"""Server-side filters of /api/trading/intents/ and /api/trading/orders/: symbol, side and
state/status narrow the rows and `count` counts the filtered rows; a bad value is a 400 that
names the field and what it accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.exchange.models import ExchangeAccount
from apps.trading.models import ExchangeOrder, IntentAction, Position, PositionIntent

pytestmark = pytest.mark.django_db

INTENTS = [  # symbol, side, state
    ("BTCUSDT", "BUY", "FILLED"),
    ("BTCUSDT", "SELL", "FILLED"),
    ("BTCUSDT", "BUY", "REJECTED"),
    ("ETHUSDT", "SELL", "FILLED"),
    ("ETHUSDT", "BUY", "NEW"),
]
ORDERS = [  # symbol, side, status
    ("BTCUSDT", "BUY", "FILLED"),
    ("BTCUSDT", "SELL", "CANCELED"),
    ("ETHUSDT", "SELL", "FILLED"),
    ("ETHUSDT", "BUY", "EXPIRED"),
]


def _account(name: str) -> ExchangeAccount:
    return ExchangeAccount.objects.create(
        name=name, venue="paper", base_url="http://127.0.0.1:9", api_key_encrypted="unused"
    )


@pytest.fixture
def seeded(db) -> None:
    account = _account("filters")
    for symbol, side, state in INTENTS:
        PositionIntent.objects.create(
            account=account,
            symbol=symbol,
            side=side,
            action=IntentAction.OPEN,
            quantity=Decimal("0.010"),
            reason="test",
            state=state,
        )
    for n, (symbol, side, status) in enumerate(ORDERS, start=1):
        ExchangeOrder.objects.create(
            account=account,
            symbol=symbol,
            order_id=1000 + n,
            side=side,
            type="MARKET",
            status=status,
            orig_qty=Decimal("0.010"),
            executed_qty=Decimal("0.010"),
            avg_price=Decimal("60000.5"),
            update_time=datetime(2024, 1, 1, tzinfo=UTC),
        )


def _rows(api: APIClient, url: str) -> dict:
    response = api.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def test_it_filters_intents_by_side(api, seeded):
    body = _rows(api, "/api/trading/intents/?side=SELL")
    assert body["count"] == 2
    assert {r["side"] for r in body["results"]} == {"SELL"}


def test_it_combines_intent_filters_and_counts_the_filtered_rows(api, seeded):
    body = _rows(api, "/api/trading/intents/?symbol=btcusdt&side=buy&state=filled")
    assert body["count"] == 1
    assert [(r["symbol"], r["side"], r["state"]) for r in body["results"]] == [
        ("BTCUSDT", "BUY", "FILLED")
    ]


def test_it_counts_every_match_past_the_limit(api, seeded):
    body = _rows(api, "/api/trading/intents/?symbol=BTCUSDT&limit=2")
    assert body["count"] == 3 and len(body["results"]) == 2
    ids = [r["id"] for r in body["results"]]
    assert ids == sorted(ids, reverse=True)  # newest first


def test_it_filters_orders_by_symbol_side_and_status(api, seeded):
    assert _rows(api, "/api/trading/orders/?symbol=ETHUSDT")["count"] == 2
    assert _rows(api, "/api/trading/orders/?side=BUY")["count"] == 2
    body = _rows(api, "/api/trading/orders/?status=FILLED&side=SELL")
    assert body["count"] == 1
    assert body["results"][0]["symbol"] == "ETHUSDT"
    assert body["results"][0]["avg_price"] == "60000.50000000"  # money as a decimal string


def test_it_treats_empty_filters_as_none(api, seeded):
    assert _rows(api, "/api/trading/orders/?symbol=&side=&status=")["count"] == len(ORDERS)


@pytest.mark.parametrize(
    ("url", "field", "allowed"),
    [
        ("/api/trading/intents/?side=LONG", "side", "BUY, SELL"),
        ("/api/trading/intents/?state=DONE", "state", "NEW, APPROVED, REJECTED"),
        ("/api/trading/orders/?side=buyy", "side", "BUY, SELL"),
        ("/api/trading/orders/?status=OPEN", "status", "NEW, PARTIALLY_FILLED, FILLED, CANCELED"),
        ("/api/trading/orders/?symbol=BTC-USDT", "symbol", "2-32 letters or digits"),
        ("/api/trading/intents/?limit=0", "limit", "greater than or equal to 1"),
    ],
)
def test_it_refuses_a_bad_filter_naming_the_field_and_allowed_values(api, url, field, allowed):
    response = api.get(url)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert allowed in body[field][0]


def test_it_lists_one_accounts_rows_on_request_and_every_accounts_by_default(api, seeded):
    first = ExchangeAccount.objects.get(name="filters")
    other = _account("filters-b")
    PositionIntent.objects.create(
        account=other,
        symbol="SOLUSDT",
        side="BUY",
        action=IntentAction.OPEN,
        quantity=Decimal("1"),
        reason="test",
    )
    opened = datetime(2024, 1, 1, tzinfo=UTC)
    for account, symbol in ((first, "BTCUSDT"), (other, "BTCUSDT"), (other, "ETHUSDT")):
        Position.objects.create(
            account=account,
            symbol=symbol,
            amount=Decimal("0.010"),
            entry_price=Decimal("60000"),
            mark_price=Decimal("60010"),
            unrealized_pnl=Decimal("0.1"),
            opened_at=opened,
        )
    for url, total, of_other in (
        ("/api/trading/intents/", len(INTENTS) + 1, 1),
        ("/api/trading/orders/", len(ORDERS), 0),
        ("/api/trading/positions/", 3, 2),
    ):
        for everyone in (url, f"{url}?account=all"):
            assert _rows(api, everyone)["count"] == total, everyone
        body = _rows(api, f"{url}?account={other.id}")
        assert body["count"] == of_other, url
        assert {r["account"] for r in body["results"]} <= {"filters-b"}
        refused = api.get(f"{url}?account=424242")
        assert (
            refused.status_code == 400
            and "No exchange account with id 424242" in (refused.json()["account"][0])
        )
