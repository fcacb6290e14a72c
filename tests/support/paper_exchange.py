"""Run the paper exchange as a real subprocess and talk to it with python-binance.

    with PaperExchange(tmp_path) as venue:
        account = venue.create_account("desk", balance="10000")
        client = venue.client(account)
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
        venue.kill()      # kill -9
        venue.start()     # same database, same state

Tests of other apps reuse this: it runs the venue as `manage.py paper_exchange` and makes its
accounts with the service behind `manage.py paper_exchange_account create` (the only import
from apps.paper_exchange, made late: this module loads before Django is set up).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from binance.client import Client
from binance.exceptions import BinanceAPIException

REPO = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "paper-test-admin"
# Generous limits for tests that are not about rate limits (Binance's defaults are 2400/1200).
NO_RATE_LIMITS = (
    "--weight-limit",
    "1000000",
    "--order-limit-10s",
    "100000",
    "--order-limit-1m",
    "100000",
)
# Every contract the venue lists (docs/paper-exchange.md, "Symbols"), as Binance names them.
LISTED_SYMBOLS = (
    "BTCUSDT",
    "ETHUSDT",
    "SOLUSDT",
    "BNBUSDT",
    "XRPUSDT",
    "ADAUSDT",
    "DOGEUSDT",
    "AVAXUSDT",
    "LINKUSDT",
    "DOTUSDT",
    "LTCUSDT",
    "TRXUSDT",
    "BCHUSDT",
    "NEARUSDT",
    "ATOMUSDT",
    "UNIUSDT",
    "FILUSDT",
    "APTUSDT",
    "ARBUSDT",
    "OPUSDT",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binance_client(base_url: str, api_key: str, api_secret: str, **kwargs: Any) -> Client:
    """A stock python-binance Client pointed at another venue by its base URLs only."""
    client = Client(api_key, api_secret, ping=False, **kwargs)
    client.API_URL = f"{base_url}/api"
    client.FUTURES_URL = f"{base_url}/fapi"
    client.ping()  # what Client() does on construction, now against the venue
    return client


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "quantum_project.settings")
    env.setdefault("SECRET_KEY", "paper-exchange-tests")
    return env


class PaperExchange:
    def __init__(
        self,
        workdir: Path,
        *,
        speed: float | None = None,
        extra_args: list[str] | tuple[str, ...] = (),
        port: int | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.workdir / "paper_exchange.sqlite3"
        self.port = port or free_port()
        self.speed = speed
        self.extra_args = list(extra_args)
        self.admin_token = ADMIN_TOKEN
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "paper_exchange.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> PaperExchange:
        args = [
            sys.executable,
            str(REPO / "manage.py"),
            "paper_exchange",
            "--port",
            str(self.port),
            "--db",
            str(self.db_path),
            "--admin-token",
            self.admin_token,
        ]
        if self.speed is not None:
            args += ["--speed", str(self.speed)]
        args += self.extra_args
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it for its lifetime
        self.process = subprocess.Popen(
            args, cwd=REPO, env=_env(), stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"paper exchange exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.base_url}/fapi/v1/ping", timeout=0.5).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError(f"paper exchange did not answer: {self.log_path.read_text()[-2000:]}")

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM and wait: the clean shutdown path."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        self.process = None
        return code

    def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def restart(self, *, hard: bool = True) -> PaperExchange:
        self.kill() if hard else self.stop()
        return self.start()

    def __enter__(self) -> PaperExchange:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- accounts and clients ----------------------------------------------------------------
    def create_account(self, name: str, balance: str = "10000") -> dict[str, Any]:
        """What `paper_exchange_account create NAME --balance B --db DB --json` prints, made by
        the service behind it, in this process: a Django process per account cost seconds each,
        minutes per run (the command itself is tested in test_account_command.py)."""
        from apps.paper_exchange.services import account_create

        return account_create(db_path=self.db_path, name=name, balance=Decimal(balance)).as_dict()

    def client(self, account: dict[str, Any], **kwargs: Any) -> Client:
        return binance_client(self.base_url, account["api_key"], account["api_secret"], **kwargs)

    # --- paper-only admin endpoints ----------------------------------------------------------
    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(
            method,
            f"{self.base_url}{path}",
            json=body,
            timeout=30,
            headers={"X-PAPER-ADMIN-TOKEN": self.admin_token},
        )
        response.raise_for_status()
        return response.json()

    def set_price(self, symbol: str, price: str, mark: str | None = None) -> dict[str, Any]:
        """Move the last price (and the mark with it, or to `mark`)."""
        body = {"symbol": symbol, "price": price} | ({"markPrice": mark} if mark else {})
        return self.admin("POST", "/paper/v1/price", body)

    def events(self, symbol: str, since: float = 0.0) -> dict[str, Any]:
        """The venue's stamps of mark / closed kline events sent and orders received for
        `symbol` after `since` (ms on the venue's monotonic clock; `now` of an earlier read)."""
        return self.admin("GET", f"/paper/v1/events?symbol={symbol}&since={since}")

    def set_fault(self, mode: str, **options: Any) -> dict[str, Any]:
        return self.admin("POST", "/paper/v1/faults", {"mode": mode, **options})

    def clear_faults(self) -> dict[str, Any]:
        return self.admin("DELETE", "/paper/v1/faults")


def desk_account(venue: PaperExchange, prefix: str, balance: str = "10000") -> tuple[Any, dict]:
    """A venue account registered as the desk's ExchangeAccount: (the row, the venue's reply
    with its keys). Imported late: this module is loaded before Django is set up."""
    import secrets

    from apps.exchange.services import account_add

    name = f"{prefix}-{secrets.token_hex(3)}"
    created = venue.create_account(name, balance=balance)
    account = account_add(
        name=name,
        base_url=venue.base_url,
        api_key=created["api_key"],
        api_secret=created["api_secret"],
        paper=True,
    )
    return account, created


# --- small readers for tests ---------------------------------------------------------------
def api_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> BinanceAPIException:
    try:
        call(*args, **kwargs)
    except BinanceAPIException as exc:
        return exc
    raise AssertionError(f"{getattr(call, '__name__', call)} did not fail")


def wallet(client: Client) -> Decimal:
    return Decimal(client.futures_account_balance()[0]["balance"])


def position(client: Client, symbol: str) -> dict[str, Any] | None:
    rows = client.futures_position_information(symbol=symbol)
    return rows[0] if rows else None


def last_price(client: Client, symbol: str) -> Decimal:
    return Decimal(client.futures_symbol_ticker(symbol=symbol)["price"])


def mark_price(client: Client, symbol: str) -> Decimal:
    return Decimal(client.futures_mark_price(symbol=symbol)["markPrice"])


def market(client: Client, symbol: str, side: str, qty: str, **extra: Any) -> dict[str, Any]:
    return client.futures_create_order(
        symbol=symbol, side=side, type="MARKET", quantity=qty, newOrderRespType="RESULT", **extra
    )


def limit(client: Client, symbol: str, side: str, qty: str, price: str, **extra: Any) -> dict:
    """A GTC LIMIT order (unless `extra` names another timeInForce)."""
    params = {"timeInForce": "GTC", **extra}
    return client.futures_create_order(
        symbol=symbol, side=side, type="LIMIT", quantity=qty, price=price, **params
    )
