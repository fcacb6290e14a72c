"""The dashboard's live feed: the desk's marks (keys.STREAM_MARK, written by the stream process
and the market poll) and its trading events (keys.STREAM_TRADING_EVENTS, apps.trading.events) as
server-sent events, read with XREAD BLOCK as they are appended (docs/frontend.md, "Live, stale,
down").

Frames (text/event-stream):
- `event: hello` once, with the server's time: the feed is up;
- `event: mark`, data `{symbol, mark_price, time_ms}`;
- `event: trading`, data `{kind: intent|order|position, account, symbol, row}`;
- a `: keepalive` comment when nothing happened for LIVE_KEEPALIVE_SECONDS (a proxy keeps the
  connection, and a browser that went away is noticed at this write).
Every event's `id` is the pair of stream ids read so far (`<mark id>,<trading id>`): a browser
reconnecting sends it as Last-Event-ID and the feed goes on from there (what the bounded streams
still hold), so a reconnect loses nothing it kept."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import redis
from django.conf import settings

from apps.core import keys
from apps.core.timeutil import to_ms, utcnow
from apps.market.selectors import mark_from_entry

STREAMS = (keys.STREAM_MARK, keys.STREAM_TRADING_EVENTS)
READ_COUNT = 200  # entries per XREAD: a burst of marks is sent in a few writes, not one each


class FeedsExhausted(Exception):
    """This process already serves LIVE_MAX_STREAMS feeds."""


_slots_lock = threading.Lock()
_slots = {"open": 0}


class FeedSlot:
    """One of the process's LIVE_MAX_STREAMS feeds: each holds a gunicorn thread for as long as
    the browser stays, so they are bounded and the other threads keep answering the API."""

    def __enter__(self) -> FeedSlot:
        with _slots_lock:
            if _slots["open"] >= settings.LIVE_MAX_STREAMS:
                raise FeedsExhausted
            _slots["open"] += 1
        return self

    def __exit__(self, *exc) -> None:
        with _slots_lock:
            _slots["open"] -= 1


def feeds_open() -> int:
    return _slots["open"]


def _connection() -> redis.Redis:
    """A connection of its own, blocked in XREAD for up to the keepalive period: never the
    process's shared client (its 5 s socket timeout would cut the block short)."""
    block = settings.LIVE_KEEPALIVE_SECONDS
    return redis.Redis.from_url(
        settings.REDIS_URL,
        decode_responses=True,
        socket_timeout=block + 10,
        socket_connect_timeout=2,
    )


def start_ids(client: redis.Redis, last_event_id: str | None) -> dict[str, str]:
    """Where the feed starts: after the browser's Last-Event-ID, else after each stream's newest
    entry now (resolved before the hello, so nothing appended after it is missed)."""
    given = (last_event_id or "").split(",")
    ids = {}
    for i, stream in enumerate(STREAMS):
        if len(given) == len(STREAMS) and _is_entry_id(given[i]):
            ids[stream] = given[i]
            continue
        newest = client.xrevrange(stream, count=1)
        ids[stream] = newest[0][0] if newest else "0-0"
    return ids


def _is_entry_id(value: str) -> bool:
    head, _, tail = value.partition("-")
    return head.isdigit() and (tail == "" or tail.isdigit())


def _frame(event: str, data: dict, ids: dict[str, str] | None = None) -> str:
    lines = [f"event: {event}"]
    if ids is not None:
        lines.append(f"id: {','.join(ids[s] for s in STREAMS)}")
    lines.append(f"data: {json.dumps(data, separators=(',', ':'))}")
    return "\n".join(lines) + "\n\n"


def _event(stream: str, fields: dict[str, str]) -> tuple[str, dict] | None:
    if stream == keys.STREAM_MARK:
        try:
            mark = mark_from_entry(fields)
        except (KeyError, ValueError, ArithmeticError):
            return None  # a damaged entry: the reactors log it; the page polls the figures anyway
        return "mark", {
            "symbol": mark.symbol,
            "mark_price": fields["mark_price"],
            "time_ms": mark.time_ms,
        }
    try:
        row = json.loads(fields["row"])
    except (KeyError, ValueError):
        return None
    return "trading", {
        "kind": fields.get("kind", ""),
        "account": fields.get("account", ""),
        "symbol": fields.get("symbol", ""),
        "row": row,
    }


def live_frames(
    *, last_event_id: str | None = None, client: redis.Redis | None = None
) -> Iterator[str]:
    """The feed's frames, for as long as the caller iterates (the browser stays)."""
    client = client or _connection()
    try:
        ids = start_ids(client, last_event_id)
        yield f"retry: {settings.LIVE_RETRY_MS}\n\n"
        yield _frame("hello", {"server_time_ms": to_ms(utcnow())}, ids)
        block_ms = int(settings.LIVE_KEEPALIVE_SECONDS * 1000)
        while True:
            started = time.monotonic()
            reply = client.xread(ids, count=READ_COUNT, block=block_ms)
            frames = []
            for stream, entries in reply or []:
                for entry_id, fields in entries:
                    ids[stream] = entry_id
                    event = _event(stream, fields)
                    if event is not None:
                        frames.append(_frame(*event, ids))
            if frames:
                yield "".join(frames)
            elif time.monotonic() - started >= settings.LIVE_KEEPALIVE_SECONDS * 0.9:
                yield ": keepalive\n\n"
    finally:
        client.close()
