"""Trading fixtures: paper venues in both client-order-id modes, a registered desk account,
a permissive risk policy, and readers of the venue's own truth (allOrders, positionRisk).

`fake_desk` is the same desk on an in-process venue (tests/support/fake_gateway.py) for the
tests of trading rules (risk, exits, sizing, intents): every account session the desk builds
is a FakeGateway while it is active. The venue's own behaviour is tested on `desk`."""

from __future__ import annotations

import itertools
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from apps.exchange.reports import OrderReport
from apps.exchange.services import account_add
from apps.trading.models import RiskPolicy, RiskTier
from tests.support.fake_gateway import FakeExchange, fake_gateways
from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange

MODES = {"strict": [], "loose": ["--loose-client-order-ids"]}


@pytest.fixture(scope="module", params=sorted(MODES))
def venue(request, tmp_path_factory):
    """One venue per client-id mode: strict (-4116 for any id ever used) and Binance's rule."""
    workdir = tmp_path_factory.mktemp(f"venue-{request.param}")
    exchange = PaperExchange(workdir, extra_args=[*NO_RATE_LIMITS, *MODES[request.param]])
    exchange.mode = request.param
    exchange.start()
    yield exchange
    exchange.stop()


class Desk:
    def __init__(self, venue: PaperExchange) -> None:
        self.venue = venue
        name = f"desk-{secrets.token_hex(3)}"
        created = venue.create_account(name, balance="100000")
        self.account = account_add(
            name=name,
            base_url=venue.base_url,
            api_key=created["api_key"],
            api_secret=created["api_secret"],
            paper=True,
        )
        self.client = venue.client(created)

    def orders(self, symbol: str) -> list[dict[str, Any]]:
        return self.client.futures_get_all_orders(symbol=symbol, limit=1000)

    def duplicate_client_ids(self, *symbols: str) -> dict[str, int]:
        """Intent ids with more than one order on the venue (qt-<id>-<n>, any n)."""
        per_intent: Counter[str] = Counter()
        for symbol in symbols:
            for order in self.orders(symbol):
                cid = order["clientOrderId"]
                if cid.startswith("qt-"):
                    per_intent[cid.split("-")[1]] += 1
        return {k: v for k, v in per_intent.items() if v > 1}

    def position_amounts(self) -> dict[str, Decimal]:
        rows = self.client.futures_position_information()
        return {r["symbol"]: Decimal(r["positionAmt"]) for r in rows if Decimal(r["positionAmt"])}


@pytest.fixture
def desk(venue, settings) -> Desk:
    d = Desk(venue)
    settings.TRADING_ACCOUNT = d.account.name
    return d


class FakeDesk:
    """A desk account on a FakeExchange, read like `Desk`: the venue's orders and positions."""

    def __init__(self, venue: FakeExchange) -> None:
        self.venue = venue
        self.account = account_add(
            name=f"desk-{secrets.token_hex(3)}",
            base_url="http://fake-venue.invalid",  # never dialled: the sessions are the fake's
            api_key="k" * 16,
            api_secret="s" * 16,
            paper=True,
        )
        self._manual = itertools.count(1)

    def market(
        self, symbol: str, side: str, quantity: str, *, reduce_only: bool = False
    ) -> OrderReport:
        """An operator's manual order, outside the desk (a client id the desk does not own)."""
        return self.venue.gateway(self.account.id).order_place(
            symbol=symbol,
            side=side,
            quantity=Decimal(quantity),
            client_order_id=f"manual-{next(self._manual)}",
            reduce_only=reduce_only,
        )

    def orders(self, symbol: str) -> list[OrderReport]:
        book = self.venue.book(self.account.id)
        mine = (o for o in book.orders.values() if o.symbol == symbol)
        return sorted(mine, key=lambda o: o.order_id)

    def position_amounts(self) -> dict[str, Decimal]:
        return self.venue.book(self.account.id).amounts()


@pytest.fixture
def fake_desk(db, settings) -> Iterator[FakeDesk]:
    venue = FakeExchange(prices={"BTCUSDT": "40000.0", "ETHUSDT": "2000.00", "SOLUSDT": "150.0000"})
    with fake_gateways(venue, settings):
        d = FakeDesk(venue)
        settings.TRADING_ACCOUNT = d.account.name
        yield d


@pytest.fixture
def aggressive_policy(db) -> RiskPolicy:
    policy, _ = RiskPolicy.objects.get_or_create(pk=1)
    policy.tier = RiskTier.AGGRESSIVE
    policy.max_leverage = 30
    policy.save()
    return policy


@pytest.fixture
def trading_queue(broker_messages) -> Callable[[], list[int]]:
    """In-process tests run the executor themselves: intents go to the real broker (after
    commit) and no worker consumes them. Returns the intent ids published so far."""

    def published() -> list[int]:
        messages = broker_messages("trading")
        assert {task for task, _, _ in messages} <= {"quantum.trading.execute_intent"}
        return [kwargs["intent_id"] for _, _, kwargs in messages]

    return published
