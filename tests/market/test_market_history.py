"""The durable funding and basis history the model features read: one funding row per symbol and
funding time (updated by each publish), one basis row per cross-exchange check."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.exchange.reports import mark_parse
from apps.market import selectors
from apps.market.models import BasisObservation, FundingRate
from apps.market.services import cross_exchange_check, funding_store
from tests.support.fake_gateway import FakeGateway

pytestmark = pytest.mark.django_db


def _mark(rate: str, time_ms: int, next_funding: int) -> dict:
    return {
        "symbol": "BTCUSDT",
        "markPrice": "40000",
        "indexPrice": "39990",
        "lastFundingRate": rate,
        "nextFundingTime": next_funding,
        "time": time_ms,
    }


def test_funding_is_one_row_per_funding_time_with_its_last_observed_rate():
    funding_store(mark=mark_parse(_mark("0.0001", 1_000, 28_800_000)))
    funding_store(mark=mark_parse(_mark("0.00015", 61_000, 28_800_000)))
    funding_store(mark=mark_parse(_mark("-0.0002", 28_861_000, 57_600_000)))
    rows = list(FundingRate.objects.values_list("funding_time_ms", "rate", "observed_ms"))
    assert rows == [
        (28_800_000, Decimal("0.00015"), 61_000),
        (57_600_000, Decimal("-0.0002"), 28_861_000),
    ]
    # As of a time: the rates settled by then, from the one last settled at since_ms; the
    # coming funding time's rate (read live, not settled yet) is not among them.
    assert selectors.funding_history(symbol="BTCUSDT", until_ms=100_000, since_ms=70_000) == []
    assert selectors.funding_history(
        symbol="BTCUSDT", until_ms=60_000_000, since_ms=30_000_000
    ) == [(28_800_000, Decimal("0.00015")), (57_600_000, Decimal("-0.0002"))]


def test_each_cross_exchange_check_stores_a_signed_basis_row(redis_client):
    venue = FakeGateway(prices={"BTCUSDT": "40040", "ETHUSDT": "1998"})
    reference = FakeGateway(prices={"BTCUSDT": "40000", "ETHUSDT": "2000"})
    for _ in range(2):
        cross_exchange_check(
            venue=venue,
            reference=reference,
            symbols=["BTCUSDT", "ETHUSDT"],
            threshold_bps=Decimal("50"),
        )
    btc = list(BasisObservation.objects.filter(symbol="BTCUSDT"))
    eth = BasisObservation.objects.filter(symbol="ETHUSDT").first()
    assert len(btc) == 2 and btc[0].basis == Decimal(40) and btc[0].basis_bps == Decimal(10)
    assert eth.basis_bps == Decimal(-10) and eth.time_ms > 0
