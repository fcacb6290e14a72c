"""The stack as `make up` runs it (`manage.py up`), in a throw-away var dir, on free ports, with
its own .env: started, its processes found and killed by command line, stopped.

Nothing of the stack is imported or replaced: every program runs from the command line `make up`
gives it. The programs are told apart by their command lines (apps/ops/stack.py) and scoped to
this stack by ancestry, so another stack on the same host (a colleague's `make up`, another
test) is never touched.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil

from tests.support.processes import ROOT, free_port, wait_for

# The programs of apps/ops/stack.py the chaos kills; exchange_ref is the cross-exchange
# reference venue (left alone: the desk never trades on it).
PROGRAMS = (
    "worker_trading",
    "worker",
    "worker_research",
    "beat",
    "web",
    "frontend",
    "flower",
    "redis",
    "exchange",
)
SERVICES = ("web", "frontend", "flower", "redis", "paper_exchange", "paper_exchange_ref")
# The environment of the developer or the test run must not leak into the stack: it gets
# `make up`'s embedded defaults and its own generated .env.
DROPPED_ENV = (
    "REDIS_URL",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "REDIS_PASSWORD",
    "QUANTUM_VAR_DIR",
    "QUANTUM_ENV_FILE",
    "DJANGO_SETTINGS_MODULE",
)
DROPPED_PREFIXES = ("PYTEST", "DJANGO_ADMIN", "QUANTUM_PORT_", "QUANTUM_BIND_", "PAPER_EXCHANGE_")


def program_of(cmdline: list[str], ports: dict[str, int]) -> str | None:
    """Which program of the stack a process belongs to, from its command line alone."""
    text = " ".join(cmdline)
    if not cmdline:
        return None
    if "redis-server" in cmdline[0]:
        return "redis"
    if "paper_exchange" in cmdline and "--port" in cmdline:
        port = int(cmdline[cmdline.index("--port") + 1])
        return "exchange" if port == ports["paper_exchange"] else "exchange_ref"
    if "gunicorn" in text:
        bind = re.search(r"--bind \S+:(\d+)", text)
        if bind:
            return "web" if int(bind.group(1)) == ports["web"] else "frontend"
    if "manage.py" in text and "stream" in cmdline:  # the stream process (one per stack)
        return "stream"
    if "manage.py" in text and "react" in cmdline and "--name" in cmdline:
        return cmdline[cmdline.index("--name") + 1].split("@")[0]  # react1, react2
    if "apps.ops.flower" in text:  # Flower's launcher (apps/ops/flower.py) runs celery inside
        return "flower"
    if "celery" in text:
        if " beat" in text:
            return "beat"
        if " flower" in text:
            return "flower"
        node = re.search(r"-n (\w+)@", text)
        if node:
            return node.group(1)
    return None


@dataclass
class Database:
    """SQLite in the var dir (make up's default), or a fresh database on DATABASE_URL's
    PostgreSQL server, dropped afterwards: the operator's database is never written."""

    url: str | None
    created: str | None = None

    @classmethod
    def for_run(cls, base_url: str | None) -> Database:
        if not base_url or not base_url.startswith(("postgres://", "postgresql://")):
            return cls(url=None)
        import psycopg

        name = f"quantum_chaos_{secrets.token_hex(4)}"
        with psycopg.connect(_psycopg_dsn(base_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(base_url)
        return cls(url=urlunsplit(parts._replace(path=f"/{name}")), created=name)

    def drop(self, base_url: str | None) -> None:
        if not self.created or not base_url:
            return
        import psycopg

        with psycopg.connect(_psycopg_dsn(base_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.created}" WITH (FORCE)')


def _psycopg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@dataclass
class Stack:
    """One embedded stack. `env` is what every process of it (and the runner's own Django,
    which reads the same database and Redis) sees."""

    var_dir: Path
    env: dict[str, str]
    ports: dict[str, int]
    admin_password: str
    venue_token: str
    log_path: Path
    proc: subprocess.Popen | None = None
    pids: dict[str, set[int]] = field(default_factory=dict)
    _sampler: threading.Thread | None = None
    _stop_sampling: threading.Event = field(default_factory=threading.Event)
    _known: dict[int, str] = field(default_factory=dict)

    @classmethod
    def prepare(
        cls,
        *,
        base_dir: Path | None,
        database_url: str | None,
        speed: str,
        extra_env: dict[str, str],
    ) -> Stack:
        var_dir = Path(tempfile.mkdtemp(prefix="quantum-chaos-", dir=base_dir))
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in DROPPED_ENV and not k.startswith(DROPPED_PREFIXES)
        }
        env.pop("DATABASE_URL", None)
        if database_url:
            env["DATABASE_URL"] = database_url
        ports = {name: free_port() for name in SERVICES}
        env.update({f"QUANTUM_PORT_{name.upper()}": str(port) for name, port in ports.items()})
        admin_password, venue_token = secrets.token_urlsafe(18), secrets.token_urlsafe(24)
        env.update(
            {
                "QUANTUM_VAR_DIR": str(var_dir / "var"),
                "QUANTUM_ENV_FILE": str(var_dir / ".env"),
                "DJANGO_ADMIN_PASSWORD": admin_password,
                # the venue's fault switch needs its admin token; the env wins over the file's
                "PAPER_EXCHANGE_ADMIN_TOKEN": venue_token,
                "PAPER_EXCHANGE_SPEED": speed,
                "PYTHONUNBUFFERED": "1",
                **extra_env,
            }
        )
        return cls(
            var_dir=var_dir,
            env=env,
            ports=ports,
            admin_password=admin_password,
            venue_token=venue_token,
            log_path=var_dir / "stack.log",
        )

    # --- lifecycle -----------------------------------------------------------------------------
    def install(self) -> None:
        """`make up`'s recipe up to the stack itself, without the system packages and the
        frontend build: the generated .env, migrations, static files, the admin user."""
        for step in (
            ["-m", "quantum_project.envfile"],
            ["manage.py", "migrate", "--noinput", "-v0"],
            ["manage.py", "collectstatic", "--noinput", "-v0"],
            ["manage.py", "ensure_admin"],
        ):
            done = subprocess.run(
                [sys.executable, *step],
                cwd=ROOT,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(step)} failed: {done.stderr[-3000:]}")

    def launch(self) -> None:
        """`manage.py up` in the foreground, in its own session, until every program is up."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - the stack writes it while it runs
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "up"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        wait_for(
            lambda: self.ensure_running() and self.all_up(),
            timeout=180,
            interval=0.5,
            what=f"every program of the stack up (log: {self.log_path})",
        )

    def ensure_running(self) -> bool:
        """True while `manage.py up` runs; raises (with its last output) once it exited."""
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(
                f"the stack exited ({self.proc.returncode}): "
                f"{self.log_path.read_text(errors='replace')[-3000:]}"
            )
        return True

    def stop(self) -> None:
        self._stop_sampling.set()
        if self.proc is None:
            return
        leftovers = self._descendants()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)  # what Ctrl-C sends
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        for proc in leftovers:  # a program killed and restarted may have left children
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass

    def cleanup(self) -> None:
        shutil.rmtree(self.var_dir, ignore_errors=True)

    # --- the programs ----------------------------------------------------------------------------
    def _descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.proc.pid).children(recursive=True) if self.proc else []
        except psutil.NoSuchProcess:
            return []

    def programs(self) -> dict[str, list[psutil.Process]]:
        """Each program's processes, its main process first (the one whose parent is not of
        the same program: a celery worker's pool children and gunicorn's workers follow)."""
        found: dict[str, list[psutil.Process]] = {}
        for proc in self._descendants():
            try:
                name = self._known.get(proc.pid) or program_of(proc.cmdline(), self.ports)
            except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                continue
            if name is None:
                continue
            self._known[proc.pid] = name
            found.setdefault(name, []).append(proc)
        for name, procs in found.items():
            mains = [p for p in procs if self._known.get(_ppid(p)) != name]
            found[name] = mains + [p for p in procs if p not in mains]
        return found

    def main_pid(self, name: str) -> int | None:
        procs = self.programs().get(name)
        return procs[0].pid if procs else None

    def all_up(self) -> bool:
        current = self.programs()
        return all(current.get(name) for name in PROGRAMS)

    def down(self) -> list[str]:
        return [name for name in PROGRAMS if not self.main_pid(name)]

    def kill(self, name: str) -> list[int]:
        """kill -9 the program's main process and every process under it at once (a machine
        losing the process, not a shutdown: nothing of it gets to clean up)."""
        procs = self.programs().get(name, [])
        for proc in procs:
            try:
                proc.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        return [p.pid for p in procs]

    def _sample(self) -> None:
        # Restarts are counted as main pids changing per program; a sample every half second
        # sees every restart (a supervisor's restart takes longer than that).
        while not self._stop_sampling.is_set():
            for name, procs in self.programs().items():
                self.pids.setdefault(name, set()).add(procs[0].pid)
            self._stop_sampling.wait(0.5)

    def restarts(self) -> dict[str, int]:
        return {name: len(self.pids.get(name, ())) - 1 for name in PROGRAMS}

    # --- the output ------------------------------------------------------------------------------
    def output_lines(self, needle: str) -> list[str]:
        """Lines of the stack's output holding `needle`: the foreground output and any log file
        the stack writes under its var dir (a supervisor may log per program)."""
        hits = []
        for path in [self.log_path, *sorted(self.var_dir.rglob("*.log"))]:
            if path.is_file():
                text = path.read_text(errors="replace")
                hits += [f"{path.name}: {line}" for line in text.splitlines() if needle in line]
        return list(dict.fromkeys(hits))


def _ppid(proc: psutil.Process) -> int | None:
    try:
        return proc.ppid()
    except psutil.NoSuchProcess:
        return None
