"""Non-blocking locks: a scheduled job whose previous run still holds the lock is skipped."""

import os
import subprocess
import sys
import time

from apps.core.locks import exclusive, run_exclusive
from tests.support.processes import ROOT


def test_it_runs_the_job_and_frees_the_lock(redis_client):
    assert run_exclusive("probe", timeout=5, job=lambda: 42) == 42
    assert not redis_client.exists("quantum:lock:probe")


def test_it_skips_the_job_while_another_run_holds_the_lock(redis_client, caplog):
    ran = []
    with exclusive("probe", timeout=5):
        assert run_exclusive("probe", timeout=5, job=lambda: ran.append(1)) is None
    assert ran == []
    assert "probe: the previous run still holds the lock, this one is skipped" in caplog.text


def test_a_live_holder_keeps_its_lock_past_the_lease(redis_client, settings):
    settings.LOCK_LEASE_SECONDS = 1
    with exclusive("probe", timeout=30):
        time.sleep(2.5)  # more than two leases: only the renewals keep it
        assert redis_client.pttl("quantum:lock:probe") > 0
        assert run_exclusive("probe", timeout=30, job=lambda: "ran") is None
    assert not redis_client.exists("quantum:lock:probe")


def test_a_killed_holder_frees_its_lock_within_a_lease_not_its_timeout(redis_client):
    """kill -9 of a worker inside a trading cycle held the account's lock for the whole 60 s
    timeout, and every cycle of that minute was skipped."""
    script = (
        "import django; django.setup()\n"
        "import time; from apps.core.locks import exclusive\n"
        "with exclusive('probe', timeout=60):\n"
        "    print('held', flush=True); time.sleep(120)\n"
    )
    env = {
        **os.environ,
        "LOCK_LEASE_SECONDS": "2",
        "DJANGO_SETTINGS_MODULE": "quantum_project.settings",
    }
    holder = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        time.sleep(3)  # past a lease: still held, the holder renews it
        assert run_exclusive("probe", timeout=5, job=lambda: "ran") is None
        holder.kill()
        holder.wait(10)
        started = time.monotonic()
        with exclusive("probe", timeout=5, wait=30):
            freed_after = time.monotonic() - started
    finally:
        holder.kill()
    assert freed_after <= 3, f"freed after {freed_after:.1f} s"
