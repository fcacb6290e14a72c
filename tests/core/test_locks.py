"""Non-blocking locks: a scheduled job whose previous run still holds the lock is skipped."""

from apps.core.locks import exclusive, run_exclusive


def test_it_runs_the_job_and_frees_the_lock(redis_client):
    assert run_exclusive("probe", timeout=5, job=lambda: 42) == 42
    assert not redis_client.exists("quantum:lock:probe")


def test_it_skips_the_job_while_another_run_holds_the_lock(redis_client, caplog):
    ran = []
    with exclusive("probe", timeout=5):
        assert run_exclusive("probe", timeout=5, job=lambda: ran.append(1)) is None
    assert ran == []
    assert "probe: the previous run still holds the lock, this one is skipped" in caplog.text
