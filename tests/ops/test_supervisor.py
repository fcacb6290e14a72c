"""The stack's process supervisor, on a small subset built by the same code as `make up`: a
worker killed with SIGKILL comes back under a new pid while the others keep theirs, the restarted
worker answers on the broker, and SIGINT to supervisord (Ctrl-C) leaves no process behind."""

import os
import signal
import stat

import psutil
import pytest

from apps.ops import stack
from quantum_project.celery import app as celery_app
from tests.support.processes import wait_for
from tests.support.supervisor import answers, start_supervisord, supervised_pids

pytestmark = pytest.mark.e2e

SUBSET = ("worker_trading", "worker_research")


def _answers(name: str) -> bool:
    return answers(celery_app, name)


def _group_members(pgids: set[int]) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) in pgids and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
    return found


def test_it_restarts_a_killed_worker_and_sigint_stops_everything(tmp_path, subprocess_env):
    var_dir = tmp_path / "var"
    commands = stack.program_commands(var_dir=var_dir, redis_password="")
    conf = stack.write_supervisor_conf(
        var_dir=var_dir, commands={name: commands[name] for name in SUBSET}
    )
    run_dir = conf.parent
    # supervisorctl is the owner's alone: no inet server, a private directory and file.
    assert stat.S_IMODE(run_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600
    assert "inet_http_server" not in conf.read_text()

    log_path = tmp_path / "supervisord.out"
    proc = start_supervisord(conf, env=subprocess_env, log_path=log_path)
    pgids: set[int] = {proc.pid}
    try:
        wait_for(
            lambda: all(_answers(name) for name in SUBSET),
            timeout=150,  # a loaded 2-core CI machine boots two celery workers slowly
            interval=0.5,
            what=f"{SUBSET} answering",
        )
        before = supervised_pids(conf)
        assert set(before) >= set(SUBSET), before
        pgids |= {os.getpgid(pid) for pid in before.values()}
        socket_path = run_dir / "supervisor.sock"
        assert stat.S_IMODE(socket_path.stat().st_mode) == 0o700

        os.kill(before["worker_trading"], signal.SIGKILL)  # what the operator did
        after = wait_for(
            lambda: (
                (pids := supervised_pids(conf)).get("worker_trading")
                not in (None, before["worker_trading"])
                and pids
            ),
            timeout=60,
            interval=0.2,
            what="worker_trading restarted",
        )
        pgids.add(os.getpgid(after["worker_trading"]))
        assert after["worker_research"] == before["worker_research"]
        wait_for(
            lambda: _answers("worker_trading"),
            timeout=120,
            interval=0.5,
            what="the restarted worker_trading answering",
        )
        # Each program's output reaches the terminal prefixed by its name.
        out = log_path.read_text()
        assert "worker_trading  | " in out and "worker_research | " in out, out[-3000:]
        assert "exited: worker_trading (terminated by SIGKILL; not expected)" in out
    finally:
        members = _group_members(pgids)
        proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
        proc.wait(60)
    try:
        wait_for(lambda: not _group_members(pgids), timeout=30, interval=0.2, what="all gone")
    except TimeoutError:
        pass
    left = {p for p in members if p.is_running() and p.status() != psutil.STATUS_ZOMBIE}
    left |= set(_group_members(pgids))
    assert not left, f"left behind: {[p.cmdline() for p in left]}"
    assert proc.returncode == 0
