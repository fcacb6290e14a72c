"""Public (unsigned) market data from a venue: the trading account's exchange or the reference
venue of the cross-exchange check, with the exchange adapter's error mapping."""

from __future__ import annotations

from typing import Any

import requests
from binance.exceptions import BinanceAPIException, BinanceRequestException

from apps.exchange.client import build_client, map_api_exception
from apps.exchange.errors import RetryableExchangeError


class PublicVenue:
    """python-binance without credentials: klines, marks, tickers need no signature."""

    def __init__(self, *, base_url: str, timeout: float = 5) -> None:
        self.base_url = base_url.rstrip("/")
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
