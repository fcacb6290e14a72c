"""GET /api/health/ (authenticated) and /api/health/live (anonymous)."""

import time

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.core import keys
from apps.core.timeutil import to_ms, utcnow
from tests.support.processes import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(db):
    user = User.objects.create_user("alice", password="s3cret-pass-1")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_live_answers_anonymously_and_reveals_nothing_else(client):
    response = client.get("/api/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_requires_authentication(client):
    assert client.get("/api/health/").status_code in (401, 403)


def test_it_is_503_and_names_every_part_that_is_down(api, redis_client, settings):
    settings.EXCHANGE_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    response = api.get("/api/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    # No worker and no beat run in this test; the database and Redis are up.
    assert "exchange" in body["down"] and "beat" in body["down"]
    assert {f"queue:{q}" for q in ("market", "trading", "pnl", "rl", "research", "default")} <= set(
        body["down"]
    )
    assert body["components"]["database"]["ok"] is True
    assert body["components"]["redis"]["ok"] is True


def test_it_reports_beat_last_tick_and_its_age(api, redis_client):
    redis_client.set(keys.BEAT_LAST_TICK, to_ms(utcnow()) - 3000)
    beat = api.get("/api/health/").json()["components"]["beat"]
    assert beat["ok"] is True
    assert 2.5 <= beat["age_seconds"] <= 10


def test_a_stale_beat_is_down(api, redis_client):
    redis_client.set(keys.BEAT_LAST_TICK, to_ms(utcnow()) - 3_600_000)
    body = api.get("/api/health/").json()
    assert body["components"]["beat"]["ok"] is False
    assert "beat" in body["down"]


@pytest.mark.django_db(transaction=True)
def test_it_is_200_when_every_part_is_up(api, redis_client, start_worker, settings, tmp_path):
    from tests.support.paper_exchange import PaperExchange

    with PaperExchange(tmp_path / "venue") as venue:
        settings.EXCHANGE_BASE_URL = venue.base_url
        start_worker(name="health")
        redis_client.set(keys.BEAT_LAST_TICK, to_ms(utcnow()))
        # A worker that has just said "ready" may miss its first broadcast on a busy machine.
        answers: list = []

        def healthy():
            answers.append(api.get("/api/health/"))
            return answers[-1].status_code == 200

        try:
            wait_for(healthy, timeout=20, interval=0.5, what="health")
        except TimeoutError:
            pytest.fail(f"never healthy: {answers[-1].json()}")
    body = answers[-1].json()
    assert body["down"] == []
    assert all(queue["workers"] for queue in body["components"]["queues"].values())
    assert body["components"]["exchange"]["latency_ms"] > 0


@pytest.mark.django_db(transaction=True)
def test_queue_health_answers_without_waiting_out_the_broadcast(
    start_worker, redis_client, settings
):
    """A broadcast has no end, so a naive inspection always waits its whole timeout. Once the
    desk has seen how many workers there are, a healthy answer comes as soon as they replied;
    a queue reported down is still confirmed by the full wait."""
    from apps.ops.selectors import queue_health
    from quantum_project.celery import app

    settings.OPS_INSPECT_TIMEOUT_SECONDS = 4
    start_worker(queues="market,trading,pnl,rl,default", name="main")
    research = start_worker(queues="research", name="research")

    def timed() -> tuple[dict, float]:
        started = time.perf_counter()
        queues = queue_health(app)
        return queues, time.perf_counter() - started

    # the first inspection has nothing to go on: it waits the timeout (and may miss a worker
    # that has only just said "ready")
    wait_for(
        lambda: all(q["ok"] for q in timed()[0].values()),
        timeout=30,
        interval=0.1,
        what="2 workers",
    )
    queues, elapsed = timed()
    assert all(q["ok"] for q in queues.values()), queues
    assert [w.split("@")[0] for w in queues["research"]["workers"]] == ["research"]
    assert elapsed < 2, f"{elapsed:.2f}s: waited the broadcast out"

    research.kill()
    queues, elapsed = timed()
    assert queues["research"] == {"ok": False, "workers": []}
    assert queues["market"]["ok"] is True
    assert elapsed >= 4, "a queue was reported down without the full wait"


def test_the_event_path_is_down_only_when_the_stream_process_is_deployed_and_silent(
    api, redis_client
):
    from apps.core.consumers import GroupConsumer

    # No stream process: the events part is up, the reactors' group is shown with its lag.
    GroupConsumer(
        client=redis_client, group="trading", name="r", handler=None, claim_idle_ms=1000
    ).ensure_group(keys.STREAM_MARK)
    redis_client.xadd(keys.STREAM_MARK, {"symbol": "BTCUSDT"})
    events = api.get("/api/health/").json()["components"]["events"]
    assert events["ok"] is True and events["connections"] == {}
    assert [(g["group"], g["pending"], g["lag"]) for g in events["groups"]] == [("trading", 0, 1)]

    state = keys.exchange_stream_state("market")
    redis_client.hset(
        state,
        mapping={"state": "connected", "reconnects": 2, "last_event_ms": to_ms(utcnow()) - 1000},
    )
    events = api.get("/api/health/").json()["components"]["events"]
    assert events["ok"] is True
    assert events["connections"]["market"]["reconnects"] == 2

    redis_client.hset(state, "last_event_ms", to_ms(utcnow()) - 120_000)
    body = api.get("/api/health/").json()
    assert body["components"]["events"]["ok"] is False and "events" in body["down"]
