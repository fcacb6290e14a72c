"""Test set-up on real parts: a private redis-server on a free port for the whole run, real
Celery workers as subprocesses, the database pytest-django sets up (SQLite or DATABASE_URL's
PostgreSQL). Nothing here touches 6379 or 5432 of the machine."""

import base64
import json
import os
import secrets
from pathlib import Path

import pytest

from tests.support import stack_plugin
from tests.support.processes import CeleryWorker, RedisServer, database_url_from_settings

ALL_QUEUES = "market,trading,pnl,rl,research,default"


@pytest.fixture(scope="session")
def redis_server() -> RedisServer:
    return stack_plugin.REDIS


def _clear_desk_keys(client) -> None:
    # Only the desk's own keys: the broker's queue bindings live in the same Redis, and a
    # FLUSHDB would make a producer that already declared its queues publish into the void.
    for key in client.scan_iter("quantum:*", count=1000):
        client.delete(key)


@pytest.fixture
def redis_client(redis_server):
    from apps.core.redis import get_redis

    client = get_redis()
    _clear_desk_keys(client)
    yield client
    _clear_desk_keys(client)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty Django cache and empty memos: keys made of row ids must not
    outlive the rows (SQLite reuses ids after a rolled-back test)."""
    from django.core.cache import cache

    from apps.core.memo import memos_clear

    cache.clear()
    memos_clear()
    yield


@pytest.fixture(scope="session")
def run_dir() -> Path:
    return stack_plugin.RUN_DIR


@pytest.fixture(scope="session")
def subprocess_env(django_db_setup, django_db_blocker, redis_server) -> dict[str, str]:
    """The environment a stack process (worker, beat, server) needs to share the test database."""
    from django.db import connection

    env = dict(os.environ)
    env["DATABASE_URL"] = database_url_from_settings(connection.settings_dict)
    env["DJANGO_SETTINGS_MODULE"] = "quantum_project.settings"
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


@pytest.fixture
def start_worker(subprocess_env, run_dir, request):
    """Start real `celery worker` subprocesses; each is stopped (or reaped) after the test."""
    started: list[CeleryWorker] = []

    def start(*, queues: str = ALL_QUEUES, name: str | None = None, env: dict | None = None, **kw):
        worker_name = name or f"w{len(started)}-{secrets.token_hex(3)}"
        worker = CeleryWorker(
            queues=queues,
            env={**subprocess_env, **(env or {})},
            name=worker_name,
            log_path=run_dir / f"{request.node.name[:60]}-{worker_name}.log",
            **kw,
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def api(db):
    """An API client logged in as a plain (non-staff) user."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    user = get_user_model().objects.create_user("viewer", password="a-long-password-1")
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def broker_messages(redis_client):
    """Tasks published to the real broker (JSON, through our routing) that no worker consumes:
    `broker_messages("research")` reads back (task, args, kwargs) in publish order. The queues
    are emptied before and after, so no later worker runs a test's leftovers."""
    queues = ALL_QUEUES.split(",")  # kombu's Redis transport keeps each queue as a list
    redis_client.delete(*queues)

    def read(queue: str) -> list[tuple[str, list, dict]]:
        found = []
        for raw in reversed(redis_client.lrange(queue, 0, -1)):  # LPUSHed: oldest last
            message = json.loads(raw)
            args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            found.append((message["headers"]["task"], args, kwargs))
        return found

    yield read
    redis_client.delete(*queues)
