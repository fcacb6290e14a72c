"""A bounded per-process map of values that are a function of their key alone.

For answers whose inputs are named exactly by a key (a snapshot id and a ledger version, the
marks applied): a value can never be stale, only evicted, so no expiry is needed and every
process may keep its own. Values are shared between requests: callers must not mutate them."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
_ALL: weakref.WeakSet[Memo] = weakref.WeakSet()


def memos_clear() -> None:
    """Empty every memo of this process: for a database whose rows were replaced under the same
    ids (a restored backup; a test rolled back, as SQLite then hands the ids out again)."""
    for memo in list(_ALL):
        memo.clear()


class Memo(Generic[V]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        # gunicorn's gthread workers serve requests from several threads of one process.
        self._lock = threading.Lock()
        _ALL.add(self)

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> V:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The value for `key`, computed outside the lock on a miss (two threads missing at once
        both compute it: the same value, as it depends on the key alone)."""
        value = self.get(key)
        return value if value is not None else self.put(key, compute())

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
