"""Settings read from the environment (and an optional, untracked `.env`).

Every value an operator may change comes from an environment variable; the defaults are the
embedded stack `make up` runs: SQLite, a local Redis, the paper exchange, all on loopback.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from apps.core.files import private_dir, private_files

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()


def env_decimal(name: str, *, default: str) -> Decimal:
    """A money or percentage setting, parsed once here: a bad value stops every process at start
    with the setting's name, never a task hours later (and never a float)."""
    raw = env(name, default=default)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a decimal number") from None
    if not value.is_finite():
        raise ImproperlyConfigured(f"{name}={raw!r} is not a finite number")
    return value


ENV_FILE = Path(env("QUANTUM_ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.exists():
    # The process environment wins over the file, so CI and tests can override anything.
    environ.Env.read_env(ENV_FILE, overwrite=False)

# Runtime state of the embedded stack: SQLite files, Redis data, supervisord's config, logs. The
# owner's alone: 0700, and every file a desk process creates 0600 (apps/core/files.py).
VAR_DIR = Path(env("QUANTUM_VAR_DIR", default=str(BASE_DIR / "var")))
private_files()
private_dir(VAR_DIR)

SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_celery_beat",
    "axes",  # failed logins (apps/api/lockout.py)
    # One app per bounded context (docs/architecture-map.md); the paper venue is a separate
    # system that shares only this project's packaging.
    "apps.core",
    "apps.api",
    "apps.ops",
    "apps.paper_exchange",
    "apps.exchange",
    "apps.pnl",
    "apps.market",
    "apps.trading",
    "apps.models",
    "apps.rl",
    "apps.strategy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "quantum_project.urls"
WSGI_APPLICATION = "quantum_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'desk.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Workers, beat and gunicorn write at once. WAL lets readers run beside the writer; the busy
    # timeout makes a writer wait for the lock. But a deferred transaction that reads and then
    # writes cannot wait: SQLite answers "database is locked" at once to avoid a deadlock. So
    # every transaction takes the write lock up front (BEGIN IMMEDIATE) and waits its turn.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not pytest's in-memory default: end-to-end tests share it with a real worker process.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_desk.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# Behind the TLS reverse proxy (deploy/nginx/quantum.conf; docs/operations.md, "Many hosts"):
# gunicorn only trusts X-Forwarded-Proto from loopback, and the proxy reaches web over the
# private network, so Django is told which header says HTTPS (the proxy overwrites it; web must
# be reachable from the proxy alone). Then CSRF checks the browser's https Origin against this
# host, and the session and CSRF cookies never travel over plain HTTP.
TLS_PROXY = env.bool("QUANTUM_TLS_PROXY", default=False)
if TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
# Origins other than the request's own host a browser may POST from (scheme://host[:port]).
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- Ports: one table for every service of the stack --------------------------------------------
# name -> (default port, what it is). Port and bind address are overridable per service with
# QUANTUM_PORT_<NAME> / QUANTUM_BIND_<NAME>; all bind to loopback unless the operator says so.
_SERVICES = {
    "web": (8025, "Django: dashboard API, admin, OpenAPI (gunicorn)"),
    "frontend": (8889, "React dashboard (built assets)"),
    "flower": (5555, "Flower: Celery monitoring (basic auth)"),
    "redis": (6390, "Redis: Celery broker and live state (password)"),
    "paper_exchange": (8030, "Paper exchange: Binance USD-M compatible venue"),
    "paper_exchange_ref": (8031, "Paper exchange: reference venue for cross-exchange prices"),
}
PORTS = {
    name: {
        "port": env.int(f"QUANTUM_PORT_{name.upper()}", default=port),
        "bind": env(f"QUANTUM_BIND_{name.upper()}", default="127.0.0.1"),
        "what": what,
    }
    for name, (port, what) in _SERVICES.items()
}

# --- Redis ---------------------------------------------------------------------------------------
# REDIS_URL points at an operator's Redis; unset, `make up` starts its own on the port table's
# loopback address with the generated REDIS_PASSWORD.
REDIS_EMBEDDED = not env("REDIS_URL", default="")
REDIS_URL = env(
    "REDIS_URL",
    default="redis://:{pw}@{bind}:{port}/0".format(
        pw=env("REDIS_PASSWORD", default=""),
        bind=PORTS["redis"]["bind"],
        port=PORTS["redis"]["port"],
    ),
)


# Django's cache (the dashboard's figures, the login throttle, symbol filters) in the same Redis,
# so every gunicorn worker and every host shares one. Its own database number: cache.clear() is
# a FLUSHDB and must never reach the broker's queues.
def _cache_url(url: str) -> str:
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db + 1) % 16}"))


CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_CACHE_URL", default=_cache_url(REDIS_URL)),
        "KEY_PREFIX": "quantum:cache",
    }
}

# Locks of jobs that must not overlap are leases renewed while the holder runs (apps/core/locks.py):
# a holder killed outright frees its lock within this many seconds.
LOCK_LEASE_SECONDS = env.int("LOCK_LEASE_SECONDS", default=10)

# --- Exchange ------------------------------------------------------------------------------------
# How long the health check waits for workers to answer "which queues do you consume".
OPS_INSPECT_TIMEOUT_SECONDS = env.float("OPS_INSPECT_TIMEOUT_SECONDS", default=2.0)
# A worker can answer the control channel and still run nothing (its consumer stopped after a
# broker restart), so health also sends a task through each served queue (at most every
# OPS_QUEUE_PROBE_EVERY_SECONDS) and reports the queue down when none came back within its
# timeout. rl and research share a one-process worker that runs training for up to 30 min.
OPS_QUEUE_PROBE_EVERY_SECONDS = env.int("OPS_QUEUE_PROBE_EVERY_SECONDS", default=5)
OPS_QUEUE_PROBE_TIMEOUT_SECONDS = env.int("OPS_QUEUE_PROBE_TIMEOUT_SECONDS", default=30)
OPS_QUEUE_PROBE_TIMEOUT_OVERRIDES = {"rl": 1900, "research": 1900}
# The same probe per worker, through its own direct queue (CELERY_WORKER_DIRECT): with two workers
# on a queue, one that stopped consuming hides behind the other in the per-queue probe. A worker
# is stuck when its probe has waited this long while it answers the control channel and runs no
# task (a busy worker is not stuck: a training run may hold research's only process for 30 min).
OPS_WORKER_PROBE_TIMEOUT_SECONDS = env.int("OPS_WORKER_PROBE_TIMEOUT_SECONDS", default=30)
# The watch job (quantum.ops.watch_workers) tells a stuck worker to shut down; its supervisor
# (supervisord's autorestart, systemd's Restart=always) starts it again with a fresh consumer.
OPS_WORKER_RESTART_STUCK = env.bool("OPS_WORKER_RESTART_STUCK", default=True)
OPS_WORKER_WATCH_INTERVAL_SECONDS = env.int("OPS_WORKER_WATCH_INTERVAL_SECONDS", default=10)
# A periodic loop that has not completed for this many of its intervals (and at least the
# floor) turns health red, named `loop:<task>`.
OPS_LOOP_STALE_INTERVALS = env.int("OPS_LOOP_STALE_INTERVALS", default=6)
OPS_LOOP_STALE_FLOOR_SECONDS = env.int("OPS_LOOP_STALE_FLOOR_SECONDS", default=60)

EXCHANGE_BASE_URL = env(
    "EXCHANGE_BASE_URL", default=f"http://127.0.0.1:{PORTS['paper_exchange']['port']}"
)
# The factory of an account's signed session, `(account=, timeout=) -> Gateway`
# (apps/exchange/gateway.py). Not from the environment: the desk speaks Binance over HTTP; the
# rule tests name an in-process venue here (tests/support/fake_gateway.py), as Django's tests
# swap EMAIL_BACKEND.
EXCHANGE_GATEWAY = "apps.exchange.gateway.binance_session"

# --- Celery (read by quantum_project/celery.py with the CELERY_ namespace) ---------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_SEND_TASK_EVENTS = env.bool("CELERY_TASK_EVENTS", default=True)  # Flower
# The producer's "task-sent" event is one more Redis PUBLISH per send (half a producer's CPU per
# send: docs/operations.md, "Benchmarks"); Flower shows every task from "received" on without it
# and a backlog on its broker page. On only with the task events and when asked for.
CELERY_TASK_SEND_SENT_EVENT = CELERY_WORKER_SEND_TASK_EVENTS and env.bool(
    "CELERY_TASK_SENT_EVENT", default=False
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's consumer with the task events published in batches (see the module).
CELERY_WORKER_CONSUMER = "quantum_project.celery_consumer:Consumer"
# Each worker also consumes its own queue `<name>.dq`: the health probe reaches one worker, not
# whichever consumer of a shared queue is free (apps.ops.services.worker_probe_send).
CELERY_WORKER_DIRECT = True
# A message taken by a worker that dies unacked goes back to its queue after this many seconds.
# It must exceed the longest hard time limit of any acks_late task (see docs/operations.md).
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # How often a worker sweeps for such messages (kombu's default is every 100 s).
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
}
# The sweep runs under a Redis lock (kombu's `unacked_mutex`) that a worker killed or cut off
# while holding it leaves behind for its whole expiry: kombu's 300 s, during which no worker
# redelivers anything. A sweep holds it for milliseconds, and two sweeps at once are harmless
# (each message is restored in a transaction that watches the unacked hash), so it expires
# after one sweep interval: a dead holder delays redelivery by at most that.
CELERY_BROKER_TRANSPORT_OPTIONS["unacked_mutex_expire"] = CELERY_BROKER_TRANSPORT_OPTIONS[
    "unacked_restore_interval"
]
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BEAT_SCHEDULER = "apps.ops.scheduler:HeartbeatDatabaseScheduler"
# How many times a message may be delivered before an acks_late task gives up on it.
CELERY_MAX_DELIVERIES = env.int("CELERY_MAX_DELIVERIES", default=5)

# --- REST API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, bounded (apps/api/parsers.py): the API takes no forms or uploads.
    "DEFAULT_PARSER_CLASSES": ["apps.api.parsers.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_RATES": {"login": env("API_LOGIN_RATE", default="10/min")},
    # Behind the proxy every request comes from its address: the throttle counts the client
    # it saw instead, the last X-Forwarded-For entry (the one the proxy appended).
    "NUM_PROXIES": 1 if TLS_PROXY else None,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Quantum Trader API",
    "DESCRIPTION": "Dashboard API of the Quantum Trader futures desk. Money is a decimal string.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Training and evolution runs share one status set (pending/running/ok/error): one name.
    "ENUM_NAME_OVERRIDES": {"RunStatusEnum": "apps.models.models.TrainingRun.Status"},
    # The error answers (400, 403, 413, ...) every operation can give, documented once.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.api.schema.document_error_responses",
        "apps.api.schema.integer_formats_drop",
    ],
}

# --- Hardened input and login (docs/operations.md, "Hardened input") ---------------------------
API_JSON_MAX_BYTES = env.int("API_JSON_MAX_BYTES", default=64 * 1024)
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=20)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
# django-axes: failed logins (API, admin) are counted per username and client address in the
# database, which every web process shares; at the limit that pair is refused until cool-off.
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last: it turns a lockout into the answer
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Per pair, so a stranger's guesses never lock the operator out on the same loopback address;
# guessing across usernames from one address is what the login throttle (API_LOGIN_RATE) stops.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "apps.api.lockout.lockout_response"
# The client's address as the throttle sees it (behind the proxy, not the proxy's own address,
# which would lock a username out for everyone).
AXES_CLIENT_IP_CALLABLE = "apps.api.lockout.client_address"
# Flower's basic auth (apps/ops/flower.py): failures per client address in Redis.
FLOWER_AUTH_FAILURE_LIMIT = env.int("FLOWER_AUTH_FAILURE_LIMIT", default=AXES_FAILURE_LIMIT)
FLOWER_AUTH_COOLOFF_SECONDS = env.int("FLOWER_AUTH_COOLOFF_SECONDS", default=15 * 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- PnL ---------------------------------------------------------------------------------------
# Exchange credentials are encrypted at rest with these Fernet keys (comma-separated): the first
# encrypts, all decrypt. Rotate: new key first, `manage.py exchange_account rotate_keys`, then drop
# the old one (docs/pnl.md).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# The tracker polls every active account this often (its beat entry expires after one interval).
PNL_POLL_INTERVAL_SECONDS = env.int("PNL_POLL_INTERVAL_SECONDS", default=15)
# soft < hard < lock < CELERY_VISIBILITY_TIMEOUT (docs/pnl.md).
PNL_POLL_SOFT_TIME_LIMIT = env.int("PNL_POLL_SOFT_TIME_LIMIT", default=40)
PNL_POLL_HARD_TIME_LIMIT = env.int("PNL_POLL_HARD_TIME_LIMIT", default=50)
PNL_POLL_LOCK_SECONDS = env.int("PNL_POLL_LOCK_SECONDS", default=60)
PNL_POLL_MAX_RETRIES = env.int("PNL_POLL_MAX_RETRIES", default=3)
# /fapi/v1/income paging: rows per page (Binance max 1000), span per request, how far back the
# first poll of an account reaches (Binance keeps about 90 days), how much of the recent past each
# poll re-reads because the venue may publish a row a little after its `time`.
PNL_INCOME_PAGE_LIMIT = env.int("PNL_INCOME_PAGE_LIMIT", default=1000)
PNL_INCOME_MAX_SPAN_DAYS = env.int("PNL_INCOME_MAX_SPAN_DAYS", default=7)
PNL_INCOME_LOOKBACK_DAYS = env.int("PNL_INCOME_LOOKBACK_DAYS", default=90)
PNL_INCOME_SETTLE_SECONDS = env.int("PNL_INCOME_SETTLE_SECONDS", default=60)
# Drills and tests only: a pause between income pages, to kill a worker mid-poll on purpose.
PNL_INCOME_PAGE_PAUSE_SECONDS = env.float("PNL_INCOME_PAGE_PAUSE_SECONDS", default=0)
# Snapshots: every poll kept for this long, then one per account and bucket of N minutes.
PNL_SNAPSHOT_FULL_RESOLUTION_HOURS = env.int("PNL_SNAPSHOT_FULL_RESOLUTION_HOURS", default=24)
PNL_SNAPSHOT_DOWNSAMPLE_MINUTES = env.int("PNL_SNAPSHOT_DOWNSAMPLE_MINUTES", default=15)
# The dashboard says "stale" when the last successful poll is older than this.
PNL_STALE_SECONDS = env.int("PNL_STALE_SECONDS", default=60)
# computed dashboard figures are kept per (snapshot, ledger version); a poll replaces them
PNL_DASHBOARD_CACHE_SECONDS = env.int("PNL_DASHBOARD_CACHE_SECONDS", default=300)
# The window of the Redis reward hashes (quantum:rl:reward:{SYMBOL}) and their TTL.
PNL_REWARD_WINDOW = env("PNL_REWARD_WINDOW", default="24h")
PNL_REWARD_TTL_SECONDS = env.int("PNL_REWARD_TTL_SECONDS", default=3600)

# The check of every active account's ledger and positions against the exchange's own records
# (services.ledger_verify): how often. Each check pages the income of the last
# PNL_INCOME_LOOKBACK_DAYS (weight 30 per page of PNL_INCOME_PAGE_LIMIT rows, docs/pnl.md).
PNL_VERIFY_INTERVAL_SECONDS = env.int("PNL_VERIFY_INTERVAL_SECONDS", default=300)

# --- Trading -------------------------------------------------------------------------------------
# Market data, the trading loop, risk and execution (docs/trading.md).
TRADING_SYMBOLS = [s.upper() for s in env.list("TRADING_SYMBOLS", default=["BTCUSDT", "ETHUSDT"])]
# The ExchangeAccount (by name) the loop trades; empty: every active account.
TRADING_ACCOUNT = env("TRADING_ACCOUNT", default="")
# The cross-exchange reference venue (public endpoints only); `make up` runs a second paper venue.
REFERENCE_EXCHANGE_BASE_URL = env(
    "REFERENCE_EXCHANGE_BASE_URL",
    default="http://{bind}:{port}".format(**PORTS["paper_exchange_ref"]),
)
CROSS_EXCHANGE_ALARM_BPS = env_decimal("CROSS_EXCHANGE_ALARM_BPS", default="50")
MARKET_KLINE_INTERVAL = env("MARKET_KLINE_INTERVAL", default="1m")
MARKET_KLINE_HISTORY = env.int("MARKET_KLINE_HISTORY", default=120)  # klines kept warm per symbol
# The desk is event-driven (docs/trading.md): the stream process and the reactors act on every
# mark and closed kline as the venue pushes it. The beat's jobs below are the REST safety net,
# on slower beats: the market poll (marks and klines a dropped stream missed), the monitor
# (reconcile, exits on the REST marks, resume, backstops) and the full cycle (the same, waiting
# its turn). TRADING_SIGNALS_ON_BEAT: the full cycle evaluates signals too, for a desk run
# without the stream process and reactors (with them, a closed kline's reactor does it).
MARKET_PUBLISH_INTERVAL_SECONDS = env.int("MARKET_PUBLISH_INTERVAL_SECONDS", default=15)
MARKET_STREAM_MAXLEN = env.int("MARKET_STREAM_MAXLEN", default=10000)
TRADING_CYCLE_INTERVAL_SECONDS = env.int("TRADING_CYCLE_INTERVAL_SECONDS", default=30)
TRADING_MONITOR_INTERVAL_SECONDS = env.int("TRADING_MONITOR_INTERVAL_SECONDS", default=15)
TRADING_SIGNALS_ON_BEAT = env.bool("TRADING_SIGNALS_ON_BEAT", default=False)
# Strategy (trend following, two moving averages and an ATR filter) and sizing.
# auto | rule | ensemble (or a dotted path "module:Class"): auto = the ensemble once at least one
# model is live, else the rule (docs/trading.md, Signals).
TRADING_SIGNAL_SOURCE = env("TRADING_SIGNAL_SOURCE", default="auto")
TRADING_SIGNAL_SOURCES = {
    "rule": "apps.trading.signal_sources.MaCrossAtr",
    "ensemble": "apps.models.signal_sources.EnsembleSource",
}
# The intelligence apps plug into the loop here (apps/trading/hooks.py): dotted paths, resolved
# when called, so trading never imports models / rl / strategy. Empty string: hook off.
TRADING_HOOKS = {
    "market_context": env(
        "TRADING_HOOK_MARKET_CONTEXT", default="apps.models.hooks.market_context"
    ),
    "size": env("TRADING_HOOK_SIZE", default="apps.rl.hooks.size"),
    "strategy": env("TRADING_HOOK_STRATEGY", default="apps.strategy.hooks.active_strategy"),
    "strategy_source": env(
        "TRADING_HOOK_STRATEGY_SOURCE", default="apps.strategy.hooks.strategy_source"
    ),
    "live_models": env("TRADING_HOOK_LIVE_MODELS", default="apps.models.hooks.live_models"),
}
# Size entries with the RL agent (bounded by the risk policy); off: TRADING_ORDER_NOTIONAL flat.
TRADING_RL_SIZING = env.bool("TRADING_RL_SIZING", default=True)
# The dashboard's live feed (apps.trading.live, docs/frontend.md "Live, stale, down"): the
# trading events stream's bound, at most this many open feeds per web process (each holds one of
# gunicorn's threads and one Redis connection; one more is refused with 503 and the page polls),
# and a keepalive comment this often (a closed browser is noticed at the next write).
TRADING_EVENTS_MAXLEN = env.int("TRADING_EVENTS_MAXLEN", default=10_000)
LIVE_MAX_STREAMS = env.int("LIVE_MAX_STREAMS", default=4)
LIVE_KEEPALIVE_SECONDS = env.float("LIVE_KEEPALIVE_SECONDS", default=15)
LIVE_RETRY_MS = env.int("LIVE_RETRY_MS", default=3000)  # the browser reconnects after this
TRADING_MA_FAST = env.int("TRADING_MA_FAST", default=9)
TRADING_MA_SLOW = env.int("TRADING_MA_SLOW", default=21)
TRADING_ATR_PERIOD = env.int("TRADING_ATR_PERIOD", default=14)
# ATR as a % of price: too quiet below the minimum, too wild above the maximum
TRADING_ATR_MIN_PCT = env_decimal("TRADING_ATR_MIN_PCT", default="0.01")
TRADING_ATR_MAX_PCT = env_decimal("TRADING_ATR_MAX_PCT", default="3")  # % of price: too wild above
TRADING_ORDER_NOTIONAL = env_decimal("TRADING_ORDER_NOTIONAL", default="200")  # USDT per entry
TRADING_LEVERAGE = env.int("TRADING_LEVERAGE", default=5)
# Exit brain (enforced by the monitor, docs/trading.md): percent of the entry price.
TRADING_TAKE_PROFIT_PCT = env_decimal("TRADING_TAKE_PROFIT_PCT", default="1.5")
TRADING_STOP_LOSS_PCT = env_decimal("TRADING_STOP_LOSS_PCT", default="1.0")
TRADING_TRAILING_PCT = env_decimal("TRADING_TRAILING_PCT", default="0.8")
# Scaling with the signal (docs/trading.md, "Decisions"): add to a position up this much, when
# the signal is this sure; halve (this fraction) one the signal is no longer sure of
TRADING_ADD_AFTER_PCT = env_decimal("TRADING_ADD_AFTER_PCT", default="0.5")
TRADING_ADD_MIN_CONFIDENCE = env_decimal("TRADING_ADD_MIN_CONFIDENCE", default="0.8")
TRADING_REDUCE_FRACTION = env_decimal("TRADING_REDUCE_FRACTION", default="0.5")
# The exchange-side backstop (STOP_MARKET closePosition, by mark) this far past the entry; 0: off
TRADING_BACKSTOP_PCT = env_decimal("TRADING_BACKSTOP_PCT", default="3.0")
# Execution: HTTP timeout of an order call; how long an executor holds a SUBMITTING intent before
# another may look the order up and take over (> timeout x retries); retries of one execution.
TRADING_ORDER_TIMEOUT_SECONDS = env.int("TRADING_ORDER_TIMEOUT_SECONDS", default=5)
TRADING_LEASE_SECONDS = env.int("TRADING_LEASE_SECONDS", default=60)
TRADING_EXECUTE_RETRIES = env.int("TRADING_EXECUTE_RETRIES", default=3)
# soft < hard < lock < CELERY_VISIBILITY_TIMEOUT.
TRADING_CYCLE_SOFT_TIME_LIMIT = env.int("TRADING_CYCLE_SOFT_TIME_LIMIT", default=40)
TRADING_CYCLE_HARD_TIME_LIMIT = env.int("TRADING_CYCLE_HARD_TIME_LIMIT", default=50)
TRADING_CYCLE_LOCK_SECONDS = env.int("TRADING_CYCLE_LOCK_SECONDS", default=60)
# How long a full cycle waits for a monitor pass of the same account to end (the monitor never
# waits; it gives way). wait + a cycle's run < the soft time limit.
TRADING_CYCLE_LOCK_WAIT_SECONDS = env.int("TRADING_CYCLE_LOCK_WAIT_SECONDS", default=10)
# Drills and tests only: a pause after an order was sent and before the intent records it, to
# kill a worker in exactly that gap on purpose.
TRADING_SEND_PAUSE_SECONDS = env.float("TRADING_SEND_PAUSE_SECONDS", default=0)
# The event path (docs/trading.md, "Reactors"): `manage.py stream` feeds Redis streams from the
# venue's websockets, `manage.py react` (any number, any host) decides on each event.
# How long a reactor waits for an account's cycle lock before it leaves the event pending and
# tries again (a mark is never skipped for a busy lock, only delayed).
REACT_LOCK_WAIT_SECONDS = env.float("REACT_LOCK_WAIT_SECONDS", default=5)
# A consumer's unacknowledged entry idle this long is claimed by another (XAUTOCLAIM): a reactor
# killed between reading and acknowledging loses nothing. > the longest handling of one event.
REACT_CLAIM_IDLE_SECONDS = env.float("REACT_CLAIM_IDLE_SECONDS", default=30)
# A mark older than this is not acted on (the next one is a second away): a claimed or long
# pending mark must not close a position at a price that has moved on.
REACT_MARK_MAX_AGE_SECONDS = env.float("REACT_MARK_MAX_AGE_SECONDS", default=60)
REACT_BLOCK_MS = env.int("REACT_BLOCK_MS", default=1000)
# A reactor sends the orders of the intents it made itself, at once, instead of through the
# Celery trading queue (a broker round trip and two process wake-ups fewer between an event and
# its order); a send that must be retried still goes to Celery. False: every order via Celery.
REACT_EXECUTE_INLINE = env.bool("REACT_EXECUTE_INLINE", default=True)
# Drills and tests only: a pause after an event was handled and before it is acknowledged.
REACT_PAUSE_BEFORE_ACK_SECONDS = env.float("REACT_PAUSE_BEFORE_ACK_SECONDS", default=0)
# Entries kept per user data stream (one per order or account update).
STREAM_USER_MAXLEN = env.int("STREAM_USER_MAXLEN", default=10000)
# /api/health/ is 503 when the stream process runs and its market connection is this silent
# (marks come every second).
STREAM_SILENT_SECONDS = env.int("STREAM_SILENT_SECONDS", default=30)
# `manage.py stream` reconnects after a delay doubling from the first to the cap, jittered.
STREAM_BACKOFF_FIRST_SECONDS = env.float("STREAM_BACKOFF_FIRST_SECONDS", default=0.5)
STREAM_BACKOFF_MAX_SECONDS = env.float("STREAM_BACKOFF_MAX_SECONDS", default=30)
# The listen key PUT (Binance: a key lives 60 min after its last one).
STREAM_KEEPALIVE_SECONDS = env.float("STREAM_KEEPALIVE_SECONDS", default=1800)

# --- Intelligence ---
# Regimes, signal models, supervisor and ensemble, RL sizing, strategies (docs/intelligence.md).
# Artifacts are loaded only from here, and only when their sha256 matches the registry's.
INTEL_MODEL_DIR = Path(env("INTEL_MODEL_DIR", default=str(VAR_DIR / "models")))
INTEL_HORIZON_BARS = env.int("INTEL_HORIZON_BARS", default=5)  # what a prediction is about
INTEL_TRAIN_BARS = env.int("INTEL_TRAIN_BARS", default=4000)  # klines per symbol to train on
INTEL_HOLDOUT_FRACTION = env.float("INTEL_HOLDOUT_FRACTION", default=0.2)
# Walk-forward folds over the fitted part (each fits on the blocks before its own).
INTEL_WF_FOLDS = env.int("INTEL_WF_FOLDS", default=4)
# A fresh desk trains its first models (and evolves its first strategies) by itself once every
# traded symbol has this many klines in its own store: a day of 1-minute bars.
INTEL_BOOTSTRAP_BARS = env.int("INTEL_BOOTSTRAP_BARS", default=1440)
# Supervisor: rolling window of scored predictions, minimum to judge, floors below which a
# model is demoted (accuracy; Brier skill against always saying 0.5).
INTEL_SKILL_WINDOW = env.int("INTEL_SKILL_WINDOW", default=300)
INTEL_SKILL_MIN_SCORED = env.int("INTEL_SKILL_MIN_SCORED", default=50)
INTEL_ACCURACY_FLOOR = env.float("INTEL_ACCURACY_FLOOR", default=0.48)
INTEL_BRIER_SKILL_FLOOR = env.float("INTEL_BRIER_SKILL_FLOOR", default=-0.05)
# Ensemble weights: "significance" = each model's excess hit rate over the best base rate, shrunk
# to 0 until a one-sided test gives p < INTEL_WEIGHT_ALPHA (docs/intelligence.md); "manual" = the
# weights set in the admin (new versions start at 1.0), the rule's figures only shown.
INTEL_ENSEMBLE_WEIGHTS = env.str("INTEL_ENSEMBLE_WEIGHTS", default="significance")
INTEL_WEIGHT_ALPHA = env.float("INTEL_WEIGHT_ALPHA", default=0.05)
# The ensemble stands aside unless its probability is this far from 0.5.
INTEL_ENSEMBLE_MIN_EDGE = env.float("INTEL_ENSEMBLE_MIN_EDGE", default=0.02)
# RL sizing: arms, default exploration and risk aversion (the calibrator re-fits them), and the
# settings cap used when no RiskPolicy row exists.
RL_MULTIPLIERS = env.list("RL_MULTIPLIERS", default=["0.5", "1.0", "1.5", "2.0"])  # Decimal strs
RL_EPSILON = env.float("RL_EPSILON", default=0.15)
RL_RISK_AVERSION = env.float("RL_RISK_AVERSION", default=0.5)
RL_MAX_NOTIONAL = env_decimal("RL_MAX_NOTIONAL", default="1000")  # USDT
RL_HISTORY_KEEP = env.int("RL_HISTORY_KEEP", default=1000)  # per-trade members per symbol
RL_STATS_WINDOW = env.int("RL_STATS_WINDOW", default=50)
RL_ALERT_MEAN_BELOW = env.float("RL_ALERT_MEAN_BELOW", default=-0.05)
RL_ALERT_LOSS_STREAK = env.int("RL_ALERT_LOSS_STREAK", default=6)
# Strategy evolution: population x generations of the genetic search; bars searched and held out.
STRATEGY_POPULATION = env.int("STRATEGY_POPULATION", default=16)
STRATEGY_GENERATIONS = env.int("STRATEGY_GENERATIONS", default=8)
# A 1-minute Sharpe on 1,000 bars has a standard error of ~23 annualised: the search covers six
# days, each of the walk-forward folds' test blocks about 29 hours, the hold-out a day.
STRATEGY_SEARCH_BARS = env.int("STRATEGY_SEARCH_BARS", default=8640)
STRATEGY_HOLDOUT_BARS = env.int("STRATEGY_HOLDOUT_BARS", default=1440)
STRATEGY_WF_FOLDS = env.int("STRATEGY_WF_FOLDS", default=4)
STRATEGY_FEE_BPS = env.float("STRATEGY_FEE_BPS", default=4.0)  # per position change, backtests
# Strategy ops: "auto" promotes a candidate that passes the out-of-sample test (deflated Sharpe
# above STRATEGY_PROMOTE_DSR, walk-forward and hold-out above the active version's, the former by
# STRATEGY_PROMOTE_MARGIN_SE standard errors) and rolls back an active version the one it
# replaced beats by that margin on at least STRATEGY_LIVE_MIN_BARS live bars; "manual" only
# records the verdicts (docs/intelligence.md).
STRATEGY_PROMOTION = env.str("STRATEGY_PROMOTION", default="auto")
STRATEGY_PROMOTE_DSR = env.float("STRATEGY_PROMOTE_DSR", default=0.95)
STRATEGY_PROMOTE_MARGIN_SE = env.float("STRATEGY_PROMOTE_MARGIN_SE", default=1.0)
STRATEGY_LIVE_MIN_BARS = env.int("STRATEGY_LIVE_MIN_BARS", default=1440)
# --- end Intelligence ---

# --- Paper exchange ------------------------------------------------------------------------------
# The venue `manage.py paper_exchange` serves (docs/paper-exchange.md); its flags win over these.
PAPER_EXCHANGE_HOST = env("PAPER_EXCHANGE_HOST", default="127.0.0.1")
PAPER_EXCHANGE_PORT = env.int("PAPER_EXCHANGE_PORT", default=PORTS["paper_exchange"]["port"])
PAPER_EXCHANGE_DB = env("PAPER_EXCHANGE_DB", default="")  # empty: $VAR_DIR/paper_exchange.sqlite3
PAPER_EXCHANGE_SPEED = env.float("PAPER_EXCHANGE_SPEED", default=1.0)  # a clock rate, not money
PAPER_EXCHANGE_SEED = env.int("PAPER_EXCHANGE_SEED", default=42)
PAPER_EXCHANGE_LOOSE_CLIENT_ORDER_IDS = env.bool(
    "PAPER_EXCHANGE_LOOSE_CLIENT_ORDER_IDS", default=False
)
PAPER_EXCHANGE_TAKER_FEE = env_decimal("PAPER_EXCHANGE_TAKER_FEE", default="0.0005")
PAPER_EXCHANGE_MAKER_FEE = env_decimal("PAPER_EXCHANGE_MAKER_FEE", default="0.0002")
# Unset: Binance's leverage brackets; a rate (e.g. 0.004): one flat maintenance margin rate.
PAPER_EXCHANGE_MAINT_MARGIN_RATE = (
    env_decimal("PAPER_EXCHANGE_MAINT_MARGIN_RATE", default="0")
    if env("PAPER_EXCHANGE_MAINT_MARGIN_RATE", default="").strip()
    else None
)
PAPER_EXCHANGE_WEIGHT_LIMIT_1M = env.int("PAPER_EXCHANGE_WEIGHT_LIMIT_1M", default=2400)
PAPER_EXCHANGE_ORDER_LIMIT_10S = env.int("PAPER_EXCHANGE_ORDER_LIMIT_10S", default=300)
PAPER_EXCHANGE_ORDER_LIMIT_1M = env.int("PAPER_EXCHANGE_ORDER_LIMIT_1M", default=1200)
PAPER_EXCHANGE_ADMIN_TOKEN = env("PAPER_EXCHANGE_ADMIN_TOKEN", default="")
PAPER_EXCHANGE_SYNCHRONOUS = env("PAPER_EXCHANGE_SYNCHRONOUS", default="FULL").upper()
