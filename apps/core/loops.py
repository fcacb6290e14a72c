"""Bookkeeping of the desk's periodic jobs: how each run of a loop ended.

A loop that is skipped every time (its lock always held) or fails every time looks, from outside,
exactly like one that runs: the worker is up, beat ticks. So each run records its outcome in
`quantum:ops:loop:<task>` and the health check turns red when a loop has not completed for
several of its intervals (apps.ops.selectors.loop_health).
"""

from enum import StrEnum

from apps.core import keys
from apps.core.redis import get_redis
from apps.core.timeutil import to_ms, utcnow


class LoopOutcome(StrEnum):
    COMPLETED = "completed"
    SKIPPED = "skipped"
    FAILED = "failed"


# One round trip, atomic: counters, the last completion and the longest run of skips.
_RECORD = """
local key, outcome, now = KEYS[1], ARGV[1], ARGV[2]
redis.call('HINCRBY', key, outcome, 1)
if outcome == 'completed' then
  redis.call('HSET', key, 'last_ok_ms', now, 'skips_in_a_row', 0)
elseif outcome == 'skipped' then
  local run = redis.call('HINCRBY', key, 'skips_in_a_row', 1)
  local longest = tonumber(redis.call('HGET', key, 'max_skips_in_a_row') or '0')
  if run > longest then redis.call('HSET', key, 'max_skips_in_a_row', run) end
else
  redis.call('HSET', key, 'last_failed_ms', now)
end
return 1
"""


def loop_record(task: str, outcome: LoopOutcome) -> None:
    get_redis().eval(_RECORD, 1, keys.ops_loop(task), outcome.value, to_ms(utcnow()))


def loop_state(task: str) -> dict[str, int]:
    return _ints(get_redis().hgetall(keys.ops_loop(task)))


def loop_states_watched(tasks: list[str], *, now_ms: int) -> dict[str, dict[str, int]]:
    """Each task's state, stamping `watched_since_ms` on those never seen: one round trip for
    all, since the health check asks this on every dashboard poll."""
    with get_redis().pipeline(transaction=False) as pipe:
        for task in tasks:
            pipe.hsetnx(keys.ops_loop(task), "watched_since_ms", now_ms)
            pipe.hgetall(keys.ops_loop(task))
        replies = pipe.execute()
    return {task: _ints(raw) for task, raw in zip(tasks, replies[1::2], strict=True)}


def _ints(raw: dict[str, str]) -> dict[str, int]:
    state: dict[str, int] = {}
    for field, value in raw.items():
        try:
            state[field] = int(value)
        except (TypeError, ValueError):
            continue  # not ours (a hand-edited key): ignored, never trusted
    return state
