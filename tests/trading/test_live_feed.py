"""GET /api/live/ (apps.trading.live): the dashboard's server-sent events, over real HTTP from
gunicorn as `make up` runs it (gthread), reading the test's real Redis. A mark written by the
market's own publish service and an intent made by the desk's intent service arrive as events;
no feed without a session; a process's feeds are bounded and the API keeps answering while one
is open."""

from __future__ import annotations

import json
import secrets
import time
from decimal import Decimal

import pytest
import requests

from apps.exchange.models import ExchangeAccount
from apps.exchange.reports import MarkReport
from apps.exchange.services import account_add
from apps.market.services import mark_publish
from apps.trading.intents import intent_create
from tests.frontend.frontend_support import Gunicorn
from tests.support.processes import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(subprocess_env, run_dir, redis_client):
    # one process, one feed: the bound and the API beside an open feed are both observable
    env = {**subprocess_env, "LIVE_MAX_STREAMS": "1", "LIVE_KEEPALIVE_SECONDS": "2"}
    gunicorn = Gunicorn(env, free_port(), run_dir / "live-feed-gunicorn.log", workers=1).start()
    yield gunicorn
    gunicorn.stop()


@pytest.fixture
def session(server, django_user_model) -> requests.Session:
    """Logged in as the dashboard is: CSRF cookie, then POST /api/auth/login/."""
    password = secrets.token_urlsafe(12)
    django_user_model.objects.create_user("trader", password=password)
    http = requests.Session()
    token = http.get(f"{server.url}/api/auth/csrf/", timeout=10).json()["csrf_token"]
    answer = http.post(
        f"{server.url}/api/auth/login/",
        json={"username": "trader", "password": password},
        headers={"X-CSRFToken": token},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return http


class Feed:
    """An open GET /api/live/, read frame by frame."""

    def __init__(self, http: requests.Session, url: str, last_event_id: str | None = None):
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.response = http.get(f"{url}/api/live/", headers=headers, stream=True, timeout=10)
        self.lines = self.response.iter_lines(decode_unicode=True)

    def next_event(self, deadline_s: float = 10) -> dict:
        """The next `event:` frame as {event, id, data}; keepalive comments skipped."""
        frame: dict = {}
        end = time.monotonic() + deadline_s
        for line in self.lines:
            assert time.monotonic() < end, "no event in time"
            if line.startswith("event: "):
                frame["event"] = line[7:]
            elif line.startswith("id: "):
                frame["id"] = line[4:]
            elif line.startswith("data: "):
                frame["data"] = json.loads(line[6:])
            elif line == "" and "event" in frame:
                return frame
        raise AssertionError("the feed closed")

    def until(self, event: str, match) -> dict:
        for _ in range(50):
            frame = self.next_event()
            if frame["event"] == event and match(frame["data"]):
                return frame
        raise AssertionError(f"no {event} event matched")

    def close(self) -> None:
        self.response.close()


def _mark(price: str, time_ms: int) -> MarkReport:
    return MarkReport(
        symbol="BTCUSDT",
        mark_price=Decimal(price),
        index_price=Decimal(price),
        funding_rate=Decimal("0.0001"),
        next_funding_ms=time_ms + 3_600_000,
        time_ms=time_ms,
    )


def _account() -> ExchangeAccount:
    """Registered as the operator does (the exchange app's own service); never called here."""
    return account_add(
        name="live-desk", base_url="http://127.0.0.1:9", api_key="k", api_secret="s", paper=True
    )


def test_it_refuses_a_feed_without_a_session(server):
    answer = requests.get(
        f"{server.url}/api/live/", headers={"Accept": "text/event-stream"}, timeout=10
    )
    assert answer.status_code in (401, 403)
    assert "event:" not in answer.text


def test_it_pushes_marks_and_intents_as_they_happen(server, session):
    feed = Feed(session, server.url)
    try:
        assert feed.response.status_code == 200
        assert feed.response.headers["Content-Type"].startswith("text/event-stream")
        assert feed.next_event()["event"] == "hello"

        now_ms = int(time.time() * 1000)
        mark_publish(mark=_mark("61234.5", now_ms))
        mark = feed.until("mark", lambda d: d["symbol"] == "BTCUSDT")
        assert mark["data"]["time_ms"] == now_ms
        assert Decimal(mark["data"]["mark_price"]) == Decimal("61234.5")  # a decimal string

        intent = intent_create(
            account=_account(),
            symbol="ETHUSDT",
            side="SELL",
            action="OPEN",
            quantity=Decimal("0.5"),
            reason="signal",
            reference_price=Decimal("3000"),
            reject_reason="exposure 1505 > 1000 per symbol",
        )
        # logged NEW, then judged: both rows are announced, the judged one last
        made = feed.until("trading", lambda d: d["kind"] == "intent")
        assert made["data"]["row"]["state"] == "NEW"
        event = feed.until("trading", lambda d: d["kind"] == "intent")
        assert event["data"]["account"] == "live-desk"
        assert event["data"]["symbol"] == "ETHUSDT"
        row = event["data"]["row"]
        assert (row["id"], row["state"], row["side"], row["action"]) == (
            intent.id,
            "REJECTED",
            "SELL",
            "OPEN",
        )
        assert Decimal(row["quantity"]) == Decimal("0.5")
    finally:
        feed.close()


def test_a_reconnect_goes_on_from_its_last_event_id(server, session):
    feed = Feed(session, server.url)
    first = feed.next_event()
    mark_publish(mark=_mark("60000", 1_000))
    seen = feed.until("mark", lambda d: d["time_ms"] == 1_000)
    feed.close()
    # written while the browser was away: the reconnect with Last-Event-ID still gets it
    mark_publish(mark=_mark("60001", 2_000))
    # the server notices the closed feed at its next writes (keepalive 2 s here) and frees the
    # process's one slot; until then a reconnect is told 503, as the browser would be
    deadline = time.monotonic() + 15
    while True:
        again = Feed(session, server.url, last_event_id=seen["id"])
        if again.response.status_code != 503 or time.monotonic() > deadline:
            break
        again.close()
        time.sleep(0.5)
    try:
        assert again.response.status_code == 200
        assert again.next_event()["event"] == "hello"
        missed = again.until("mark", lambda d: True)
        assert missed["data"]["time_ms"] == 2_000
        assert first["id"] != seen["id"]
    finally:
        again.close()


def test_feeds_are_bounded_and_the_api_answers_beside_one(server, session):
    feed = Feed(session, server.url)
    try:
        assert feed.next_event()["event"] == "hello"
        # the process's only feed is taken: the next browser is told to poll
        second = session.get(
            f"{server.url}/api/live/", headers={"Accept": "text/event-stream"}, timeout=10
        )
        assert second.status_code == 503
        assert second.headers["Retry-After"] == "10"
        # while the open feed blocks in XREAD, the other threads answer the API at once
        started = time.monotonic()
        positions = session.get(f"{server.url}/api/trading/positions/", timeout=10)
        assert positions.status_code == 200
        assert time.monotonic() - started < 2
    finally:
        feed.close()
