"""The paper venue from outside, over HTTP only: its fault switch, a burst that opens a 429
window, and its own records of the desk's account (orders, algo orders, income, positions)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import requests
from binance.exceptions import BinanceAPIException

from tests.support.paper_exchange import binance_client

# The chaos desk trades BTC, ETH and SOL (run.py); two more catch an order on a symbol it does
# not trade. Not all 20 the venue lists: records() polls every second, at 10 weight a symbol.
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT")
ORDER_PATHS = ["/fapi/v1/order"]
# The faults the chaos cycles through (docs/paper-exchange.md, admin endpoints). The accept_then
# modes commit the request and fail the reply: the executor must look the order up, not resend.
FAULTS: tuple[dict[str, Any], ...] = (
    {"mode": "accept_then_timeout", "count": 2, "paths": ORDER_PATHS, "methods": ["POST"]},
    {"mode": "error", "status": 503, "seconds": 8},
    {"mode": "accept_then_error", "count": 2, "paths": ORDER_PATHS, "methods": ["POST"]},
    {"mode": "drop", "count": 6},
    {"mode": "accept_then_drop", "count": 2, "paths": ORDER_PATHS, "methods": ["POST"]},
    {"mode": "timeout", "count": 2, "paths": ORDER_PATHS + ["/fapi/v1/income"]},
    {
        "mode": "accept_then_timeout",
        "count": 1,
        "paths": ["/fapi/v1/algoOrder"],
        "methods": ["POST"],
    },
    {"mode": "error", "status": 502, "count": 10, "paths": ["/fapi/v2/account", "/fapi/v1/time"]},
)


class Venue:
    def __init__(self, base_url: str, admin_token: str) -> None:
        self.base_url = base_url
        self.admin_token = admin_token

    # --- the fault switch ----------------------------------------------------------------------
    def admin(self, method: str, path: str, body: dict | None = None) -> Any:
        response = requests.request(
            method,
            f"{self.base_url}{path}",
            json=body,
            timeout=10,
            headers={"X-PAPER-ADMIN-TOKEN": self.admin_token},
        )
        response.raise_for_status()
        return response.json()

    def set_fault(self, fault: dict[str, Any]) -> None:
        self.admin("POST", "/paper/v1/faults", fault)

    def clear_faults(self) -> None:
        self.admin("DELETE", "/paper/v1/faults")

    def clock(self) -> dict[str, Any]:
        return requests.get(f"{self.base_url}/paper/v1/clock", timeout=10).json()

    def open_429_window(self) -> int:
        """Spend this host's request weight for the current minute (klines weigh 5), so every
        caller from 127.0.0.1, the desk included, gets 429 + Retry-After until the venue's next
        fixed one-minute window. Returns how many 429s the burst itself got."""

        def one(_: int) -> int:
            try:
                return requests.get(
                    f"{self.base_url}/fapi/v1/klines",
                    params={"symbol": "BTCUSDT", "interval": "1m", "limit": 1},
                    timeout=10,
                ).status_code
            except requests.RequestException:
                return 0

        refused = 0
        with ThreadPoolExecutor(8) as pool:
            for _ in range(20):  # at most 20 x 40 x 5 = 4000 weight: past the 2400 limit
                codes = list(pool.map(one, range(40)))
                refused += codes.count(429)
                if refused:
                    return refused
        return refused

    # --- its records ---------------------------------------------------------------------------
    def positions(self, api_key: str, api_secret: str) -> list[dict[str, Any]]:
        """The account's open positions alone (one account read, weight 5): what a loop that
        waits for the desk to catch up reads, where records() would spend the venue's request
        weight on every order and income page each time round."""
        account = _patient(binance_client(self.base_url, api_key, api_secret).futures_account)
        return [p for p in account["positions"] if Decimal(p["positionAmt"]) != 0]

    def records(self, api_key: str, api_secret: str) -> dict[str, Any]:
        """Everything the venue keeps about the account, read with a stock python-binance
        client (as Binance would be read)."""
        client = binance_client(self.base_url, api_key, api_secret)
        server_ms = _patient(client.futures_time)["serverTime"]
        orders, algo = [], []
        for symbol in SYMBOLS:
            orders += _all_pages(
                lambda first_id, s=symbol: client.futures_get_all_orders(
                    symbol=s, limit=1000, orderId=first_id
                ),
                after=_next_id("orderId"),
            )
            algo += _all_pages(
                lambda first_id, s=symbol: client.futures_get_all_algo_orders(
                    symbol=s, limit=1000, algoId=first_id
                ),
                after=_next_id("algoId"),
            )
        income = _all_pages(
            lambda page: client.futures_income_history(
                startTime=1, endTime=server_ms + 86_400_000, limit=1000, page=page
            ),
            after=lambda _batch, page: page + 1,
        )
        account = _patient(client.futures_account)
        return {
            "server_ms": server_ms,
            "orders": orders,
            "algo_orders": algo,
            "income": income,
            "account": {
                k: account[k]
                for k in ("totalWalletBalance", "totalMarginBalance", "availableBalance")
            },
            # account v2's positions carry what the figures are defined on (docs/figures.md)
            "positions": [p for p in account["positions"] if Decimal(p["positionAmt"]) != 0],
        }


def _patient(call, *args: Any) -> Any:
    """A read that waits out the venue's request-weight window (429, -1003: the desk spends the
    same budget) as Binance asks clients to, for up to two windows, instead of failing the run."""
    deadline = time.monotonic() + 130
    while True:
        try:
            return call(*args)
        except BinanceAPIException as exc:
            if exc.status_code != 429 or time.monotonic() > deadline:
                raise
            retry_after = exc.response.headers.get("Retry-After") if exc.response else None
            time.sleep(min(max(float(retry_after or 5), 1.0), 30.0))


def _all_pages(fetch, *, after) -> list[dict]:
    """Every row of a listing served 1000 at a time (allOrders and allAlgoOrders from an id on,
    and only the newest without one; income by page), oldest first: pages until a short one,
    `after(batch, cursor)` giving the next page's cursor."""
    rows, cursor = [], 1
    while True:
        batch = _patient(fetch, cursor)
        rows += batch
        if len(batch) < 1000:
            return rows
        cursor = after(batch, cursor)


def _next_id(field: str):
    return lambda batch, _cursor: batch[-1][field] + 1


def wait_ready(base_url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base_url}/fapi/v1/ping", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the venue at {base_url} did not answer")
