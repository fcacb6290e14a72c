"""The processes of the embedded stack, as a supervisord config run in the foreground.

Kept as data so the port map, the supervisor config and the docs cannot disagree. supervisord
restarts a crashed process with backoff and keeps the others running (honcho stopped the whole
stack when one process died).
"""

import os
import shutil
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

WEB_THREADS = 8  # per web process; LIVE_MAX_STREAMS of them at most serve live feeds

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


def program_commands(
    *, var_dir: Path, redis_password: str | None, python: str = sys.executable
) -> dict[str, str]:
    """name -> command line of each process, run without a shell (supervisord splits it).

    `python` is the venv's interpreter the lines name (its bin/ holds celery and gunicorn): this
    one under `make up`, the target host's when systemd units are generated for it."""
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
        lines["redis"] = f"{server} {conf}"

    # gthread: a live feed (GET /api/live/, server-sent events) holds one thread for as long as
    # a browser stays; at most LIVE_MAX_STREAMS (4) per process, so 8 threads keep 4 or more for
    # the API in every process (docs/operations.md, "The live feed").
    def gunicorn(service: str, workers: int) -> str:
        spec = ports[service]
        return (
            f"{bindir / 'gunicorn'} quantum_project.wsgi:application "
            f"--bind {spec['bind']}:{spec['port']} --workers {workers} --threads {WEB_THREADS} "
            "--graceful-timeout 10 --no-control-socket --access-logfile -"
        )

    lines["web"] = gunicorn("web", 2)
    # The same Django app on the dashboard's port: the SPA and /api/ share an origin and a session.
    lines["frontend"] = gunicorn("frontend", 1)
    for name, (queues, concurrency) in WORKERS.items():
        lines[name] = (
            f"{celery} worker -Q {queues} -c {concurrency} -n {name}@%h -E --loglevel INFO"
        )
    lines["beat"] = f"{celery} beat --loglevel INFO --pidfile="
    # The reactors (docs/trading.md, "Reactors"): exits on every mark, signals on every closed
    # kline, read from the Redis streams in the consumer group "trading". Two, so one dying (or
    # restarting) leaves the other reacting while it claims the dead one's pending entries.
    for n in (1, 2):
        # %h: the running host's name, expanded by the reactor as Celery expands a worker's -n,
        # so one line serves every host (units generated elsewhere, the multi-host harness).
        lines[f"react{n}"] = f"{python} manage.py react --name react{n}@%h"
    # Their source: the venue's websockets (marks, closed klines, user data) into those streams.
    # One per desk: two would write every mark twice.
    lines["stream"] = f"{python} manage.py stream"
    flower = ports["flower"]
    # `celery flower` with a lockout on its basic auth and /metrics behind it (apps/ops/flower.py)
    lines["flower"] = (
        f"{python} -m apps.ops.flower --address={flower['bind']} --port={flower['port']}"
    )
    if "paper_exchange" in get_commands():
        # The desk's venue, and a second one with another seed as the cross-exchange reference.
        for name, service, seed in (
            ("exchange", "paper_exchange", 42),
            ("exchange_ref", "paper_exchange_ref", 43),
        ):
            spec = ports[service]
            lines[name] = (
                f"{python} manage.py paper_exchange --host {spec['bind']} "
                f"--port {spec['port']} --db {var_dir / (service + '.sqlite3')} --seed {seed}"
            )
    return lines


# Start order (lower first); supervisord stops in the reverse order, so the broker and the venues
# outlive the workers that drain into them.
PRIORITIES = {"redis": 10, "exchange": 20, "exchange_ref": 20, "web": 30, "frontend": 30}
# Seconds between the stop signal and SIGKILL to the whole process group: a warm Celery shutdown
# finishes the tasks it holds (the acks_late ones come back anyway if it cannot).
STOP_WAIT = {"redis": 10, "web": 15, "frontend": 15, "beat": 10, "flower": 10}
WORKER_STOP_WAIT = 30
# A process that lived this long counts as started: dying later is a crash, restarted at once;
# dying sooner is a failed start, retried after 1 s, 2 s, 3 s, ... (supervisord's backoff).
START_SECONDS = 3
# Failed starts in a row before supervisord gives up on a program (FATAL). High: a venue or the
# broker that cannot start (a port held, a full disk) is retried for hours, not abandoned.
START_RETRIES = 200


def supervisor_conf(*, var_dir: Path, commands: dict[str, str]) -> str:
    """supervisord's config for `commands`: foreground, each program restarted when it dies,
    stopped with its whole process group (gunicorn's and Celery's children too), its output in
    var/log/<name>.log and on the terminal prefixed by its name (apps/ops/logprefix.py).

    No secret is written here: the programs inherit supervisord's environment (the .env values
    and FLOWER_BASIC_AUTH, set by `manage.py up`). No inet server: supervisorctl talks over a
    unix socket only the owner can open.
    """
    run_dir = var_dir / "supervisor"
    log_dir = var_dir / "log"
    socket_path = run_dir / "supervisor.sock"
    python = sys.executable
    sections = [
        _section(
            "supervisord",
            nodaemon="true",
            logfile=run_dir / "supervisord.log",
            logfile_maxbytes="10MB",
            logfile_backups=3,
            pidfile=run_dir / "supervisord.pid",
            directory=settings.BASE_DIR,
        ),
        _section("unix_http_server", file=socket_path, chmod="0700"),
        _section(
            "rpcinterface:supervisor",
            **{"supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"},
        ),
        _section("supervisorctl", serverurl=f"unix://{socket_path}"),
        # Terminal output prefixed by program name. Started first and stopped last, so the stop
        # messages of every other program still reach the terminal.
        _section(
            "eventlistener:logprefix",
            command=f"{python} -m apps.ops.logprefix",
            directory=settings.BASE_DIR,
            events="PROCESS_LOG",
            buffer_size=10000,
            priority=1,
            autorestart="true",
            stdout_logfile="NONE",
            stderr_logfile="/dev/stdout",
            stderr_logfile_maxbytes=0,
        ),
    ]
    for name, command in commands.items():
        worker = name in WORKERS
        sections.append(
            _section(
                f"program:{name}",
                # supervisord expands %(...)s in a command: a literal % (celery's name@%h) doubles.
                command=command.replace("%", "%%"),
                directory=settings.BASE_DIR,
                priority=PRIORITIES.get(name, 40 if worker else 50),
                autostart="true",
                autorestart="true",
                startsecs=START_SECONDS,
                startretries=START_RETRIES,
                stopsignal="TERM",
                stopwaitsecs=WORKER_STOP_WAIT if worker else STOP_WAIT.get(name, 10),
                stopasgroup="true",
                killasgroup="true",
                redirect_stderr="true",
                stdout_logfile=log_dir / f"{name}.log",
                stdout_logfile_maxbytes="20MB",
                stdout_logfile_backups=3,
                stdout_events_enabled="true",
            )
        )
    return "\n".join(sections)


def _section(title: str, **options) -> str:
    body = "".join(f"{key}={value}\n" for key, value in options.items())
    return f"[{title}]\n{body}"


def write_supervisor_conf(*, var_dir: Path, commands: dict[str, str]) -> Path:
    """Writes var/supervisor/supervisord.conf; the directory (socket, pid, log) is the owner's
    alone, so only the owner reaches supervisorctl."""
    run_dir = var_dir / "supervisor"
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    run_dir.chmod(0o700)  # an existing directory keeps its mode otherwise
    (var_dir / "log").mkdir(mode=0o700, exist_ok=True)
    path = run_dir / "supervisord.conf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(supervisor_conf(var_dir=var_dir, commands=commands))
    return path


def urls() -> dict[str, str]:
    ports = settings.PORTS

    def base(name: str) -> str:
        return f"http://{ports[name]['bind']}:{ports[name]['port']}"

    return {
        "Dashboard": f"{base('frontend')}/",
        "Admin": f"{base('web')}/admin/",
        "Liveness": f"{base('web')}/api/health/live",
        "API health": f"{base('web')}/api/health/",
        "OpenAPI schema": f"{base('web')}/api/schema/",
        "Flower": f"{base('flower')}/",
        "Paper exchange": f"{base('paper_exchange')}/fapi/v1/ping",
    }


def api_howto(*, user: str, paper_account: str | None) -> list[str]:
    """What `make up` prints after the URLs: how to call the API from a shell (the liveness
    probe answers anyone; everything else wants a session or a token) and how to see the paper
    account's credentials. Commands only: no secret is printed here."""
    web = urls()["API health"].removesuffix("/api/health/")
    python = Path(sys.executable)
    if python.is_relative_to(settings.BASE_DIR):  # .venv/bin/python, as the README says it
        python = python.relative_to(settings.BASE_DIR)
    manage = f"{python} manage.py"
    lines = [
        "Calling the API:",
        f"  curl {web}/api/health/live                 (no login: is the app up?)",
        f"  {manage} drf_create_token {user}    (prints {user}'s API token)",
        f'  curl -H "Authorization: Token <token>" {web}/api/health/',
    ]
    if paper_account:
        lines.append(
            f"  {manage} exchange_account credentials {paper_account} --secret"
            "    (the paper account's API key and secret)"
        )
        lines.append(
            f"  {manage} exchange_account reissue_paper {paper_account}"
            "    (a new key pair from the venue; the old key stops working)"
        )
    return lines
