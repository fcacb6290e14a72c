"""Snapshots: full resolution inside the window, one per bucket beyond it."""

from datetime import timedelta

import pytest

from apps.core.timeutil import to_ms, utcnow
from apps.exchange import reports
from apps.pnl import services
from apps.pnl.models import AccountSnapshot, PositionSnapshot
from tests.support.fake_binance import account_payload, position

pytestmark = pytest.mark.django_db


def test_it_keeps_one_snapshot_per_bucket_beyond_the_full_resolution_window(desk_account, settings):
    settings.PNL_SNAPSHOT_FULL_RESOLUTION_HOURS = 1
    settings.PNL_SNAPSHOT_DOWNSAMPLE_MINUTES = 15
    state = reports.account_parse(
        account_payload(positions=[position("BTCUSDT", "0.01", "40000", "40100")])
    )
    # On the 15-minute grid, so the old hour spans 4 whole buckets (and a part of a 5th), at
    # any time of day.
    now = utcnow()
    now = now.replace(minute=now.minute // 15 * 15, second=0, microsecond=0)
    for n in range(240):  # every 30 s for the last hour (recent) and the hour before (old)
        moment = now - timedelta(seconds=30 * n)
        snap = services.snapshot_store(account=desk_account, state=state, exchange_ms=to_ms(moment))
        AccountSnapshot.objects.filter(id=snap.id).update(taken_at=moment)
    deleted = services.snapshots_downsample()
    old = AccountSnapshot.objects.filter(taken_at__lt=utcnow() - timedelta(hours=1))
    assert old.count() <= 5 and deleted >= 230 - 120
    assert AccountSnapshot.objects.filter(taken_at__gte=utcnow() - timedelta(hours=1)).count() > 0
    assert PositionSnapshot.objects.count() == AccountSnapshot.objects.count()
