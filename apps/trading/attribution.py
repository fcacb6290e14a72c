"""Reads that attribute a closed trade of the PnL ledger to the desk's decisions.

A closed trade (`pnl.Trade`, one reducing fill) closes part of the position that the desk's last
filled OPEN intent of the symbol opened (one-way mode: one position per symbol; the loop opens
only when flat). Its decision context (sizing, strategy, regime) is on that intent's signal
snapshot. Used by the RL feedback and the strategy memory, which sit above this app.
"""

from __future__ import annotations

from redis.exceptions import RedisError

from apps.core import jsoncodec, keys
from apps.core.redis import get_redis
from apps.core.timeutil import from_ms
from apps.trading.models import FILLED_STATES, IntentAction, PositionIntent


def opening_intent_before(
    *, account_id: int, symbol: str, before_id: int | None = None, before_ms: int | None = None
) -> PositionIntent | None:
    """The newest filled OPEN intent of the account and symbol created before the intent
    `before_id` (or finished by `before_ms`, desk clock)."""
    rows = PositionIntent.objects.filter(
        account_id=account_id,
        symbol=symbol,
        action=IntentAction.OPEN,
        state__in=FILLED_STATES,
        executed_qty__gt=0,
    )
    if before_id is not None:
        rows = rows.filter(id__lt=before_id)
    if before_ms is not None:
        rows = rows.filter(finished_at__lte=from_ms(before_ms))
    return rows.order_by("-id").first()


def exit_link(*, account_id: int, trade_id: str) -> dict | None:
    """What the executor recorded for an exit fill (quantum:exitbrain:reason:…), or None."""
    if not trade_id:
        return None
    try:
        raw = get_redis().get(keys.exit_reason(account_id, trade_id))
    except RedisError:
        return None
    return jsoncodec.loads(raw) if raw else None


def trade_opening_intent(
    *, account_id: int, symbol: str, trade_id: str, time_ms: int
) -> PositionIntent | None:
    """The desk intent that opened the position a closed trade closes, or None when the desk
    did not open it (adopted, manual, another system's account).

    First by the exit link the executor wrote for the closing fill (exact: the open before the
    closing intent); failing that (the key expired, or a close the desk did not send, like a
    liquidation), the newest open the desk recorded as filled by the trade's time. Exchange and
    desk clocks can differ by the venue's skew; the one-way position makes the newest open the
    right one unless a new position was opened within that skew."""
    link = exit_link(account_id=account_id, trade_id=trade_id)
    if link and link.get("opening_intent_id"):
        found = PositionIntent.objects.filter(id=link["opening_intent_id"]).first()
        if found is not None:
            return found
    if link and link.get("intent_id"):
        return opening_intent_before(
            account_id=account_id, symbol=symbol, before_id=int(link["intent_id"])
        )
    return opening_intent_before(account_id=account_id, symbol=symbol, before_ms=time_ms)


def desk_traded(*, account_id: int) -> bool:
    """Whether the desk's loop ever sent an intent for this account."""
    return PositionIntent.objects.filter(account_id=account_id).exclude(reason="adopted").exists()
