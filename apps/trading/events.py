"""The desk's trading events: every intent, order and position row the desk writes is announced
on one small bounded Redis stream (keys.STREAM_TRADING_EVENTS), which the dashboard's live feed
(apps.trading.live) pushes to the browser as it happens.

An entry is published only after the transaction that wrote the row commits (on_commit), so a
browser that refetches on the event reads the row the event announces. The rows are written in
many services (intent_create, the executor, the reconcile, the reactors); a post_save receiver
per model (connected in TradingConfig.ready) covers every save() and create() among them, and
the executor's conditional UPDATEs (filled, failed, rejected at send) call intent_changed
themselves. Publishing never fails a write: the feed is a convenience, the dashboard's polls are
the record (a lost entry is seen at the next poll)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models, transaction

from apps.core import keys
from apps.core.redis import get_redis
from apps.trading.models import ExchangeOrder, Position, PositionIntent

logger = logging.getLogger(__name__)


def _text(record: models.Model, attr: str) -> Any:
    """A field as the API writes it: a Decimal to its column's places as a string (the value a
    service just set may be shorter than the stored one), a time in ISO; ints, text, None as
    they are."""
    value = getattr(record, attr)
    if value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        field = record._meta.get_field(attr)
        return str(value.quantize(Decimal(1).scaleb(-field.decimal_places)))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# The fields each event carries (the API row's names -> the model's attributes): what the
# dashboard's rows show of the record and what a change moves.
INTENT_FIELDS = {
    "id": "id",
    "side": "side",
    "action": "action",
    "state": "state",
    "quantity": "quantity",
    "executed_qty": "executed_qty",
    "avg_price": "avg_price",
    "realized_pnl": "realized_pnl",
    "reason": "reason",
}
ORDER_FIELDS = {
    "order_id": "order_id",
    "intent": "intent_id",
    "side": "side",
    "type": "type",
    "status": "status",
    "orig_qty": "orig_qty",
    "executed_qty": "executed_qty",
    "avg_price": "avg_price",
}
# A position's mark and unrealized PnL as the desk computed them (the reactor on each mark,
# docs/trading.md), with its levels: the fields of GET /api/trading/positions/ they change.
POSITION_FIELDS = {
    name: name
    for name in (
        "amount",
        "entry_price",
        "mark_price",
        "unrealized_pnl",
        "best_price",
        "trailing_stop",
        "take_profit",
        "stop_loss",
        "updated_at",
    )
}


_account_names: dict[int, str] = {}


def _account_name(record: PositionIntent | ExchangeOrder | Position) -> str:
    """The account's name as the API shows it, without a query on the mark path: the related
    row where the desk loaded it, else this process's memo (names are set when an account is
    added and not renamed while the desk trades)."""
    account = record._state.fields_cache.get("account")
    if account is not None:
        _account_names[account.id] = account.name
        return account.name
    if record.account_id not in _account_names:
        _account_names[record.account_id] = record.account.name
    return _account_names[record.account_id]


def event_publish(*, kind: str, record: PositionIntent | ExchangeOrder | Position) -> None:
    """XADD the record's event once the current transaction commits (at once outside one)."""
    fields = {"intent": INTENT_FIELDS, "order": ORDER_FIELDS, "position": POSITION_FIELDS}[kind]
    entry = {
        "kind": kind,
        "account": _account_name(record),
        "symbol": record.symbol,
        "row": json.dumps({name: _text(record, attr) for name, attr in fields.items()}),
    }

    def send() -> None:
        held = _held.get()
        if held is not None:
            held.append(entry)
        else:
            _entries_send([entry])

    transaction.on_commit(send)


# Set by events_held: where committed events wait for the end of the block.
_held: ContextVar[list[dict[str, str]] | None] = ContextVar("trading_events_held", default=None)


@contextmanager
def events_held() -> Iterator[None]:
    """Events committed inside the block are sent when it ends, together (one round trip). The
    reactor holds them for a reaction, so an exit's order leaves before its position's and its
    intent's events are written, not after."""
    held: list[dict[str, str]] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        _entries_send(held)


def _entries_send(entries: list[dict[str, str]]) -> None:
    if not entries:
        return
    try:
        pipe = get_redis().pipeline(transaction=False)
        for entry in entries:
            pipe.xadd(
                keys.STREAM_TRADING_EVENTS,
                entry,
                maxlen=settings.TRADING_EVENTS_MAXLEN,
                approximate=True,
            )
        pipe.execute()
    except Exception:  # the writes are done; the feed's readers fall back to polling
        logger.warning("%d trading event(s) not published", len(entries), exc_info=True)


def intent_changed(*, intent_id: int) -> None:
    """For the conditional UPDATEs that bypass save(): once committed, the intent as it is then."""

    def send() -> None:
        intent = PositionIntent.objects.select_related("account").filter(id=intent_id).first()
        if intent is not None:
            event_publish(kind="intent", record=intent)

    transaction.on_commit(send)


def _on_intent_saved(sender, instance: PositionIntent, **kwargs) -> None:
    event_publish(kind="intent", record=instance)


def _on_order_saved(sender, instance: ExchangeOrder, **kwargs) -> None:
    event_publish(kind="order", record=instance)


def _on_position_saved(sender, instance: Position, **kwargs) -> None:
    event_publish(kind="position", record=instance)


def receivers_connect() -> None:
    from django.db.models.signals import post_save

    post_save.connect(_on_intent_saved, sender=PositionIntent, dispatch_uid="trading-events-intent")
    post_save.connect(_on_order_saved, sender=ExchangeOrder, dispatch_uid="trading-events-order")
    post_save.connect(_on_position_saved, sender=Position, dispatch_uid="trading-events-position")
