"""The check's tasks: one check per active account through the broker, never two at once."""

import logging

import pytest

from apps.core.locks import exclusive
from apps.core.loops import loop_state
from apps.exchange.services import account_add
from apps.pnl import services
from apps.pnl.models import LedgerCheck
from workers.pnl import verify_account, verify_ledgers
from workers.routing import queue_for

pytestmark = pytest.mark.django_db


def test_it_sends_one_check_per_active_account_to_the_pnl_queue(
    desk_account, broker_messages, settings
):
    idle = account_add(
        name="idle", base_url="http://127.0.0.1:9", api_key="a" * 64, api_secret="b" * 64
    )
    idle.is_active = False
    idle.save(update_fields=["is_active"])
    verify_ledgers()
    assert broker_messages("pnl") == [("quantum.pnl.verify_account", [desk_account.id], {})]
    assert loop_state(verify_ledgers.name)["completed"] == 1


def test_it_checks_the_account_and_skips_while_a_check_still_runs(
    desk_account, fake_venue, redis_client, caplog
):
    services.account_poll(account_id=desk_account.id)
    with exclusive(f"pnl:verify:{desk_account.id}", timeout=30), caplog.at_level(logging.INFO):
        verify_account.apply(args=[desk_account.id])
    assert "still holds the lock" in caplog.text and not LedgerCheck.objects.exists()
    verify_account.apply(args=[desk_account.id])
    assert LedgerCheck.objects.get(account=desk_account).status == "match"
    assert loop_state(verify_account.name)["skipped"] == 1


def test_its_limits_are_ordered_within_the_interval(settings):
    assert queue_for(verify_account.name) == "pnl"
    interval = settings.PNL_VERIFY_INTERVAL_SECONDS
    assert verify_account.soft_time_limit < verify_account.time_limit < interval
