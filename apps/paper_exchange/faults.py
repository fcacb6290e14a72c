"""The fault switch: make the venue fail the way real venues do, for tests and drills.

Modes (before = nothing is processed; accept_then = the request is fully processed and
committed, then the reply fails, so the caller cannot know the outcome):
  error / accept_then_error       reply HTTP `status` (default 503) with a Binance 5xx body
  timeout / accept_then_timeout   sleep `delay` seconds (default 11, past python-binance's 10 s)
  drop / accept_then_drop         close the connection without a reply
A fault lasts for `count` matching requests or `seconds`, whichever ends first (neither: until
cleared), and matches `paths` (prefixes; default every /fapi and /api path) and `methods`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

MODES = ("error", "timeout", "drop", "accept_then_error", "accept_then_timeout", "accept_then_drop")


@dataclass
class Fault:
    mode: str
    count: int | None = None
    seconds: float | None = None
    status: int = 503
    delay: float = 11.0
    paths: list[str] = field(default_factory=lambda: ["/fapi/", "/api/"])
    methods: list[str] = field(default_factory=list)
    until: float | None = None

    @property
    def accept_first(self) -> bool:
        return self.mode.startswith("accept_then_")

    @property
    def kind(self) -> str:
        return self.mode.removeprefix("accept_then_")


class FaultSwitch:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fault: Fault | None = None

    def set(self, doc: dict[str, Any]) -> Fault:
        mode = doc.get("mode")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        fault = Fault(
            mode=mode,
            count=int(doc["count"]) if doc.get("count") is not None else None,
            seconds=float(doc["seconds"]) if doc.get("seconds") is not None else None,
            status=int(doc.get("status", 503)),
            delay=float(doc.get("delay", 11.0)),  # seconds
            paths=list(doc.get("paths") or ["/fapi/", "/api/"]),
            methods=[m.upper() for m in doc.get("methods") or []],
        )
        if not 500 <= fault.status <= 599:
            raise ValueError("status must be a 5xx")
        if fault.seconds is not None:
            fault.until = time.monotonic() + fault.seconds
        with self._lock:
            self._fault = fault
        return fault

    def clear(self) -> None:
        with self._lock:
            self._fault = None

    def status(self) -> dict[str, Any] | None:
        with self._lock:
            return asdict(self._fault) if self._fault else None

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            fault = self._fault
            if fault is None:
                return None
            if fault.until is not None and time.monotonic() >= fault.until:
                self._fault = None
                return None
            if fault.methods and method not in fault.methods:
                return None
            if not any(path.startswith(p) for p in fault.paths):
                return None
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self._fault = None
            return fault
