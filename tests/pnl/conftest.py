"""PnL fixtures: a registered account and a fake venue that answers like Binance (income paging
with startTime/endTime inclusive, limit, page; account v2), for tests that need no HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from apps.exchange.client import CallStats


def income_row(tran_id: int, time_ms: int, kind: str = "REALIZED_PNL", amount: str = "1.5",
               symbol: str = "BTCUSDT", trade_id: str = "") -> dict[str, Any]:
    return {"symbol": symbol, "incomeType": kind, "income": amount, "asset": "USDT",
            "info": "", "time": time_ms, "tranId": tran_id, "tradeId": trade_id}


def position(symbol: str, amt: str, entry: str, mark: str, leverage: int = 10) -> dict[str, Any]:
    a, e, m = Decimal(amt), Decimal(entry), Decimal(mark)
    return {"symbol": symbol, "positionAmt": amt, "entryPrice": entry,
            "unrealizedProfit": str(a * (m - e)),
            "positionInitialMargin": str(abs(a) * m / leverage),
            "initialMargin": str(abs(a) * m / leverage), "maintMargin": "0",
            "leverage": str(leverage), "isolated": False, "positionSide": "BOTH",
            "updateTime": 0}


def account_payload(wallet: str = "10000", positions: list[dict] | None = None) -> dict[str, Any]:
    positions = positions or []
    unrealized = sum((Decimal(p["unrealizedProfit"]) for p in positions), Decimal(0))
    im = sum((Decimal(p["positionInitialMargin"]) for p in positions), Decimal(0))
    margin = Decimal(wallet) + unrealized
    return {"totalWalletBalance": wallet, "totalUnrealizedProfit": str(unrealized),
            "totalMarginBalance": str(margin), "totalInitialMargin": str(im),
            "totalPositionInitialMargin": str(im), "totalOpenOrderInitialMargin": "0",
            "totalMaintMargin": "0", "availableBalance": str(margin - im),
            "maxWithdrawAmount": "0", "assets": [], "positions": positions}


class FakeVenue:
    """Answers ExchangeClient.call(...) like Binance, from in-memory rows."""

    def __init__(self, *, now_ms: int, rows: list[dict] | None = None,
                 account: dict | None = None) -> None:
        self.now_ms = now_ms
        self.rows = list(rows or [])
        self.account = account or account_payload()
        self.fills: list[dict] = []
        self.calls: list[tuple[str, dict]] = []
        self.fail_on_call: int | None = None
        self.stats = CallStats()

    def call(self, method: str, **params: Any) -> Any:
        self.calls.append((method, params))
        self.stats.calls += 1
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise RuntimeError("worker lost (simulated)")
        if method == "futures_time":
            return {"serverTime": self.now_ms}
        if method == "futures_account":
            return self.account
        if method == "futures_account_trades":
            return [f for f in self.fills if f["symbol"] == params["symbol"]
                    and f["time"] >= params.get("startTime", 0)]
        if method == "futures_income_history":
            start, end = params["startTime"], params["endTime"]
            limit, page = params.get("limit", 100), params.get("page", 1)
            rows = sorted((r for r in self.rows if start <= r["time"] <= end),
                          key=lambda r: (r["time"], r["tranId"]))
            return rows[(page - 1) * limit: page * limit]
        raise AssertionError(f"unexpected call {method}")


@pytest.fixture
def desk_account(db):
    from apps.exchange.services import account_add

    return account_add(name="desk", base_url="http://127.0.0.1:9", api_key="k" * 64,
                       api_secret="s" * 64, paper=True)


@pytest.fixture
def fake_venue(monkeypatch):
    """A FakeVenue the poll service talks to instead of HTTP."""
    venue = FakeVenue(now_ms=1_700_000_000_000)
    monkeypatch.setattr("apps.pnl.services.client_for", lambda **kw: venue)
    return venue
