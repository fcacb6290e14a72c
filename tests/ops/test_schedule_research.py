"""Research beat defaults: nightly training and weekly evolution as UTC crontabs, with expires,
and their tasks only create the run rows (the research task is sent after commit)."""

import pytest
from django_celery_beat.models import PeriodicTask

from apps.ops.services import periodic_tasks_ensure
from apps.strategy.models import EvolutionRun
from apps.strategy.services import evolution_runs_schedule
from workers.schedule import BEAT_SCHEDULE

pytestmark = pytest.mark.django_db


def test_it_creates_the_research_entries_as_utc_crontabs_with_expires():
    periodic_tasks_ensure(schedule=BEAT_SCHEDULE)
    nightly = PeriodicTask.objects.get(name="models: nightly training (hgb)")
    assert (nightly.crontab.minute, nightly.crontab.hour, str(nightly.crontab.timezone)) == (
        "30",
        "2",
        "UTC",
    )
    assert nightly.kwargs == '{"kind": "hgb"}' and nightly.expire_seconds == 3600
    weekly = PeriodicTask.objects.get(name="strategy: weekly evolution")
    assert weekly.crontab.day_of_week == "sun" and weekly.interval is None
    assert PeriodicTask.objects.get(name="strategy: memory from closed trades").interval.every == 60


def test_the_weekly_evolution_starts_one_run_per_family_and_symbol(broker_messages):
    runs = evolution_runs_schedule(symbols=["BTCUSDT", "ETHUSDT"], seed=7)
    assert sorted((r.symbol, r.family) for r in runs) == [
        ("BTCUSDT", "ma_cross"),
        ("BTCUSDT", "mean_revert"),
        ("ETHUSDT", "ma_cross"),
        ("ETHUSDT", "mean_revert"),
    ]
    assert EvolutionRun.objects.filter(status="pending", seed=7).count() == 4
