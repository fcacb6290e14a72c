"""Fixtures of the intelligence tests: a fast paper venue with a fixed price seed, and its
klines loaded into the desk's kline store through the market app (as the desk loads them)."""

from __future__ import annotations

import time

import pytest
import requests

from apps.exchange.gateway import public_gateway
from apps.market.services import klines_fetch_range, klines_store
from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange

SEED = 20260107
SPEED = 40000  # one wall second = 11 exchange hours: regimes (mean 6 h) change while we watch
MINUTE_MS = 60_000


@pytest.fixture(scope="session")
def fast_venue(tmp_path_factory):
    venue = PaperExchange(
        tmp_path_factory.mktemp("intel-venue"),
        speed=SPEED,
        extra_args=[*NO_RATE_LIMITS, "--seed", str(SEED)],
    )
    venue.start()
    yield venue
    venue.stop()


@pytest.fixture(scope="session")
def regime_labels(fast_venue) -> list[dict]:
    """The venue's own regime labels, sampled while its clock runs: (symbol, regime, time)."""
    labels: list[dict] = []
    deadline = time.monotonic() + 6.0
    while time.monotonic() < deadline:
        labels += requests.get(f"{fast_venue.base_url}/paper/v1/regime", timeout=5).json()
        time.sleep(0.05)
    return labels


def load_klines(venue: PaperExchange, symbol: str, start_ms: int, end_ms: int) -> list:
    public = public_gateway(base_url=venue.base_url)
    rows = klines_fetch_range(
        venue=public, symbol=symbol, interval="1m", start_ms=start_ms, end_ms=end_ms, now_ms=end_ms
    )
    klines_store(klines=rows)
    return rows


def venue_now_ms(venue: PaperExchange) -> int:
    return requests.get(f"{venue.base_url}/fapi/v1/time", timeout=5).json()["serverTime"]
