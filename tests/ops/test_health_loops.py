"""Health sees a loop that does not complete and a queue that runs nothing, not only a process
that is gone: a skipped-every-time cycle and a consumer stopped after a broker restart both look
alive from outside."""

from datetime import timedelta

import pytest
from django_celery_beat.models import PeriodicTask

from apps.core import keys
from apps.core.locks import exclusive, run_exclusive
from apps.core.loops import loop_state
from apps.core.timeutil import to_ms, utcnow
from apps.ops.services import interval_for
from tests.support.processes import wait_for

pytestmark = pytest.mark.django_db

CYCLE = "quantum.trading.run_cycle"


def schedule(task: str, seconds: int) -> None:
    PeriodicTask.objects.create(name=f"test {task}", task=task, interval=interval_for(seconds))


def test_each_run_of_a_loop_is_recorded_with_its_outcome(redis_client):
    run_exclusive("probe", timeout=5, job=lambda: None, loop=CYCLE)
    with exclusive("probe", timeout=5):
        for _ in range(3):
            run_exclusive("probe", timeout=5, job=lambda: None, loop=CYCLE)
    with pytest.raises(ZeroDivisionError):
        run_exclusive("probe", timeout=5, job=lambda: 1 / 0, loop=CYCLE)
    run_exclusive("probe", timeout=5, job=lambda: None, loop=CYCLE)
    state = loop_state(CYCLE)
    assert state["completed"] == 2 and state["skipped"] == 3 and state["failed"] == 1
    assert state["max_skips_in_a_row"] == 3 and state["skips_in_a_row"] == 0
    assert to_ms(utcnow()) - state["last_ok_ms"] < 5000


def test_a_loop_that_has_not_completed_for_its_intervals_turns_health_503(
    api, redis_client, settings
):
    settings.OPS_LOOP_STALE_FLOOR_SECONDS = 1
    schedule(CYCLE, 10)
    redis_client.hset(keys.ops_loop(CYCLE), "last_ok_ms", to_ms(utcnow()) - 61_000)
    response = api.get("/api/health/")
    assert response.status_code == 503
    assert f"loop:{CYCLE}" in response.json()["down"]
    loop = response.json()["components"]["loops"][CYCLE]
    assert loop["ok"] is False and loop["interval_seconds"] == 10
    assert loop["age_seconds"] >= 61 and loop["error"].startswith("not completed for")

    run_exclusive("trading:cycle:1", timeout=5, job=lambda: None, loop=CYCLE)
    body = api.get("/api/health/").json()
    assert f"loop:{CYCLE}" not in body["down"]
    assert body["components"]["loops"][CYCLE]["completed"] == 1


def test_a_loop_that_never_completed_is_watched_from_when_health_first_saw_it(
    api, redis_client, settings
):
    settings.OPS_LOOP_STALE_FLOOR_SECONDS = 1
    schedule(CYCLE, 10)
    body = api.get("/api/health/").json()
    assert f"loop:{CYCLE}" not in body["down"], "a fresh desk gets its intervals"
    redis_client.hset(keys.ops_loop(CYCLE), "watched_since_ms", to_ms(utcnow()) - 120_000)
    body = api.get("/api/health/").json()
    assert f"loop:{CYCLE}" in body["down"]
    assert body["components"]["loops"][CYCLE]["last_completed"] is None


def test_unscheduled_or_disabled_loops_are_not_judged(api, redis_client):
    schedule(CYCLE, 10)
    PeriodicTask.objects.filter(task=CYCLE).update(enabled=False)
    assert CYCLE not in api.get("/api/health/").json()["components"]["loops"]


@pytest.mark.django_db(transaction=True)
def test_a_queue_whose_worker_runs_nothing_is_down_though_the_worker_answers(
    api, redis_client, start_worker, settings
):
    """The worker's only process is busy, as after its consumer stopped: it still answers the
    inspection over the control channel, but no task sent through the queue comes back."""
    settings.OPS_QUEUE_PROBE_TIMEOUT_SECONDS = 3
    settings.OPS_QUEUE_PROBE_EVERY_SECONDS = 1
    start_worker(queues="pnl", name="probe", concurrency=1)

    def pnl() -> dict:
        return api.get("/api/health/").json()["components"]["queues"]["pnl"]

    wait_for(lambda: pnl().get("round_trip_ms") is not None, timeout=30, what="a round trip")
    from workers.ops import redelivery_drill

    redelivery_drill.apply_async(args=["busy", 12], queue="pnl")
    wait_for(lambda: redis_client.exists("quantum:ops:drill:busy"), timeout=10, what="busy")
    wait_for(lambda: pnl()["ok"] is False, timeout=15, interval=0.5, what="queue down")
    queue = pnl()
    assert queue["workers"], "the worker still answered the inspection"
    assert "no task came back through the queue" in queue["error"]
    wait_for(lambda: pnl()["ok"] is True, timeout=30, interval=0.5, what="queue back")


@pytest.mark.django_db(transaction=True)
def test_every_interval_job_of_the_schedule_records_its_runs(redis_client, settings):
    """Health judges every enabled interval entry, so each must say how its runs end, or it
    would be reported down after its intervals however well it ran."""
    from quantum_project.celery import app
    from workers.schedule import BEAT_SCHEDULE

    app.loader.import_default_modules()

    settings.EXCHANGE_BASE_URL = "http://127.0.0.1:9"  # nothing listens: a run may fail, fast
    settings.REFERENCE_EXCHANGE_BASE_URL = settings.EXCHANGE_BASE_URL
    for entry in BEAT_SCHEDULE.values():
        if not isinstance(entry["schedule"], timedelta):
            continue
        task = app.tasks[entry["task"]]
        try:
            task(**entry.get("kwargs", {}))
        except Exception:  # noqa: BLE001, S110 - a failed run is fine: it must be recorded
            pass
        assert loop_state(entry["task"]), f"{entry['task']} recorded nothing"
