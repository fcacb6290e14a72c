"""PAPER_EXCHANGE_* settings (from the environment) configure `manage.py paper_exchange`; a
flag given on the command line wins over its setting."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from tests.support.paper_exchange import market


def clock(venue) -> dict:
    return requests.get(f"{venue.base_url}/paper/v1/clock", timeout=5).json()


def test_the_speed_setting_is_honoured_without_the_flag(monkeypatch, venue_factory):
    monkeypatch.setenv("PAPER_EXCHANGE_SPEED", "60")
    assert clock(venue_factory())["speed"] == 60


def test_the_speed_flag_wins_over_the_setting(monkeypatch, venue_factory):
    monkeypatch.setenv("PAPER_EXCHANGE_SPEED", "60")
    assert clock(venue_factory(speed=2))["speed"] == 2


def test_fee_settings_reach_the_venue(monkeypatch, venue_factory):
    monkeypatch.setenv("PAPER_EXCHANGE_TAKER_FEE", "0.0004")
    venue = venue_factory()
    client = venue.client(venue.create_account("fees", balance="1000"))
    market(client, "BTCUSDT", "BUY", "0.002")
    trade = client.futures_account_trades(symbol="BTCUSDT")[0]
    fee = Decimal(trade["price"]) * Decimal(trade["qty"]) * Decimal("0.0004")
    assert Decimal(trade["commission"]) == fee.quantize(Decimal("0.00000001"))


def test_a_speed_that_is_not_positive_stops_the_command(monkeypatch, venue_factory):
    monkeypatch.setenv("PAPER_EXCHANGE_SPEED", "0")
    with pytest.raises(RuntimeError, match="speed must be > 0"):
        venue_factory()
