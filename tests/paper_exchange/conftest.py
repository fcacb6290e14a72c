"""Each module gets a real paper exchange subprocess; each test its own funded account."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from binance.client import Client

from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange

_names = itertools.count(1)
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The venue keeps its own SQLite store: a test here that does not ask for the desk's
    database never meets it, so `.ci/run` runs it in one of its two passes, not both."""
    for item in items:
        if item.path.is_relative_to(HERE) and item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.dbless)


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperExchange]:
    exchange = PaperExchange(tmp_path_factory.mktemp("venue"), extra_args=NO_RATE_LIMITS)
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture
def account(venue: PaperExchange) -> dict[str, Any]:
    return venue.create_account(f"trader{next(_names)}", balance="10000")


@pytest.fixture
def client(venue: PaperExchange, account: dict[str, Any]) -> Client:
    return venue.client(account)


@pytest.fixture
def venue_factory(tmp_path: Path) -> Iterator[Callable[..., PaperExchange]]:
    """Start venues with their own flags; every one is stopped after the test."""
    started: list[PaperExchange] = []

    def make(*args: str, speed: float | None = None, limits: bool = False) -> PaperExchange:
        extra = [*args] if limits else [*NO_RATE_LIMITS, *args]
        exchange = PaperExchange(tmp_path / f"venue{len(started)}", speed=speed, extra_args=extra)
        started.append(exchange.start())
        return exchange

    yield make
    for exchange in started:
        exchange.stop()
