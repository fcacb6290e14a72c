"""The beat schedule's defaults, in one place.

Beat runs django-celery-beat's DatabaseScheduler: on start it creates the entries below that do
not exist yet (apps.ops.services.periodic_tasks_ensure) and from then on the admin's "Periodic
tasks" page is the schedule. An operator changes an interval or disables an entry there, with no
code change; a restart keeps the edit. Per-account jobs (PnL polling) are created with the account.

`expires` drops a run that could not start in time instead of piling runs up behind a stall.
The intervals of the market and trading loops are settings (MARKET_PUBLISH_INTERVAL_SECONDS,
TRADING_CYCLE_INTERVAL_SECONDS, TRADING_MONITOR_INTERVAL_SECONDS): they seed the first schedule.
"""

from datetime import timedelta

from celery.schedules import crontab
from django.conf import settings

BEAT_SCHEDULE: dict[str, dict] = {
    # Ops (docs/operations.md, "Health"): a worker that stopped consuming is restarted.
    "ops: watch workers": {
        "task": "quantum.ops.watch_workers",
        "schedule": timedelta(seconds=settings.OPS_WORKER_WATCH_INTERVAL_SECONDS),
        "options": {"expires": settings.OPS_WORKER_WATCH_INTERVAL_SECONDS},
    },
    # PnL: thin out position/account snapshots older than PNL_SNAPSHOT_FULL_RESOLUTION_HOURS.
    "pnl: downsample snapshots": {
        "task": "quantum.pnl.downsample_snapshots",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
    # PnL: every active account's ledger and positions against the exchange's own records.
    "pnl: verify ledgers against the exchange": {
        "task": "quantum.pnl.verify_ledgers",
        "schedule": timedelta(seconds=settings.PNL_VERIFY_INTERVAL_SECONDS),
        "options": {"expires": settings.PNL_VERIFY_INTERVAL_SECONDS},
    },
    # Trading (docs/trading.md): market data, the loop, the monitor, the cross-exchange check.
    "market: publish": {
        "task": "quantum.market.publish",
        "schedule": timedelta(seconds=settings.MARKET_PUBLISH_INTERVAL_SECONDS),
        "options": {"expires": settings.MARKET_PUBLISH_INTERVAL_SECONDS},
    },
    "market: cross-exchange check": {
        "task": "quantum.market.cross_exchange",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 30},
    },
    "trading: run cycle": {
        "task": "quantum.trading.run_cycle",
        "schedule": timedelta(seconds=settings.TRADING_CYCLE_INTERVAL_SECONDS),
        "options": {"expires": settings.TRADING_CYCLE_INTERVAL_SECONDS},
    },
    "trading: monitor positions": {
        "task": "quantum.trading.monitor_positions",
        "schedule": timedelta(seconds=settings.TRADING_MONITOR_INTERVAL_SECONDS),
        "options": {"expires": settings.TRADING_MONITOR_INTERVAL_SECONDS},
    },
    # Intelligence (docs/intelligence.md): regimes, model supervision, RL feedback, strategies.
    "models: meta regime": {
        "task": "quantum.models.regimes",
        "schedule": timedelta(seconds=60),
        "options": {"expires": 60},
    },
    "models: score and supervise": {
        "task": "quantum.models.supervise",
        "schedule": timedelta(seconds=300),
        "options": {"expires": 300},
    },
    "rl: feedback from closed trades": {
        "task": "quantum.rl.feedback",
        "schedule": timedelta(seconds=15),
        "options": {"expires": 15},
    },
    "rl: calibrate the sizing agent": {
        "task": "quantum.rl.calibrate",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
    "strategy: brain picks per symbol": {
        "task": "quantum.strategy.brain",
        "schedule": timedelta(seconds=60),
        "options": {"expires": 60},
    },
    "strategy: memory from closed trades": {
        "task": "quantum.strategy.outcomes",
        "schedule": timedelta(seconds=60),
        "options": {"expires": 60},
    },
    "models: first training once the history is ready": {
        "task": "quantum.models.bootstrap",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 300},
    },
    "strategy: first evolution once the history is ready": {
        "task": "quantum.strategy.bootstrap",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 300},
    },
    "strategy: live check of active versions": {
        "task": "quantum.strategy.live_check",
        "schedule": timedelta(minutes=15),
        "options": {"expires": 900},
    },
    # Research (docs/intelligence.md): each run row is created, then its task is sent after
    # commit, exactly as the staff POST endpoints do. A run that could not start within the hour
    # is dropped; the next night (week) starts a fresh one.
    "models: nightly training (hgb)": {
        "task": "quantum.models.train_scheduled",
        "schedule": crontab(minute=30, hour=2),
        "kwargs": {"kind": "hgb"},
        "options": {"expires": 3600},
    },
    "models: nightly training (logreg)": {
        "task": "quantum.models.train_scheduled",
        "schedule": crontab(minute=50, hour=2),
        "kwargs": {"kind": "logreg"},
        "options": {"expires": 3600},
    },
    "strategy: weekly evolution": {
        "task": "quantum.strategy.evolve_scheduled",
        "schedule": crontab(minute=0, hour=3, day_of_week="sun"),
        "options": {"expires": 3600},
    },
}
