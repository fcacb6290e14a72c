"""Each module gets a real paper exchange subprocess; each test its own funded account."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from binance.client import Client

from tests.support.paper_exchange import PaperExchange

# Generous limits: only the rate-limit tests exercise Binance's defaults.
UNLIMITED = ["--weight-limit", "1000000", "--order-limit-10s", "100000",
             "--order-limit-1m", "100000"]
_names = itertools.count(1)


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperExchange]:
    exchange = PaperExchange(tmp_path_factory.mktemp("venue"), extra_args=UNLIMITED)
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture
def account(venue: PaperExchange) -> dict[str, Any]:
    return venue.create_account(f"trader{next(_names)}", balance="10000")


@pytest.fixture
def client(venue: PaperExchange, account: dict[str, Any]) -> Client:
    return venue.client(account)
