"""The beat schedule: defaults from workers/schedule.py, the admin's edits kept across restarts."""

from datetime import timedelta

import pytest
from django_celery_beat.models import PeriodicTask

from apps.ops.services import periodic_tasks_ensure

pytestmark = pytest.mark.django_db

SCHEDULE = {
    "ops: probe": {
        "task": "quantum.ops.noop",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 30},
    }
}


def test_it_creates_missing_entries_with_expiry():
    assert periodic_tasks_ensure(schedule=SCHEDULE) == ["ops: probe"]
    entry = PeriodicTask.objects.get(name="ops: probe")
    assert entry.task == "quantum.ops.noop"
    assert (entry.interval.every, entry.interval.period) == (30, "seconds")
    assert entry.expire_seconds == 30
    assert entry.enabled


def test_it_keeps_an_operator_s_edits_on_restart():
    periodic_tasks_ensure(schedule=SCHEDULE)
    PeriodicTask.objects.filter(name="ops: probe").update(enabled=False, expire_seconds=99)
    assert periodic_tasks_ensure(schedule=SCHEDULE) == []
    entry = PeriodicTask.objects.get(name="ops: probe")
    assert (entry.enabled, entry.expire_seconds) == (False, 99)


def test_every_default_entry_names_a_registered_task():
    from quantum_project.celery import app
    from workers.schedule import BEAT_SCHEDULE

    app.loader.import_default_modules()
    for name, entry in BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        assert entry.get("options", {}).get("expires"), f"{name} has no expires"
