"""Every Redis key and stream name the desk uses, in one place.

Names kept from the old desk where the meaning is the same (operators' scripts read them); the
values are JSON, never a language's repr.
"""

BEAT_LAST_TICK = "quantum:ops:beat:last_tick"  # ms since the epoch of beat's last scheduler tick
# how many workers answered the last complete inspection: the next one may stop at that many
OPS_WORKERS_SEEN = "quantum:ops:health:workers_seen"
# hash per periodic task: completed/skipped/failed counts, last_ok_ms, skips_in_a_row, ...
OPS_LOOP = "quantum:ops:loop:{task}"
# hash per queue: the health check's task round trip (sent_ms, ran_ms, pending_since_ms)
OPS_QUEUE_HEARTBEAT = "quantum:ops:heartbeat:{queue}"
OPS_QUEUE_HEARTBEAT_THROTTLE = "quantum:ops:heartbeat:{queue}:throttle"


def ops_loop(task: str) -> str:
    return OPS_LOOP.format(task=task)


def ops_queue_heartbeat(queue: str) -> str:
    return OPS_QUEUE_HEARTBEAT.format(queue=queue)

RL_REWARD = "quantum:rl:reward:{symbol}"  # hash: six PnL fields, reward and its parts, timestamp
RL_HISTORY = "quantum:rl:history:{symbol}"  # sorted set: reward history, scored by ms
PORTFOLIO_REALTIME = "quantum:portfolio:realtime"  # hash: equity, balances, desk PnL totals
STREAM_EXITBRAIN_PNL = "quantum:stream:exitbrain.pnl"  # one entry per closed trade


def rl_reward(symbol: str) -> str:
    return RL_REWARD.format(symbol=symbol.upper())


def rl_history(symbol: str) -> str:
    return RL_HISTORY.format(symbol=symbol.upper())


# PnL tracker: a marker per published closed trade, so a poll that dies between XADD and
# recording the publication never appends the same trade twice (docs/pnl.md).
PNL_PUBLISHED = "quantum:pnl:published:{account_id}:{tran_id}"


def pnl_published(account_id: int, tran_id: int) -> str:
    return PNL_PUBLISHED.format(account_id=account_id, tran_id=tran_id)


# Trading's exit brain: why the desk closed, per fill (userTrades id) of an exit order, so the PnL
# tracker's closed-trade entry can carry `exit_reason` and `duration` (docs/trading.md).
EXIT_REASON = "quantum:exitbrain:reason:{account_id}:{trade_id}"


def exit_reason(account_id: int, trade_id: int | str) -> str:
    return EXIT_REASON.format(account_id=account_id, trade_id=trade_id)
