"""`make up` as an operator runs it: the whole stack in the foreground on embedded defaults, the
admin can use the admin, the API and Flower, and a signal stops every process it started."""

import os
import re
import signal
import socket
import stat
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import psutil
import pytest
import requests

from tests.support.processes import ROOT, free_port, wait_for

pytestmark = pytest.mark.e2e

SERVICES = ("web", "frontend", "flower", "redis", "paper_exchange", "paper_exchange_ref")


@pytest.fixture
def stack_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_ADMIN"))}
    for name in ("REDIS_URL", "DATABASE_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS"):
        env.pop(name, None)  # the embedded defaults, as on a fresh machine
    env["QUANTUM_VAR_DIR"] = str(tmp_path / "var")
    env["QUANTUM_ENV_FILE"] = str(tmp_path / ".env")
    for name in SERVICES:
        env[f"QUANTUM_PORT_{name.upper()}"] = str(free_port())
    return env


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _main_process(root: int, marker: str) -> psutil.Process | None:
    """The supervised process whose command line holds `marker` (not its pool children)."""
    for proc in _descendants(root):
        try:
            parent = " ".join(proc.parent().cmdline())
            if marker in " ".join(proc.cmdline()) and "supervisord" in parent:
                return proc
        except (psutil.NoSuchProcess, AttributeError):
            pass
    return None


def _start(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(
        ["make", "--no-print-directory", "up"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )


def test_it_runs_the_stack_and_ctrl_c_stops_every_process(stack_env, tmp_path):
    log_path = tmp_path / "up.log"
    web = f"http://127.0.0.1:{stack_env['QUANTUM_PORT_WEB']}"
    flower = f"http://127.0.0.1:{stack_env['QUANTUM_PORT_FLOWER']}"
    # Append mode: the prefixed lines reach this file through a second descriptor.
    with open(log_path, "ab") as log:
        proc = _start(stack_env, log)
        try:
            wait_for(
                lambda: _get(f"{web}/api/health/live") == 200, timeout=120, interval=0.5, what="web"
            )
            out = log_path.read_text()
            password = re.search(r"generated password: (\S+)", out).group(1)
            # Printed: the port map and the URLs.
            assert f"127.0.0.1:{stack_env['QUANTUM_PORT_WEB']}" in out
            assert f"{flower}/" in out

            session = requests.Session()
            csrf = session.get(f"{web}/api/auth/csrf/").json()["csrf_token"]
            login = session.post(
                f"{web}/api/auth/login/",
                json={"username": "admin", "password": password},
                headers={"X-CSRFToken": csrf, "Referer": web},
            )
            assert login.status_code == 200, login.text

            last: dict = {}

            def healthy():
                last.update(session.get(f"{web}/api/health/").json())
                return not last["down"] and dict(last)

            try:
                body = wait_for(healthy, timeout=60, interval=1, what="health")
            except TimeoutError:
                pytest.fail(f"stack not healthy: {last}")
            assert body["components"]["redis"]["ok"]
            assert all(q["workers"] for q in body["components"]["queues"].values())

            # The funded paper account is registered and polled from the first minute.
            def polled():
                answer = session.get(f"{web}/api/rl-dashboard/").json()
                return answer["status"] == "ok" and answer

            pnl = wait_for(polled, timeout=60, interval=1, what="the first PnL poll")
            # Funded with 10000 USDT; the desk may already have paid a commission or two.
            assert Decimal("9000") < Decimal(pnl["totals"]["wallet_balance"]) <= Decimal("10000")

            dashboard = f"http://127.0.0.1:{stack_env['QUANTUM_PORT_FRONTEND']}"
            page = requests.get(f"{dashboard}/", timeout=30)
            assert page.status_code == 200 and "<script" in page.text
            assert requests.get(f"{dashboard}/api/health/", timeout=30).status_code == 403

            admin = session.get(f"{web}/admin/")
            assert admin.status_code == 200 and "Site administration" in admin.text
            assert requests.get(f"{flower}/", timeout=30).status_code == 401
            flower_ok = requests.get(f"{flower}/", auth=("admin", password), timeout=30)
            assert flower_ok.status_code == 200

            # Embedded Redis: loopback only, and refuses clients without the password.
            redis_port = int(stack_env["QUANTUM_PORT_REDIS"])
            with socket.create_connection(("127.0.0.1", redis_port), timeout=5) as sock:
                sock.sendall(b"PING\r\n")
                assert b"NOAUTH" in sock.recv(200)
            started = _descendants(proc.pid)
            assert len(started) >= 7

            # var/ and all in it are the owner's alone: the ledger (it holds the admin's API
            # token) and its -wal/-shm, Redis's AOF/RDB, the logs, the supervisor's socket.
            var = Path(stack_env["QUANTUM_VAR_DIR"])
            assert stat.S_IMODE(var.stat().st_mode) == 0o700
            assert any((var / "redis").rglob("*.aof")), "Redis writes its AOF under var/redis"
            loose = {
                str(p.relative_to(var)): oct(stat.S_IMODE(p.lstat().st_mode))
                for p in var.rglob("*")
                if not p.is_symlink() and stat.S_IMODE(p.lstat().st_mode) & 0o077
            }
            assert loose == {}, loose

            # kill -9 of the trading worker: supervisord starts a new one, nothing else stops
            # (under honcho the whole stack went down), and the desk is healthy again.
            trading = _main_process(proc.pid, "-n worker_trading@")
            assert trading is not None
            others = {p.pid for p in started if p.ppid() == trading.ppid() and p != trading}
            trading.kill()
            wait_for(
                lambda: (
                    (new := _main_process(proc.pid, "-n worker_trading@")) is not None
                    and new.pid != trading.pid
                ),
                timeout=30,
                interval=0.2,
                what="worker_trading restarted",
            )
            try:
                wait_for(healthy, timeout=90, interval=1, what="health after the restart")
            except TimeoutError:
                pytest.fail(f"not healthy after worker_trading's restart: {last}")
            assert others <= {p.pid for p in _descendants(proc.pid)}
            assert "exited: worker_trading (terminated by SIGKILL; not expected)" in (
                log_path.read_text()
            )
        finally:
            started = _descendants(proc.pid)
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
            proc.wait(60)
    time.sleep(1)
    alive = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], f"left behind: {[p.cmdline() for p in alive]}"


def test_it_refuses_to_start_on_a_port_conflict_and_names_the_holder(stack_env, tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(stack_env["QUANTUM_PORT_FLOWER"])))
        squatter.listen()
        result = subprocess.run(
            ["make", "--no-print-directory", "up"],
            cwd=ROOT,
            env=stack_env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert result.returncode != 0
    port = stack_env["QUANTUM_PORT_FLOWER"]
    me = f"{psutil.Process().name()}[{os.getpid()}]"  # this test process holds the port
    assert f"port {port} (flower) is held by {me}" in result.stdout + result.stderr
    assert "supervisord" not in result.stdout + result.stderr


def _get(url: str) -> int | None:
    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:
        return None
