"""Loaded with `-p tests.support.stack_plugin` (pyproject's addopts): starts the run's private
redis-server and points the environment at it before pytest-django loads the settings."""

import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.support.processes import RedisServer

RUN_DIR = Path(tempfile.mkdtemp(prefix="quantum-tests-"))
REDIS: RedisServer | None = None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # A wrapper runs before every plain implementation, pytest-django's settings load included.
    global REDIS
    REDIS = RedisServer(RUN_DIR / "redis").start()
    os.environ["REDIS_URL"] = REDIS.url
    os.environ["QUANTUM_VAR_DIR"] = str(RUN_DIR / "var")
    os.environ["QUANTUM_ENV_FILE"] = str(RUN_DIR / "no.env")  # the developer's .env stays out
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    # A fixed test key (Fernet: 32 url-safe base64 bytes); real keys come from .env.
    os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=")
    return (yield)


def pytest_unconfigure(config):
    if REDIS is not None:
        REDIS.stop()
    if not os.environ.get("QUANTUM_KEEP_TEST_DIR"):  # keep worker logs to read after a failure
        shutil.rmtree(RUN_DIR, ignore_errors=True)
