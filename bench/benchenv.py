"""The environment every bench gives the desk: a throw-away var dir, database and key, its own
Redis, and never the operator's `.env` (so a bench can run beside `make up`)."""

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def desk_env(workdir: Path, redis_url: str, **extra: str) -> dict[str, str]:
    """Variables for Django/Celery in this process and its subprocesses, over os.environ."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "quantum_project.settings",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "QUANTUM_VAR_DIR": str(workdir / "var"),
        "QUANTUM_ENV_FILE": str(workdir / "no.env"),  # absent on purpose
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "REDIS_URL": redis_url,
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        **extra,
    }
