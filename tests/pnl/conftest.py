"""PnL fixtures: a registered desk account whose venue is a scripted Binance served over real
HTTP (tests/support/fake_binance.py), so the poll goes through our real adapter and
python-binance. Payload builders live there too."""

from __future__ import annotations

import pytest

from tests.support.fake_binance import FakeBinance, FakeVenue

DESK_API_KEY = "k" * 64


@pytest.fixture(scope="session")
def fake_binance():
    with FakeBinance() as server:
        yield server


@pytest.fixture
def fake_venue(fake_binance):
    """A fresh FakeVenue behind the fake Binance's HTTP port: the desk account's venue."""
    venue = FakeVenue(now_ms=1_700_000_000_000, api_key=DESK_API_KEY)
    fake_binance.install(venue)
    yield venue
    fake_binance.install(None)
    assert not venue.unexpected, f"requests the fake venue has no route for: {venue.unexpected}"


@pytest.fixture
def desk_account(db, fake_binance, fake_venue):
    from apps.exchange.services import account_add

    return account_add(
        name="desk",
        base_url=fake_binance.base_url,
        api_key=DESK_API_KEY,
        api_secret="s" * 64,
        paper=True,
    )
