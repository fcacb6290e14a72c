"""Every Redis key and stream name the desk uses, in one place.

Names kept from the old desk where the meaning is the same (operators' scripts read them, so the
strings never change); the values are JSON, never a language's repr. Each templated name has a
builder below it: callers use the builder, never `.format` or an f-string of their own. Symbols are
upper-cased by the builders, so `btcusdt` and `BTCUSDT` meet on one key.

The Django cache (settings.CACHES: the dashboard figures, DRF's login throttle) lives in its own
Redis database under its own prefix and is not listed here.
"""

# --- core: locks, Celery deliveries ---------------------------------------------------------------

LOCK = "quantum:lock:{name}"  # apps.core.locks: a non-blocking (or bounded-wait) job lock
# per acks_late message: how many times it was delivered (workers.base.QuantumTask's cap)
CELERY_DELIVERIES = "quantum:celery:deliveries:{task_id}"


def lock(name: str) -> str:
    return LOCK.format(name=name)


def celery_deliveries(task_id: str) -> str:
    return CELERY_DELIVERIES.format(task_id=task_id)


# --- ops: health, loops, drills, Flower -----------------------------------------------------------

BEAT_LAST_TICK = "quantum:ops:beat:last_tick"  # ms since the epoch of beat's last scheduler tick
# how many workers answered the last complete inspection: the next one may stop at that many
OPS_WORKERS_SEEN = "quantum:ops:health:workers_seen"
# hash per periodic task: completed/skipped/failed counts, last_ok_ms, skips_in_a_row, ...
OPS_LOOP = "quantum:ops:loop:{task}"
# hash per queue: the health check's task round trip (sent_ms, ran_ms, pending_since_ms)
OPS_QUEUE_HEARTBEAT = "quantum:ops:heartbeat:{queue}"
OPS_QUEUE_HEARTBEAT_THROTTLE = "quantum:ops:heartbeat:{queue}:throttle"
# hash per worker (node name): the probe through its own direct queue (sent_ms, ran_ms,
# pending_since_ms) and its restarts by the watch job (restarts, restarted_ms)
OPS_WORKER_PROBE = "quantum:ops:worker:{worker}"
OPS_WORKER_PROBE_THROTTLE = "quantum:ops:worker:{worker}:throttle"
# hash: stage -> how many runs reached it (redelivery drills)
OPS_DRILL = "quantum:ops:drill:{drill_id}"
# counter per client address of wrong Flower basic-auth credentials (expires after the cool-off)
FLOWER_AUTH_FAILURES_PREFIX = "quantum:flower:auth_failures:"


def ops_loop(task: str) -> str:
    return OPS_LOOP.format(task=task)


def ops_queue_heartbeat(queue: str) -> str:
    return OPS_QUEUE_HEARTBEAT.format(queue=queue)


def ops_queue_heartbeat_throttle(queue: str) -> str:
    return OPS_QUEUE_HEARTBEAT_THROTTLE.format(queue=queue)


def ops_worker_probe(worker: str) -> str:
    return OPS_WORKER_PROBE.format(worker=worker)


def ops_worker_probe_throttle(worker: str) -> str:
    return OPS_WORKER_PROBE_THROTTLE.format(worker=worker)


def ops_drill(drill_id: str) -> str:
    return OPS_DRILL.format(drill_id=drill_id)


def flower_auth_failures(address: str) -> str:
    return f"{FLOWER_AUTH_FAILURES_PREFIX}{address}"


# --- market: klines, marks, cross-venue reference prices ------------------------------------------

STREAM_KLINE = "quantum:stream:market.kline:{symbol}"  # one entry per closed kline, id = open ms
STREAM_MARK = "quantum:stream:market.mark"  # mark, index, funding rate per symbol per publish
# hash: SYMBOL -> JSON of its latest mark entry; one hash, so any set of marks is one HMGET
MARKET_MARKS = "quantum:market:marks"
MARKET_BASIS = "quantum:market:basis:{symbol}"  # hash: price, reference, basis, divergence_bps
MARKET_ALARM = "quantum:market:alarm:{symbol}"  # JSON of the open cross-exchange alarm, if any


def stream_kline(symbol: str) -> str:
    return STREAM_KLINE.format(symbol=symbol.upper())


def market_basis(symbol: str) -> str:
    return MARKET_BASIS.format(symbol=symbol.upper())


def market_alarm(symbol: str) -> str:
    return MARKET_ALARM.format(symbol=symbol.upper())


# --- pnl: the tracker's live state and its closed-trade stream ------------------------------------

RL_REWARD = "quantum:rl:reward:{symbol}"  # hash: six PnL fields, reward and its parts, timestamp
PORTFOLIO_REALTIME = "quantum:portfolio:realtime"  # hash: equity, balances, desk PnL totals
STREAM_EXITBRAIN_PNL = "quantum:stream:exitbrain.pnl"  # one entry per closed trade
# A marker per published closed trade, so a poll that dies between XADD and recording the
# publication never appends the same trade twice (docs/pnl.md).
PNL_PUBLISHED = "quantum:pnl:published:{account_id}:{tran_id}"


def rl_reward(symbol: str) -> str:
    return RL_REWARD.format(symbol=symbol.upper())


def pnl_published(account_id: int, tran_id: int) -> str:
    return PNL_PUBLISHED.format(account_id=account_id, tran_id=tran_id)


# --- trading: exit links, leverage, symbol filters, cycle scheduling ------------------------------

# Why the desk closed, per fill (userTrades id) of an exit order, so the PnL tracker's
# closed-trade entry can carry `exit_reason` and `duration` (docs/trading.md).
EXIT_REASON = "quantum:exitbrain:reason:{account_id}:{trade_id}"
# the leverage last set on the venue per account and symbol (skips a redundant POST /leverage)
TRADING_LEVERAGE = "quantum:trading:leverage:{account_id}:{symbol}"
TRADING_FILTERS = "quantum:trading:filters:{account_id}"  # JSON: symbol -> tick/step/min sizes
# set by a full trading cycle about to wait for the account's lock: the monitor pass gives way
TRADING_CYCLE_WANTED = "quantum:trading:cycle_wanted:{account_id}"


def exit_reason(account_id: int, trade_id: int | str) -> str:
    return EXIT_REASON.format(account_id=account_id, trade_id=trade_id)


def trading_leverage(account_id: int, symbol: str) -> str:
    return TRADING_LEVERAGE.format(account_id=account_id, symbol=symbol)


def trading_filters(account_id: int) -> str:
    return TRADING_FILTERS.format(account_id=account_id)


def trading_cycle_wanted(account_id: int) -> str:
    return TRADING_CYCLE_WANTED.format(account_id=account_id)


# --- the event path: the stream process and the reactors ------------------------------------------

# One entry per ORDER_TRADE_UPDATE / ACCOUNT_UPDATE of the account (apps.exchange.reports
# report_dumps under "report"), written by `manage.py stream`.
STREAM_EXCHANGE_USER = "quantum:stream:exchange.user:{account_id}"
# hash per websocket connection of the stream process (market, user:<account id>): state,
# connected_ms, last_event_ms, reconnects, last_error. Its existence says the process is deployed.
EXCHANGE_STREAM_STATE = "quantum:exchange:stream:{name}"
EXCHANGE_STREAM_STATE_PREFIX = "quantum:exchange:stream:"
# hash per account: symbol -> the newest order id its user data stream published, where the
# backfill after a (re)connect reads allOrders from (apps.exchange.streams.UserStream).
EXCHANGE_ORDER_CURSOR = "quantum:exchange:order-cursor:{account_id}"
# hash per account and symbol: the newest mark and closed kline a reactor acted on (mark_ms,
# kline_ms), so a redelivered or late event never acts twice or moves a position back in time.
TRADING_REACTED = "quantum:trading:reacted:{account_id}:{symbol}"


def stream_exchange_user(account_id: int) -> str:
    return STREAM_EXCHANGE_USER.format(account_id=account_id)


def exchange_stream_state(name: str) -> str:
    return EXCHANGE_STREAM_STATE.format(name=name)


def exchange_order_cursor(account_id: int) -> str:
    return EXCHANGE_ORDER_CURSOR.format(account_id=account_id)


# The dashboard's live feed of the desk's own records: one entry per intent, order or position
# row written (apps.trading.events), bounded (MAXLEN ~ TRADING_EVENTS_MAXLEN); read by the
# server-sent-events endpoint with the mark stream (docs/frontend.md, "Live, stale, down").
STREAM_TRADING_EVENTS = "quantum:stream:trading.events"


def trading_reacted(account_id: int, symbol: str) -> str:
    return TRADING_REACTED.format(account_id=account_id, symbol=symbol.upper())


# --- models: meta regime, consensus ---------------------------------------------------------------

STREAM_META_REGIME = "quantum:stream:meta.regime"  # one entry per symbol per detection (old name)
META_REGIME = "quantum:meta:regime:{symbol}"  # hash: the latest reading of a symbol


def meta_regime(symbol: str) -> str:
    return META_REGIME.format(symbol=symbol.upper())


# --- rl: the reward history (owned by the RL monitor) and its statistics --------------------------

# Sorted set, one JSON member per closed trade the RL feedback rewarded, scored by the trade's
# ms: {"kind": "trade", "t", "trade", "reward", "net_pnl", "multiplier", "context"}. Written by
# apps.rl.services.monitor_record only, trimmed to the last RL_HISTORY_KEEP members.
RL_HISTORY = "quantum:rl:history:{symbol}"
RL_STATS = "quantum:rl:stats:{symbol}"  # hash: rolling reward statistics of the monitor (JSON)


def rl_history(symbol: str) -> str:
    return RL_HISTORY.format(symbol=symbol.upper())


def rl_stats(symbol: str) -> str:
    return RL_STATS.format(symbol=symbol.upper())
