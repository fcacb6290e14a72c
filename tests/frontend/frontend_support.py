"""Build and serve the dashboard for the tests and the bench: `npm ci` only when node_modules is
missing or package-lock.json changed, `npm run build` only when a source is newer than dist, a
gunicorn of the real Django app on a free port, and the expected text of a money figure."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist"
NODE_MODULES = FRONTEND / "node_modules"
LOCK_MARK = NODE_MODULES / ".qt-package-lock.sha256"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SOURCES = (
    "src",
    "public",
    "index.html",
    "vite.config.ts",
    "tsconfig.json",
    "package.json",
    "package-lock.json",
)
MINUS = "\u2212"


def _npm() -> str:
    npm = shutil.which("npm")
    if not npm:
        raise RuntimeError("npm not found: the dashboard needs Node 20+ and npm")
    return npm


@contextmanager
def _build_lock():
    # pytest and the bench may build at once: one npm at a time in this checkout.
    with open(FRONTEND / ".build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(args: list[str], *, timeout: int) -> None:
    proc = subprocess.run(
        args, cwd=FRONTEND, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({proc.returncode}):\n"
            f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )


def lock_hash() -> str:
    return hashlib.sha256((FRONTEND / "package-lock.json").read_bytes()).hexdigest()


def ensure_node_modules() -> None:
    with _build_lock():
        _ensure_node_modules()


def _ensure_node_modules() -> None:
    if LOCK_MARK.exists() and LOCK_MARK.read_text().strip() == lock_hash():
        return
    _run([_npm(), "ci", "--no-audit", "--no-fund"], timeout=600)
    LOCK_MARK.write_text(lock_hash())


def newest_source_mtime() -> float:
    newest = 0.0
    for name in SOURCES:
        path = FRONTEND / name
        files = path.rglob("*") if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                newest = max(newest, file.stat().st_mtime)
    return newest


def dist_is_stale() -> bool:
    index = DIST / "index.html"
    return not index.exists() or index.stat().st_mtime < newest_source_mtime()


def ensure_built() -> Path:
    with _build_lock():
        _ensure_node_modules()
        if dist_is_stale():
            _run([_npm(), "run", "build"], timeout=600)
    return DIST


def bundle_sizes() -> dict[str, int]:
    """Raw and gzip (level 9) bytes of everything the browser downloads from dist."""
    import gzip

    raw = gz = 0
    for file in DIST.rglob("*"):
        if file.is_file() and file.suffix in {".js", ".css", ".html"}:
            data = file.read_bytes()
            raw += len(data)
            gz += len(gzip.compress(data, compresslevel=9, mtime=0))
    return {"raw_bytes": raw, "gzip_bytes": gz}


class Gunicorn:
    """The real Django app (API + built SPA) under gunicorn on a loopback port, threaded as `make
    up` runs it (apps/ops/stack.py: 8 threads, LIVE_MAX_STREAMS of them at most on live feeds)."""

    def __init__(
        self, env: dict[str, str], port: int, log_path: Path, *, workers: int = 2, threads: int = 8
    ) -> None:
        self.env = env
        self.port = port
        self.log_path = log_path
        self.workers = workers
        self.threads = threads
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open for the process's life
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "quantum_project.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log_path}")
            try:
                if requests.get(f"{self.url}/api/health/live", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"gunicorn did not answer: see {self.log_path}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_log", None):
            self._log.close()


def api_session(base: str, username: str, password: str) -> requests.Session:
    """A requests session logged in the way the SPA does: CSRF cookie, then POST login."""
    session = requests.Session()
    token = session.get(f"{base}/api/auth/csrf/", timeout=10).json()["csrf_token"]
    response = session.post(
        f"{base}/api/auth/login/",
        json={"username": username, "password": password},
        headers={"X-CSRFToken": token},
        timeout=10,
    )
    response.raise_for_status()
    return session


def money_text(value, *, sign: bool = True, places: int = 2, unit: str = "USDT") -> str:
    """What the dashboard must show for a decimal string: an independent Python rendering of
    frontend/src/lib/money.ts (ROUND_HALF_UP, grouped, typographic minus, + for gains)."""
    if value is None or value == "":
        return "\u2014"
    try:
        amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return "\u2014"
    text = f"{abs(amount):,.{places}f}"
    prefix = MINUS if amount < 0 else ("+" if sign and amount > 0 else "")
    return f"{prefix}{text}{' ' + unit if unit else ''}"
