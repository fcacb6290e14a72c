"""Flower as `make up` runs it (`python -m apps.ops.flower`, apps/ops/stack.py), a real process on
this run's Redis: /metrics needs the basic-auth credentials, and repeated wrong credentials lock
the address out (429 with Retry-After, even for the right password) with the count in Redis."""

import subprocess
import sys

import pytest
import requests

from tests.support.processes import ROOT, free_port, wait_for

USER, PASSWORD = "admin", "the-flower-password-1"
LIMIT = 3
KEY = "quantum:flower:auth_failures:127.0.0.1"


@pytest.fixture
def flower(subprocess_env, redis_client, run_dir, request):
    port = free_port()
    env = {
        **subprocess_env,
        "FLOWER_BASIC_AUTH": f"{USER}:{PASSWORD}",
        "FLOWER_AUTH_FAILURE_LIMIT": str(LIMIT),
        "FLOWER_AUTH_COOLOFF_SECONDS": "600",
    }
    log = open(run_dir / f"{request.node.name[:60]}-flower.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "apps.ops.flower", "--address=127.0.0.1", f"--port={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"flower exited: see {log.name}")
        try:
            return requests.get(f"{base}/healthcheck", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    wait_for(up, timeout=60, interval=0.2, what="flower")
    yield base
    proc.terminate()
    proc.wait(20)
    log.close()


def test_it_puts_metrics_behind_the_basic_auth(flower):
    assert requests.get(f"{flower}/metrics", timeout=5).status_code == 401
    wrong = requests.get(f"{flower}/metrics", auth=(USER, "nope"), timeout=5)
    assert wrong.status_code == 401
    right = requests.get(f"{flower}/metrics", auth=(USER, PASSWORD), timeout=5)
    assert right.status_code == 200
    assert "flower_events_total" in right.text


def test_it_locks_an_address_out_after_repeated_wrong_passwords(flower, redis_client):
    # Asking without credentials (the browser's first request) is not a failure.
    assert requests.get(f"{flower}/", timeout=5).status_code == 401
    assert redis_client.get(KEY) is None
    for _ in range(LIMIT - 1):
        assert requests.get(f"{flower}/", auth=(USER, "guess"), timeout=5).status_code == 401
    locked = requests.get(f"{flower}/api/workers", auth=(USER, "guess"), timeout=5)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 600
    assert requests.get(f"{flower}/", auth=(USER, PASSWORD), timeout=5).status_code == 429
    assert requests.get(f"{flower}/metrics", auth=(USER, PASSWORD), timeout=5).status_code == 429
    assert int(redis_client.get(KEY)) == LIMIT
    assert 0 < redis_client.ttl(KEY) <= 600
    # The cool-off over (the key expired), the right password works again.
    redis_client.delete(KEY)
    assert requests.get(f"{flower}/", auth=(USER, PASSWORD), timeout=5).status_code == 200


def test_a_success_clears_the_count(flower, redis_client):
    for _ in range(LIMIT - 1):
        requests.get(f"{flower}/", auth=(USER, "guess"), timeout=5)
    assert requests.get(f"{flower}/", auth=(USER, PASSWORD), timeout=5).status_code == 200
    assert redis_client.get(KEY) is None
    assert requests.get(f"{flower}/", auth=(USER, "guess"), timeout=5).status_code == 401
