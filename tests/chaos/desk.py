"""The desk from outside: its API over HTTP as the admin (halt, flatten, the dashboard figures),
and its own records read from its database and Redis (Django set up on the stack's settings, in
the runner's process, never inside the stack)."""

from __future__ import annotations

import time
from typing import Any

import requests

LOOP_TASK = "quantum.trading.run_cycle"
LOOP_FIELDS = (
    "last_ok_ms",
    "completed",
    "skipped",
    "failed",
    "skips_in_a_row",
    "max_skips_in_a_row",
)
WINDOWS = ("all", "24h", "7d")


class DeskApi:
    def __init__(self, base_url: str, user: str, password: str) -> None:
        self.base_url = base_url
        self.user, self.password = user, password
        self.session: requests.Session | None = None

    def _login(self) -> requests.Session:
        session = requests.Session()
        csrf = session.get(f"{self.base_url}/api/auth/csrf/", timeout=10).json()["csrf_token"]
        answer = session.post(
            f"{self.base_url}/api/auth/login/",
            json={"username": self.user, "password": self.password},
            headers={"X-CSRFToken": csrf, "Referer": self.base_url},
            timeout=10,
        )
        answer.raise_for_status()
        session.headers["X-CSRFToken"] = session.cookies.get("csrftoken", csrf)
        session.headers["Referer"] = self.base_url
        return session

    def call(self, method: str, path: str, *, attempts: int = 30, **kwargs: Any) -> Any:
        """One API call, retried while web is down or restarting (the chaos may have just
        killed it); a 4xx other than an expired login is an answer, not an outage."""
        last: Exception | None = None
        for _ in range(attempts):
            try:
                if self.session is None:
                    self.session = self._login()
                answer = self.session.request(
                    method, f"{self.base_url}{path}", timeout=30, **kwargs
                )
                if answer.status_code in (401, 403):
                    self.session = None
                    last = RuntimeError(f"{method} {path}: {answer.status_code}")
                    continue
                if answer.status_code >= 500:
                    last = RuntimeError(f"{method} {path}: {answer.status_code} {answer.text}")
                    time.sleep(2)
                    continue
                answer.raise_for_status()
                return answer.json()
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = exc
                self.session = None
                time.sleep(2)
        raise RuntimeError(f"{method} {path} failed {attempts} times: {last}")

    def desk_set(self, **change: Any) -> Any:
        return self.call("POST", "/api/trading/desk/", json=change)

    def figures(self, *, account_id: int, symbols: list[str], days: int) -> dict[str, Any]:
        """Every figure the dashboard serves for the account (docs/figures.md)."""
        board = {
            w: self.call("GET", "/api/rl-dashboard/", params={"window": w, "account": account_id})
            for w in WINDOWS
        }
        return {
            "dashboard": board,
            "daily": self.call(
                "GET", "/api/pnl/daily/", params={"days": days, "account": account_id}
            )["days"],
            "equity": self.call(
                "GET", "/api/pnl/equity/", params={"window": "all", "account": account_id}
            )["points"],
            "history": {
                s: self.call(
                    "GET",
                    f"/api/rl-dashboard/history/{s}/",
                    params={"window": "all", "account": account_id},
                )["points"]
                for s in symbols
            },
        }


# --- its own records (Django must be set up on the stack's environment) ------------------------
def trading_account():
    from apps.exchange.models import ExchangeAccount

    return ExchangeAccount.objects.filter(is_active=True).order_by("id").first()


def account_keys(account) -> tuple[str, str]:
    from apps.exchange import crypto

    return crypto.decrypt(account.api_key_encrypted), crypto.decrypt(account.api_secret_encrypted)


def in_flight(account) -> int:
    from apps.trading.models import IN_FLIGHT_STATES, PositionIntent

    return PositionIntent.objects.filter(account=account, state__in=IN_FLIGHT_STATES).count()


def ok_polls(account) -> list[tuple[int, float]]:
    """(id, start time) of the account's successful PnL polls."""
    from apps.pnl.models import PollRun

    return [
        (run.id, run.started_at.timestamp())
        for run in PollRun.objects.filter(account=account, status="ok").order_by("id")
    ]


def records(account) -> dict[str, Any]:
    from apps.pnl.models import IncomeRow
    from apps.trading.models import Backstop, ExchangeOrder, Position, PositionIntent
    from apps.trading.selectors import ledger_amounts

    intents = [
        {**row, "quantity": str(row["quantity"]), "executed_qty": str(row["executed_qty"])}
        for row in PositionIntent.objects.filter(account=account)
        .order_by("id")
        .values(
            "id",
            "symbol",
            "side",
            "action",
            "state",
            "reason",
            "reduce_only",
            "quantity",
            "client_order_id",
            "order_id",
            "executed_qty",
            "error_code",
        )
    ]
    backstops = [
        {
            "id": b.id,
            "client_algo_id": b.client_algo_id,
            "symbol": b.symbol,
            "status": b.status,
            "algo_id": b.algo_id,
            "order_id": b.order_id,
            "intent_id": b.intent_id,
        }
        for b in Backstop.objects.filter(account=account).order_by("id")
    ]
    ledger = [
        {**row, "amount": str(row["amount"])}
        for row in IncomeRow.objects.filter(account=account)
        .order_by("time_ms", "tran_id")
        .values("tran_id", "income_type", "symbol", "amount", "time_ms", "trade_id")
    ]
    return {
        "account_id": account.id,
        "intents": intents,
        "backstops": backstops,
        "ledger": ledger,
        "ledger_amounts": {s: str(a) for s, a in ledger_amounts(account_id=account.id).items()},
        "positions": {
            p.symbol: str(p.amount) for p in Position.objects.filter(account=account) if p.amount
        },
        "external_orders": list(
            ExchangeOrder.objects.filter(account=account, external=True).values_list(
                "client_order_id", flat=True
            )
        ),
    }


def loop_stats() -> dict[str, int] | None:
    """The loop bookkeeping of the trading cycle (hash quantum:ops:loop:<task>); None while the
    stack does not keep it."""
    from apps.core.redis import get_redis

    raw = get_redis().hgetall(f"quantum:ops:loop:{LOOP_TASK}")
    if not raw:
        return None
    decoded = {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}
    # a counter is created by its first increment: absent means none yet
    return {name: int(decoded.get(name, 0)) for name in LOOP_FIELDS}
