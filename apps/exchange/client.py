"""The Binance client adapter: a stock python-binance Client pointed at an account's venue, with
the desk's error mapping, clock-offset re-sync and rate-limit bookkeeping.

python-binance has no retries and no 429 handling (docs: shared/binance-futures.md); the adapter
classifies every failure as retryable or fatal and the caller (a task) decides when to retry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from binance.client import Client
from binance.exceptions import BinanceAPIException, BinanceRequestException

from apps.exchange import crypto
from apps.exchange.errors import FatalExchangeError, RetryableExchangeError
from apps.exchange.models import ExchangeAccount

logger = logging.getLogger(__name__)

RETRYABLE_CODES = {-1000, -1001, -1003, -1007, -1008, -1015, -1021}
CLOCK_SKEW = -1021
DEFAULT_TIMEOUT_SECONDS = 10


def build_client(*, base_url: str, api_key: str, api_secret: str, timeout: float) -> Client:
    """python-binance at another venue: instance API_URL / FUTURES_URL, no construction ping."""
    client = Client(api_key, api_secret, ping=False, requests_params={"timeout": timeout})
    base = base_url.rstrip("/")
    client.API_URL = f"{base}/api"
    client.FUTURES_URL = f"{base}/fapi"
    return client


def _retry_after(response: Any) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    try:
        return max(0, int(value)) if value is not None else None
    except ValueError:
        return None


def map_api_exception(exc: BinanceAPIException) -> RetryableExchangeError | FatalExchangeError:
    status, code = exc.status_code, exc.code
    text = f"HTTP {status} code {code}: {exc.message}"
    if status in (429, 418):
        return RetryableExchangeError(
            text, retry_after=_retry_after(exc.response), status=status, code=code
        )
    if status >= 500 or code in RETRYABLE_CODES:
        return RetryableExchangeError(text, status=status, code=code)
    return FatalExchangeError(text, status=status, code=code)


@dataclass
class CallStats:
    calls: int = 0
    http_seconds: float = 0.0  # wall time inside python-binance, for the poll's own-cost figure
    used_weight_1m: int | None = None
    by_method: dict[str, int] = field(default_factory=dict)


class ExchangeClient:
    """One account's session. Not thread-safe (python-binance keeps `client.response`)."""

    def __init__(
        self, *, account: ExchangeAccount, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        self.account = account
        self.stats = CallStats()
        self._client = build_client(
            base_url=account.base_url,
            api_key=crypto.decrypt(account.api_key_encrypted),
            api_secret=crypto.decrypt(account.api_secret_encrypted),
            timeout=timeout,
        )

    @property
    def raw(self) -> Client:
        return self._client

    def call(self, method: str, **params: Any) -> Any:
        """`client.<method>(**params)` with errors mapped; one re-sync and retry on -1021."""
        try:
            return self._call_once(method, params)
        except RetryableExchangeError as exc:
            if exc.code != CLOCK_SKEW or not self._resync_clock():
                raise
            return self._call_once(method, params)

    def _call_once(self, method: str, params: dict[str, Any]) -> Any:
        fn: Callable[..., Any] = getattr(self._client, method)
        started = time.perf_counter()
        try:
            return fn(**params)
        except BinanceAPIException as exc:
            mapped = map_api_exception(exc)
            logger.warning("exchange %s %s: %s", self.account.name, method, mapped)
            raise mapped from None
        except BinanceRequestException as exc:
            raise RetryableExchangeError(f"{method}: unreadable reply: {exc.message}") from None
        except requests.Timeout:
            raise RetryableExchangeError(f"{method}: timed out") from None
        except requests.ConnectionError:
            raise RetryableExchangeError(f"{method}: connection failed") from None
        finally:
            self.stats.http_seconds += time.perf_counter() - started
            self.stats.calls += 1
            self.stats.by_method[method] = self.stats.by_method.get(method, 0) + 1
            self._note_headers()

    def _note_headers(self) -> None:
        response = getattr(self._client, "response", None)
        if response is None:
            return
        used = response.headers.get("X-MBX-USED-WEIGHT-1M")
        if used is not None and used.isdigit():
            self.stats.used_weight_1m = int(used)

    def _resync_clock(self) -> bool:
        """Binance checks signed timestamps against its clock: adopt its offset. The paper
        venue checks against the host's wall clock even when its exchange clock runs fast, so
        there the right offset is always 0."""
        if self.account.is_paper:
            self._client.timestamp_offset = 0
            return True
        before = time.time()
        server = self._call_once("futures_time", {})["serverTime"]
        after = time.time()
        self._client.timestamp_offset = int(server - (before + after) / 2 * 1000)
        logger.warning(
            "exchange %s: clock re-synced, offset %s ms",
            self.account.name,
            self._client.timestamp_offset,
        )
        return True


def client_for(
    *, account: ExchangeAccount, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> ExchangeClient:
    return ExchangeClient(account=account, timeout=timeout)


class PublicClient:
    """python-binance without credentials, for unsigned market data (klines, marks, tickers) from
    any venue (the reference venue of the cross-exchange check has no account of ours)."""

    def __init__(self, *, base_url: str, timeout: float = 5) -> None:
        self.base_url = base_url.rstrip("/")
        self.account = None
        self.stats = CallStats()
        self._client = build_client(
            base_url=self.base_url, api_key="", api_secret="", timeout=timeout
        )

    def call(self, method: str, **params: Any) -> Any:
        try:
            return getattr(self._client, method)(**params)
        except BinanceAPIException as exc:
            raise map_api_exception(exc) from None
        except BinanceRequestException as exc:
            raise RetryableExchangeError(f"{method}: unreadable reply: {exc.message}") from None
        except (requests.Timeout, requests.ConnectionError):
            raise RetryableExchangeError(f"{method}: {self.base_url} unreachable") from None
