"""Intents (the PIL): every decision to open, add, reduce or close is logged, judged by risk and
given its client order id before anything is sent; only then, after commit, is it executed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from celery import current_app
from django.db import transaction

from apps.core.money import ZERO
from apps.core.timeutil import utcnow
from apps.exchange.models import ExchangeAccount
from apps.trading import selectors
from apps.trading.execution import claim_set, client_order_id_for
from apps.trading.models import IntentState, PositionIntent
from apps.trading.risk import Proposal, risk_evaluate, verdict_unconditional

logger = logging.getLogger(__name__)

EXECUTE_TASK = "quantum.trading.execute_intent"  # named, not imported: workers/ sits above us


# Set by intents_collected: where approved intents go instead of the Celery queue.
_collected: ContextVar[list[PositionIntent] | None] = ContextVar("intents_collected", default=None)


def intent_enqueue(*, intent_id: int) -> None:
    current_app.send_task(EXECUTE_TASK, kwargs={"intent_id": intent_id})


@contextmanager
def intents_collected() -> Iterator[list[PositionIntent]]:
    """Intents approved inside the block are not published to Celery: they are claimed in the
    commit that approves them (claim_set) and collected for the caller to execute at once (the
    reactor: one process hop, a broker round trip, a claim and a read fewer between an event
    and its order). The caller owes each one an intent_execute(claimed=...) or, failing that, an
    intent_enqueue; one it never reaches keeps its lease until it runs out, and then the
    monitor's intents_resume hands it to an executor, which looks the order up first."""
    intents: list[PositionIntent] = []
    token = _collected.set(intents)
    try:
        yield intents
    finally:
        _collected.reset(token)


@transaction.atomic
def intent_create(
    *,
    account: ExchangeAccount,
    symbol: str,
    side: str,
    action: str,
    quantity: Decimal,
    reason: str,
    leverage: int = 1,
    reduce_only: bool = False,
    confidence: Decimal = ZERO,
    signal: dict | None = None,
    reference_price: Decimal | None = None,
    reject_reason: str | None = None,
) -> PositionIntent:
    """Log the decision (NEW), judge it (APPROVED / REJECTED with the reason), fix its client
    order id, and only once all that is committed hand it to an executor."""
    intent = PositionIntent.objects.create(
        account=account,
        symbol=symbol,
        side=side,
        action=action,
        quantity=quantity,
        leverage=leverage,
        reduce_only=reduce_only,
        reason=reason,
        confidence=confidence,
        signal=signal or {},
        reference_price=reference_price,
        state=IntentState.NEW,
    )
    if reject_reason is None:
        proposal = Proposal(
            symbol=symbol,
            action=action,
            notional=quantity * (reference_price or ZERO),
            leverage=leverage,
            confidence=confidence,
            reduce_only=reduce_only,
        )
        verdict = verdict_unconditional(proposal) or risk_evaluate(
            proposal=proposal,
            policy=selectors.policy_get(),
            desk=selectors.desk_get(),
            # The book without this intent (it is NEW, and NEW counts as in flight).
            book=selectors.book_for(account_id=account.id, exclude_intent_id=intent.id),
        )
        approved, why = verdict.approved, verdict.reason
    else:
        approved, why = False, reject_reason
    intent.state = IntentState.APPROVED if approved else IntentState.REJECTED
    intent.risk_verdict = "approved" if approved else "rejected"
    intent.risk_reason = why
    intent.client_order_id = client_order_id_for(intent.id)
    if not approved:
        intent.finished_at = utcnow()
        logger.info("intent %s rejected: %s", intent.id, why)
    collected = _collected.get() if approved else None
    if collected is not None:
        claim_set(intent)
    intent.save()
    if collected is not None:
        transaction.on_commit(lambda: collected.append(intent))
    elif approved:
        transaction.on_commit(lambda: intent_enqueue(intent_id=intent.id))
    return intent
