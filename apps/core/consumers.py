"""A Redis streams consumer in a consumer group: at-least-once delivery, a dead consumer's
entries claimed by a live one.

Each entry is handled, then acknowledged (XACK). An entry whose handler raised stays pending
and is retried by its own consumer; an entry pending on a consumer that stopped (killed between
XREADGROUP and XACK) is claimed with XAUTOCLAIM once idle for `claim_idle_ms`. So every entry
is handled at least once, and the handlers make a second handling harmless (the intent log's
in-flight check, the per-account reacted marks: docs/trading.md, "Reactors").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis
from redis.exceptions import ResponseError

logger = logging.getLogger(__name__)


class Retry(Exception):  # noqa: N818 - a signal, not a failure
    """Raised by a handler that cannot handle the entry now (a lock held): it stays pending and
    comes back on the consumer's next retry pass, unlogged."""


Handler = Callable[[str, str, dict[str, str]], None]  # (stream, entry id, fields)


@dataclass
class GroupConsumer:
    client: redis.Redis
    group: str
    name: str
    handler: Handler
    claim_idle_ms: int
    block_ms: int = 1000
    count: int = 50
    # entries that raised this many times are acknowledged and logged, so a poison entry never
    # blocks the consumer for ever
    max_failures: int = 5
    pause_before_ack: float = 0  # drills: the gap between handling and XACK
    handled: int = 0
    _failures: dict[tuple[str, str], int] = field(default_factory=dict)
    _groups: set[str] = field(default_factory=set)
    _last_retry: float = 0.0

    def ensure_group(self, stream: str) -> None:
        if stream in self._groups:
            return
        try:
            # '$': a new group starts at the tail; history is the reconcile's, not a reactor's
            self.client.xgroup_create(stream, self.group, id="$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups.add(stream)

    def poll(self, streams: list[str]) -> int:
        """One round: retry our own pending entries (at most once a second), claim idle ones of
        dead consumers, then read new ones (blocking up to block_ms). Returns entries handled."""
        for stream in streams:
            self.ensure_group(stream)
        before = self.handled
        now = time.monotonic()
        if now - self._last_retry >= 1:
            self._last_retry = now
            mine = self.client.xreadgroup(
                self.group, self.name, {s: "0" for s in streams}, count=self.count
            )
            self._handle_all(mine)
            for stream in streams:
                self._claim(stream)
        fresh = self.client.xreadgroup(
            self.group, self.name, {s: ">" for s in streams}, count=self.count, block=self.block_ms
        )
        self._handle_all(fresh)
        return self.handled - before

    def _claim(self, stream: str) -> None:
        start = "0-0"
        while True:
            reply = self.client.xautoclaim(
                stream, self.group, self.name, self.claim_idle_ms, start_id=start, count=self.count
            )
            start, entries = reply[0], reply[1]
            if entries:
                logger.warning("%s: claimed %d idle entries of %s", self.name, len(entries), stream)
            self._handle_all([(stream, entries)])
            if start in ("0-0", b"0-0"):
                return

    def _handle_all(self, replies) -> None:
        for stream, entries in replies or []:
            for entry_id, fields in entries:
                if fields is None:  # trimmed away (MAXLEN) while pending: nothing to handle
                    self.client.xack(stream, self.group, entry_id)
                    continue
                self._handle(stream, entry_id, fields)

    def _handle(self, stream: str, entry_id: str, fields: dict[str, str]) -> None:
        try:
            self.handler(stream, entry_id, fields)
        except Retry:
            return
        except Exception:
            key = (stream, entry_id)
            self._failures[key] = self._failures.get(key, 0) + 1
            if self._failures[key] < self.max_failures:
                logger.exception("%s: entry %s of %s failed, kept", self.name, entry_id, stream)
                return
            logger.exception(
                "%s: entry %s of %s failed %d times, dropped",
                self.name,
                entry_id,
                stream,
                self._failures[key],
            )
        self._failures.pop((stream, entry_id), None)
        if self.pause_before_ack:
            time.sleep(self.pause_before_ack)
        self.client.xack(stream, self.group, entry_id)
        self.handled += 1


def group_health(client: redis.Redis, stream: str) -> list[dict]:
    """Every group of a stream: consumers, pending (read, not acknowledged) and lag (not read)."""
    try:
        groups = client.xinfo_groups(stream)
    except ResponseError:
        return []  # no such stream yet
    return [
        {
            "stream": stream,
            "group": g["name"],
            "consumers": g["consumers"],
            "pending": g["pending"],
            "lag": g.get("lag"),
        }
        for g in groups
    ]
