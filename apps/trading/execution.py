"""Execution: an approved intent becomes at most one order on the exchange.

The guarantees (docs/trading.md, "Execution idempotency"):
- one executor at a time: the claim is a conditional update APPROVED -> SUBMITTING, and a
  SUBMITTING intent is taken over only after its executor's lease ran out;
- the client order id is fixed on the intent before anything is sent, so the venue can always be
  asked about it (GET /fapi/v1/order?origClientOrderId=...);
- after a timeout, a 5xx or a dead worker, the order is looked up before anything is resent; only
  -2013 ("order does not exist") makes a resend safe. This holds under Binance's rule (client
  ids unique among open orders only) as under the paper venue's strict one (-4116 for any id
  ever used);
- a fatal exchange error is recorded with Binance's code and message and never retried.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import F
from redis.exceptions import RedisError

from apps.core import jsoncodec, keys
from apps.core.money import quantize_step
from apps.core.redis import get_redis
from apps.core.timeutil import to_ms, utcnow
from apps.exchange.errors import (
    DUPLICATE_CLIENT_ID,
    ExchangeError,
    FatalExchangeError,
    RetryableExchangeError,
)
from apps.exchange.gateway import Gateway, session_gateway
from apps.exchange.reports import OrderReport
from apps.trading import selectors
from apps.trading.attribution import opening_intent_before
from apps.trading.events import intent_changed
from apps.trading.models import IntentAction, IntentState, PositionIntent

logger = logging.getLogger(__name__)

EXIT_REASON_TTL = 7 * 24 * 3600


class Outcome:
    DONE = "done"  # the intent reached a final or SUBMITTED state
    RETRY = "retry"  # status unknown for now: try again later (the lease is released)
    SKIPPED = "skipped"  # not ours to run: another executor holds it, or it is finished


@dataclass
class Lookup:
    found: bool
    order: OrderReport | None = None


def client_order_id_for(intent_id: int, seq: int = 1) -> str:
    """`qt-<intent id>-<n>`: matches ^[.A-Z:/a-z0-9_-]{1,36}$ and names its intent."""
    return f"qt-{intent_id}-{seq}"


def _fresh_claim(now: datetime) -> dict:
    """What a fresh claim sets (APPROVED -> SUBMITTING under the executor's lease), besides one
    more attempt: the one definition of claim_set and _claim."""
    return {
        "state": IntentState.SUBMITTING,
        "lease_until": now + timedelta(seconds=settings.TRADING_LEASE_SECONDS),
        "submitted_at": now,
        "updated_at": now,
    }


def claim_set(intent: PositionIntent) -> None:
    """Claim an approved intent in the transaction that approves it (intents_collected): the
    same state and lease as _claim's, with no UPDATE of its own and no read after the commit.
    The reactor sends it next; if it dies first, the lease runs out and intents_resume hands it
    to an executor, which looks the order up before sending (as after any executor's death)."""
    for field, value in _fresh_claim(utcnow()).items():
        setattr(intent, field, value)
    intent.attempts += 1


def _claim(intent_id: int) -> tuple[bool, bool]:
    """(claimed, recovering). A fresh claim is APPROVED -> SUBMITTING; a takeover is a
    SUBMITTING intent whose lease expired (its executor died or gave up)."""
    now = utcnow()
    claim = _fresh_claim(now)
    fresh = PositionIntent.objects.filter(id=intent_id, state=IntentState.APPROVED).update(
        **claim, attempts=F("attempts") + 1
    )
    if fresh:
        return True, False
    taken = PositionIntent.objects.filter(
        id=intent_id, state=IntentState.SUBMITTING, lease_until__lt=now
    ).update(lease_until=claim["lease_until"], attempts=F("attempts") + 1, updated_at=now)
    return bool(taken), bool(taken)


def _release(intent_id: int) -> None:
    """Give the lease back at once: the next executor looks the order up first anyway."""
    PositionIntent.objects.filter(id=intent_id, state=IntentState.SUBMITTING).update(
        lease_until=utcnow(), updated_at=utcnow()
    )


def _lookup(gateway: Gateway, intent: PositionIntent) -> Lookup:
    order = gateway.order_find(symbol=intent.symbol, client_order_id=intent.client_order_id)
    return Lookup(found=order is not None, order=order)


def order_apply(*, intent: PositionIntent, order: OrderReport) -> PositionIntent:
    """Record what the exchange says about the intent's order. Monotonic: a stale reply never
    moves a finished intent back."""
    status, executed, avg = order.status, order.executed_qty, order.avg_price
    if status == "FILLED":
        state = IntentState.FILLED
    elif order.working:
        state = IntentState.SUBMITTED
    elif executed > 0:  # CANCELED / EXPIRED after a part filled
        state = IntentState.PARTIALLY_FILLED
    else:
        state = IntentState.FAILED
    now = utcnow()
    fields = {
        "state": state,
        "order_id": order.order_id,
        "executed_qty": executed,
        "avg_price": avg if executed > 0 else None,
        "lease_until": None,
        "updated_at": now,
    }
    if state != IntentState.SUBMITTED:
        fields["finished_at"] = now
    if state == IntentState.FAILED:
        fields["error_message"] = f"order {status} with nothing filled"
    PositionIntent.objects.filter(
        id=intent.id, state__in=[IntentState.SUBMITTING, IntentState.SUBMITTED]
    ).update(**fields)
    intent.refresh_from_db()
    intent_changed(intent_id=intent.id)  # the live feed (trading events)
    return intent


def _fail(intent: PositionIntent, exc: FatalExchangeError) -> None:
    PositionIntent.objects.filter(id=intent.id, state=IntentState.SUBMITTING).update(
        state=IntentState.FAILED,
        error_code=exc.code,
        error_message=str(exc)[:2000],
        lease_until=None,
        finished_at=utcnow(),
        updated_at=utcnow(),
    )
    intent_changed(intent_id=intent.id)  # the live feed (trading events)
    logger.warning("intent %s failed on the exchange: %s", intent.id, exc)


def _reject_at_send(intent: PositionIntent, reason: str) -> None:
    PositionIntent.objects.filter(id=intent.id, state=IntentState.SUBMITTING).update(
        state=IntentState.REJECTED,
        risk_verdict="rejected",
        risk_reason=reason,
        lease_until=None,
        finished_at=utcnow(),
        updated_at=utcnow(),
    )
    intent_changed(intent_id=intent.id)  # the live feed (trading events)


def _leverage_ensure(gateway: Gateway, intent: PositionIntent) -> None:
    key = keys.trading_leverage(intent.account_id, intent.symbol)
    try:
        if get_redis().get(key) == str(intent.leverage):
            return
    except RedisError:
        pass
    gateway.leverage_set(symbol=intent.symbol, leverage=intent.leverage)
    try:
        get_redis().set(key, str(intent.leverage), ex=3600)
    except RedisError:
        pass


def _send(gateway: Gateway, intent: PositionIntent) -> OrderReport:
    filters = gateway.filters(symbol=intent.symbol)
    order = gateway.order_place(
        symbol=intent.symbol,
        side=intent.side,
        quantity=quantize_step(intent.quantity, filters.step_size),
        client_order_id=intent.client_order_id,
        reduce_only=intent.reduce_only,
    )
    if settings.TRADING_SEND_PAUSE_SECONDS:
        # Drill only: the order is on the venue, the intent does not know yet.
        time.sleep(settings.TRADING_SEND_PAUSE_SECONDS)
    return order


def exit_link_record(gateway: Gateway, intent: PositionIntent) -> None:
    """Realized PnL of a reduce-only fill (GET /fapi/v1/userTrades?orderId=), and the exit reason
    under each trade id, where the PnL tracker's closed-trade entries can pick it up."""
    if not intent.reduce_only or not intent.order_id or intent.executed_qty == 0:
        return
    try:
        fills = gateway.fills(symbol=intent.symbol, order_id=intent.order_id)
        realized = sum((f.realized_pnl for f in fills), Decimal(0))
        PositionIntent.objects.filter(id=intent.id).update(realized_pnl=realized)
        opening = opening_intent_before(
            account_id=intent.account_id, symbol=intent.symbol, before_id=intent.id
        )
        link = {
            "reason": intent.reason,
            "intent_id": intent.id,
            "client_order_id": intent.client_order_id,
            "order_id": intent.order_id,
            # Desk clock, both ends: when the opening and this closing fill were recorded.
            "opening_intent_id": opening.id if opening else None,
            "opened_ms": to_ms(opening.finished_at) if opening and opening.finished_at else None,
            "closed_ms": to_ms(intent.finished_at) if intent.finished_at else None,
        }
        pipe = get_redis().pipeline()
        for fill in fills:
            key = keys.exit_reason(intent.account_id, fill.trade_id)
            pipe.set(key, jsoncodec.dumps(link), ex=EXIT_REASON_TTL)
        pipe.execute()
    except (ExchangeError, RedisError) as exc:
        # Best effort: the fill is recorded; the PnL tracker's ledger still has the trade.
        logger.warning("intent %s: exit PnL link not recorded: %s", intent.id, exc)


def intent_execute(
    *, intent_id: int, attempts: int | None = None, claimed: PositionIntent | None = None
) -> str:
    """Run one intent to an order, at most once. Returns an Outcome. `attempts` bounds the sends
    (TRADING_EXECUTE_RETRIES by default): a reactor executing inline tries once and hands a
    RETRY to Celery, rather than sleep through backoffs while events wait. `claimed`: the
    intent, already claimed by claim_set in the commit that approved it (nothing to claim or
    read again)."""
    if claimed is not None:
        intent, recovering = claimed, False
    else:
        taken, recovering = _claim(intent_id)
        if not taken:
            return Outcome.SKIPPED
        intent = PositionIntent.objects.select_related("account").get(id=intent_id)
    gateway = session_gateway(account=intent.account)
    try:
        if recovering:
            found = _lookup(gateway, intent)
            if found.found:
                intent = order_apply(intent=intent, order=found.order)
                exit_link_record(gateway, intent)
                return Outcome.DONE
        if not intent.reduce_only:  # an exit goes out whatever the mode: no desk read
            desk = selectors.desk_get()
            if not desk.allows_new_risk:
                # Halt means at once: an intent approved a moment ago does not go out now.
                _reject_at_send(intent, f"desk {desk.mode}, kill switch {desk.kill_switch} at send")
                return Outcome.DONE
        if intent.action in (IntentAction.OPEN, IntentAction.ADD):
            _leverage_ensure(gateway, intent)
        for attempt in range(attempts or settings.TRADING_EXECUTE_RETRIES):
            try:
                order = _send(gateway, intent)
            except FatalExchangeError as exc:
                if exc.code == DUPLICATE_CLIENT_ID:
                    # Strict venue: the id was used, so our order is there. Read it.
                    found = _lookup(gateway, intent)
                    if found.found:
                        intent = order_apply(intent=intent, order=found.order)
                        exit_link_record(gateway, intent)
                        return Outcome.DONE
                _fail(intent, exc)
                return Outcome.DONE
            except RetryableExchangeError as exc:
                # Timeout / 5xx: the order may or may not be on the venue. Ask before resending.
                logger.warning("intent %s: send attempt %s: %s", intent.id, attempt + 1, exc)
                time.sleep(min(exc.retry_after or 0.25 * 2**attempt, 5))
                found = _lookup(gateway, intent)
                if found.found:
                    intent = order_apply(intent=intent, order=found.order)
                    exit_link_record(gateway, intent)
                    return Outcome.DONE
                continue  # -2013: never reached the venue, safe to send again
            intent = order_apply(intent=intent, order=order)
            exit_link_record(gateway, intent)
            return Outcome.DONE
    except RetryableExchangeError as exc:
        logger.warning("intent %s: exchange unavailable, will retry: %s", intent_id, exc)
    except FatalExchangeError as exc:
        # A fatal answer to a lookup or the leverage call: record it, do not loop on it.
        _fail(intent, exc)
        return Outcome.DONE
    _release(intent_id)
    return Outcome.RETRY


def intent_refresh(*, gateway: Gateway, intent: PositionIntent) -> PositionIntent:
    """A SUBMITTED intent (order working on the venue): read its order again."""
    found = _lookup(gateway, intent)
    if found.found:
        intent = order_apply(intent=intent, order=found.order)
        exit_link_record(gateway, intent)
    return intent
