"""The stack's supervisord (apps/ops/stack.py, what `make up` runs) on a subset of its programs,
for the tests that need a process really restarted."""

from __future__ import annotations

import socket
import subprocess

from redis.exceptions import ConnectionError as RedisConnectionError

from tests.support.processes import VENV_BIN


def supervised_pids(conf) -> dict[str, int]:
    """name -> pid of each RUNNING program, as supervisorctl reports it (over the unix socket)."""
    result = subprocess.run(
        [str(VENV_BIN / "supervisorctl"), "-c", str(conf), "status"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    pids = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] == "RUNNING" and parts[2] == "pid":
            pids[parts[0]] = int(parts[3].rstrip(","))
    return pids


def node_name(program: str) -> str:
    """The Celery node name of a stack worker program (`-n <program>@%h`)."""
    return f"{program}@{socket.gethostname()}"


def answers(celery_app, program: str) -> bool:
    """Does the stack worker `program` answer a control ping?"""
    try:
        replies = celery_app.control.ping(destination=[node_name(program)], timeout=1)
    except RedisConnectionError:
        # a pooled broker connection the server closed meanwhile: the next poll reconnects
        return False
    return bool(replies)


def start_supervisord(conf, *, env: dict[str, str], log_path) -> subprocess.Popen:
    """supervisord in the foreground on `conf`, in a session of its own; output to `log_path`
    (append mode: the prefixed lines reach the file through a second descriptor)."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [str(VENV_BIN / "supervisord"), "--nodaemon", "--configuration", str(conf)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
