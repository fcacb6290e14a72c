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
from decimal import Decimal

from django.conf import settings

from apps.core import keys
from apps.core.consumers import Retry
from apps.core.locks import LockHeld, exclusive
from apps.core.money import ZERO
from apps.core.redis import get_redis
from apps.core.timeutil import to_ms, utcnow
from apps.exchange.gateway import session_gateway
from apps.exchange.models import ExchangeAccount
from apps.exchange.reports import KlineReport, MarkReport, OrderUpdateReport, report_loads
from apps.market.selectors import kline_from_entry, mark_from_entry
from apps.trading import selectors
from apps.trading.execution import exit_link_record, order_apply
from apps.trading.exits import best_mark_follow, close_intent, exit_reason
from apps.trading.models import IntentState, Position, PositionIntent
from apps.trading.services import signals_evaluate

logger = logging.getLogger(__name__)

GROUP = "trading"  # the reactors' consumer group on every stream they read


def _locked(account_id: int):
    return exclusive(
        f"trading:cycle:{account_id}",
        timeout=settings.TRADING_CYCLE_LOCK_SECONDS,
        wait=settings.REACT_LOCK_WAIT_SECONDS,
    )


def _newer(account_id: int, symbol: str, what: str, time_ms: int) -> bool:
    """True (and recorded) when `time_ms` is later than the last `what` acted on for the account
    and symbol. Called under the account's lock, so read-compare-write does not race."""
    client = get_redis()
    key = keys.trading_reacted(account_id, symbol)
    last = client.hget(key, what)
    if last is not None and int(last) >= time_ms:
        return False
    client.hset(key, what, time_ms)
    return True


def position_mark(*, account: ExchangeAccount, mark: MarkReport) -> PositionIntent | None:
    """One position takes a mark: trailing stop follows, an exit reached -> a close intent.
    The caller holds the account's cycle lock."""
    pos = Position.objects.filter(account=account, symbol=mark.symbol).exclude(amount=0).first()
    if pos is None or not _newer(account.id, mark.symbol, "mark_ms", mark.time_ms):
        return None
    tick = session_gateway(account=account).filters(symbol=mark.symbol).tick_size
    pos.mark_price = mark.mark_price
    pos.unrealized_pnl = (mark.mark_price - pos.entry_price) * pos.amount
    best_mark_follow(pos, tick)
    pos.save(
        update_fields=[
            "mark_price",
            "unrealized_pnl",
            "best_price",
            "trailing_stop",
            "updated_at",
        ]
    )
    if mark.symbol in selectors.in_flight_symbols(account_id=account.id):
        return None  # a close (or any order) already on its way: the next mark decides again
    if selectors.ledger_amounts(account_id=account.id).get(mark.symbol, ZERO) != pos.amount:
        # The intents moved the position since the row was reconciled (a close filled): the
        # row is stale, and acting on it would close twice. The reconcile decides first.
        return None
    reason = exit_reason(pos)
    return close_intent(position=pos, reason=reason) if reason else None


def mark_react(*, mark: MarkReport) -> list[int]:
    """A mark for every trading account holding the symbol. Raises Retry while an account's
    lock stays held (the accounts already done skip it the second time: not newer)."""
    age_s = (to_ms(utcnow()) - mark.time_ms) / 1000
    if age_s > settings.REACT_MARK_MAX_AGE_SECONDS:
        logger.info("mark %s %s is %.1f s old: not acted on", mark.symbol, mark.time_ms, age_s)
        return []
    made = []
    holders = Position.objects.filter(
        account__in=selectors.trading_accounts(), symbol=mark.symbol
    ).exclude(amount=0)
    for account_id in sorted(set(holders.values_list("account_id", flat=True))):
        account = ExchangeAccount.objects.get(id=account_id)
        try:
            with _locked(account_id):
                intent = position_mark(account=account, mark=mark)
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
            with _locked(account.id):
                if not _newer(account.id, kline.symbol, "kline_ms", kline.open_time_ms):
                    continue
                intents = signals_evaluate(
                    account=account,
                    gateway=session_gateway(account=account),
                    symbols=[kline.symbol],
                )
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
