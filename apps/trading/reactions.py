"""Reactions: the trading decisions taken on each event of the Redis streams, as they arrive,
instead of on the next poll (docs/trading.md, "Reactors").

- a mark (quantum:stream:market.mark): each open position of the symbol takes the mark, its
  trailing stop follows, and take profit / stop loss / trailing stop close it through an intent;
- a closed kline (quantum:stream:market.kline:<symbol>): the symbol's signal -> intents;
- an order update (quantum:stream:exchange.user:<account>): the intent of the order is brought
  up to date at once (the executor's reply or the REST reconcile would do it later).

Every decision is taken under the account's cycle lock, so a reactor and the REST reconcile
never decide about one account at once; a reactor waits for it briefly and otherwise leaves the
event pending (consumers.Retry) rather than skip it. Redelivery is harmless: an exit is not made
while the symbol has an intent in flight or while the position row disagrees with the intent
ledger (a close that filled since the last reconcile), and a mark or kline not newer than the
last one acted on for the account and symbol is ignored.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from apps.core import keys
from apps.core.consumers import Retry
from apps.core.locks import LockHeld, exclusive
from apps.core.redis import get_redis
from apps.core.timeutil import to_ms, utcnow
from apps.exchange.gateway import session_gateway
from apps.exchange.models import ExchangeAccount
from apps.exchange.reports import KlineReport, MarkReport, OrderUpdateReport, report_loads
from apps.market.selectors import kline_from_entry, mark_from_entry
from apps.trading import selectors
from apps.trading.events import events_held
from apps.trading.execution import Outcome, exit_link_record, intent_execute, order_apply
from apps.trading.exits import best_mark_follow, close_intent, exit_reason
from apps.trading.intents import intent_enqueue, intents_collected
from apps.trading.models import IntentState, Position, PositionIntent
from apps.trading.services import signals_evaluate

logger = logging.getLogger(__name__)

GROUP = "trading"  # the reactors' consumer group on every stream they read
MARK_FIELDS = ["mark_price", "unrealized_pnl", "best_price", "trailing_stop", "updated_at"]


def _locked(account_id: int, *, renewed: bool = True):
    """The account's cycle lock. A mark's reaction takes milliseconds and reads nothing over
    the network, so it holds a plain lease (renewed=False): no renewing thread to start and join
    on the hot path. Were it ever to outlive the lease, the guards of position_mark (an intent
    in flight, a row behind the ledger) still keep one exit one order."""
    return exclusive(
        f"trading:cycle:{account_id}",
        timeout=settings.TRADING_CYCLE_LOCK_SECONDS if renewed else settings.LOCK_LEASE_SECONDS,
        wait=settings.REACT_LOCK_WAIT_SECONDS,
    )


def _dispatched() -> AbstractContextManager[list[PositionIntent] | None]:
    """Collect the intents approved (and claimed) in the block for _execute
    (REACT_EXECUTE_INLINE), or let them go to Celery as anywhere else (yields None then)."""
    return intents_collected() if settings.REACT_EXECUTE_INLINE else nullcontext()


def _execute(intents: list[PositionIntent] | None) -> None:
    """Send the collected intents' orders now, outside the account's lock (the executor's claim
    is what makes one intent one order, not the lock). One attempt each: a send to retry, or a
    failure here, goes to the Celery executor, whose claim and look-up make it safe."""
    for intent in intents or []:
        try:
            outcome = intent_execute(intent_id=intent.id, attempts=1, claimed=intent)
        except Exception:
            logger.exception("intent %s: inline execution failed, handed to Celery", intent.id)
            outcome = Outcome.RETRY
        if outcome == Outcome.RETRY:
            intent_enqueue(intent_id=intent.id)


# Compare and record in one round trip: KEYS[1] the hash, ARGV the field and the new time.
_NEWER_LUA = """
local last = redis.call('HGET', KEYS[1], ARGV[1])
if last and tonumber(last) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


def _newer(account_id: int, symbol: str, what: str, time_ms: int) -> bool:
    """True (and recorded) when `time_ms` is later than the last `what` acted on for the account
    and symbol."""
    newer = get_redis().register_script(_NEWER_LUA)
    return bool(newer(keys=[keys.trading_reacted(account_id, symbol)], args=[what, time_ms]))


def position_mark(*, account: ExchangeAccount, mark: MarkReport) -> PositionIntent | None:
    """One position takes a mark: trailing stop follows, an exit reached -> a close intent.
    The caller holds the account's cycle lock. The row's update and the close intent commit
    together (one commit on the exit path, not two), and the ledger is read only when an exit
    is reached: the common mark costs one read and one write."""
    pos = Position.objects.filter(account=account, symbol=mark.symbol).exclude(amount=0).first()
    if pos is not None:
        pos.account = account  # close_intent reads it: no query for the row we hold
    if pos is None or not _newer(account.id, mark.symbol, "mark_ms", mark.time_ms):
        return None
    tick = session_gateway(account=account).filters(symbol=mark.symbol).tick_size
    pos.mark_price = mark.mark_price
    pos.unrealized_pnl = (mark.mark_price - pos.entry_price) * pos.amount
    best_mark_follow(pos, tick)
    reason = exit_reason(pos)
    with transaction.atomic():
        pos.save(update_fields=MARK_FIELDS)
        if reason is None:
            return None
        amount, in_flight = selectors.symbol_ledger(account_id=account.id, symbol=mark.symbol)
        if in_flight:
            return None  # a close (or any order) already on its way: the next mark decides again
        if amount != pos.amount:
            # The intents moved the position since the row was reconciled (a close filled): the
            # row is stale, and acting on it would close twice. The reconcile decides first.
            return None
        return close_intent(position=pos, reason=reason)


def mark_react(*, mark: MarkReport) -> list[int]:
    """A mark for every trading account holding the symbol. Raises Retry while an account's
    lock stays held (the accounts already done skip it the second time: not newer)."""
    age_s = (to_ms(utcnow()) - mark.time_ms) / 1000
    if age_s > settings.REACT_MARK_MAX_AGE_SECONDS:
        logger.info("mark %s %s is %.1f s old: not acted on", mark.symbol, mark.time_ms, age_s)
        return []
    made = []
    holders = {
        pos.account_id: pos.account
        for pos in Position.objects.filter(
            account__in=selectors.trading_accounts(), symbol=mark.symbol
        )
        .exclude(amount=0)
        .select_related("account")
    }
    for account_id, account in sorted(holders.items()):
        try:
            with events_held():  # the live feed's events after the order, not before it
                with _locked(account_id, renewed=False), _dispatched() as collected:
                    intent = position_mark(account=account, mark=mark)
                _execute(collected)
        except LockHeld:
            raise Retry(f"trading:cycle:{account_id}") from None
        if intent is not None:
            logger.info(
                "mark %s %s: %s -> intent %s",
                mark.symbol,
                mark.mark_price,
                intent.reason,
                intent.id,
            )
            made.append(intent.id)
    return made


def kline_react(*, kline: KlineReport) -> list[int]:
    """A closed kline: the symbol's signal for every trading account (the kline is in the DB:
    the stream is written after the store)."""
    if kline.interval != settings.MARKET_KLINE_INTERVAL:
        return []
    made = []
    for account in selectors.trading_accounts():
        try:
            with events_held():
                with _locked(account.id), _dispatched() as collected:
                    if not _newer(account.id, kline.symbol, "kline_ms", kline.open_time_ms):
                        continue
                    intents = signals_evaluate(
                        account=account,
                        gateway=session_gateway(account=account),
                        symbols=[kline.symbol],
                    )
                _execute(collected)
        except LockHeld:
            raise Retry(f"trading:cycle:{account.id}") from None
        made.extend(i.id for i in intents)
    return made


def order_react(*, account_id: int, update: OrderUpdateReport) -> PositionIntent | None:
    """The desk's own order moved: record it on its intent now. order_apply is monotonic and
    conditional, so racing the executor's own reply is harmless."""
    order = update.order
    intent = PositionIntent.objects.filter(
        account_id=account_id,
        client_order_id=order.client_order_id,
        state__in=[IntentState.SUBMITTING, IntentState.SUBMITTED],
    ).first()
    if intent is None:
        return None  # not ours (qb- backstops, manual orders) or already final: the reconcile's
    intent = order_apply(intent=intent, order=order)
    if intent.state != IntentState.SUBMITTED and intent.executed_qty > Decimal(0):
        exit_link_record(session_gateway(account=intent.account), intent)
    return intent


def streams_read() -> list[str]:
    """The streams the reactors read: marks, each traded symbol's klines, each trading account's
    user data (re-read every round: an account added is picked up without a restart)."""
    return [
        keys.STREAM_MARK,
        *(keys.stream_kline(s) for s in settings.TRADING_SYMBOLS),
        *(
            keys.stream_exchange_user(a)
            for a in selectors.trading_accounts().values_list("id", flat=True)
        ),
    ]


_USER_PREFIX = keys.STREAM_EXCHANGE_USER.split("{")[0]


def entry_react(stream: str, entry_id: str, fields: dict[str, str]) -> list[int]:
    """One stream entry -> its reaction. A damaged entry raises (PayloadError, BadNumber,
    KeyError): the consumer retries it a few times, then drops it with the traceback logged."""
    if stream == keys.STREAM_MARK:
        return mark_react(mark=mark_from_entry(fields))
    if stream.startswith(_USER_PREFIX):
        report = report_loads(fields["report"])
        if isinstance(report, OrderUpdateReport):
            intent = order_react(account_id=int(stream[len(_USER_PREFIX) :]), update=report)
            return [intent.id] if intent is not None else []
        return []  # account updates: the positions are the reconcile's (the ledger guards exits)
    return kline_react(kline=kline_from_entry(fields))
