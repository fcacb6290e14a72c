"""The processes of the embedded stack, as a Procfile that honcho runs in the foreground.

Kept as data so the port map, the Procfile and the docs cannot disagree.
"""

import os
import shutil
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

WORKERS = {
    # name -> (queues, concurrency). Orders never wait behind a kline backfill or a poll, and a
    # long training run never delays either.
    "worker_trading": ("trading", 2),
    "worker": ("market,pnl,default", 2),
    "worker_research": ("rl,research", 1),
}


def redis_conf(*, path: Path, password: str) -> Path:
    """A private redis.conf: loopback only, a password, no eviction (it is the broker)."""
    spec = settings.PORTS["redis"]
    data_dir = path.parent / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    text = "\n".join(
        [
            f"bind {spec['bind']}",
            f"port {spec['port']}",
            "protected-mode yes",
            f"requirepass {password}",
            f"dir {data_dir}",
            "appendonly yes",
            "appendfsync everysec",
            "maxmemory-policy noeviction",
            "daemonize no",
            "",
        ]
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path


def procfile_lines(*, var_dir: Path, redis_password: str | None) -> dict[str, str]:
    python = sys.executable
    bindir = Path(python).parent
    celery = f"{bindir / 'celery'} -A quantum_project"
    ports = settings.PORTS
    lines: dict[str, str] = {}
    if settings.REDIS_EMBEDDED:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError(
                "redis-server is not installed (make installs Debian's redis-server)"
            )
        conf = redis_conf(path=var_dir / "redis.conf", password=redis_password or "")
        lines["redis"] = f"exec {server} {conf}"

    def gunicorn(service: str, workers: int) -> str:
        spec = ports[service]
        return (
            f"exec {bindir / 'gunicorn'} quantum_project.wsgi:application "
            f"--bind {spec['bind']}:{spec['port']} --workers {workers} --threads 4 "
            "--graceful-timeout 10 --no-control-socket --access-logfile -"
        )

    lines["web"] = gunicorn("web", 2)
    # The same Django app on the dashboard's port: the SPA and /api/ share an origin and a session.
    lines["frontend"] = gunicorn("frontend", 1)
    for name, (queues, concurrency) in WORKERS.items():
        lines[name] = (
            f"exec {celery} worker -Q {queues} -c {concurrency} -n {name}@%h -E --loglevel INFO"
        )
    lines["beat"] = f"exec {celery} beat --loglevel INFO --pidfile="
    flower = ports["flower"]
    lines["flower"] = f"exec {celery} flower --address={flower['bind']} --port={flower['port']}"
    if "paper_exchange" in get_commands():
        # The desk's venue, and a second one with another seed as the cross-exchange reference.
        for name, service, seed in (
            ("exchange", "paper_exchange", 42),
            ("exchange_ref", "paper_exchange_ref", 43),
        ):
            spec = ports[service]
            lines[name] = (
                f"exec {python} manage.py paper_exchange --host {spec['bind']} "
                f"--port {spec['port']} --db {var_dir / (service + '.sqlite3')} --seed {seed}"
            )
    return lines


def write_procfile(*, path: Path, lines: dict[str, str]) -> Path:
    path.write_text("".join(f"{name}: {command}\n" for name, command in lines.items()))
    return path


def urls() -> dict[str, str]:
    ports = settings.PORTS

    def base(name: str) -> str:
        return f"http://{ports[name]['bind']}:{ports[name]['port']}"

    return {
        "Dashboard": f"{base('frontend')}/",
        "Admin": f"{base('web')}/admin/",
        "API health": f"{base('web')}/api/health/",
        "OpenAPI schema": f"{base('web')}/api/schema/",
        "Flower": f"{base('flower')}/",
        "Paper exchange": f"{base('paper_exchange')}/fapi/v1/ping",
    }
