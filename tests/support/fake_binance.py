"""A scripted Binance USD-M futures venue served over real HTTP on a loopback port.

The paper exchange is the venue of record for tests; this one serves what the paper exchange
never produces: thousands of income rows in one millisecond, NaN or missing fields, a connection
that dies in the middle of a poll. Our adapter (apps.exchange.client + python-binance) talks to it
exactly as it talks to Binance: signed GETs with the X-MBX-APIKEY header, JSON bodies, Binance
error bodies `{"code", "msg"}` with the HTTP status Binance uses.

    with FakeBinance() as server:
        venue = server.install(FakeVenue(now_ms=1_700_000_000_000, rows=[income_row(1, ...)]))
        account_add(name="desk", base_url=server.base_url, ...)
        ...
        venue.calls  # [("futures_time", {}), ("futures_account", {}), ...]

Signatures are not checked (the paper exchange's tests cover signing); the API key header and
the signed parameters (`timestamp`, `signature`) are required where Binance requires them.
"""

from __future__ import annotations

import json
import socket
import threading
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# path -> (the python-binance method that calls it, signed, request weight)
ROUTES: dict[str, tuple[str, bool, int]] = {
    "/api/v3/ping": ("ping", False, 1),
    "/fapi/v1/ping": ("futures_ping", False, 1),
    "/fapi/v1/time": ("futures_time", False, 1),
    "/fapi/v2/account": ("futures_account", True, 5),
    "/fapi/v1/income": ("futures_income_history", True, 30),
    "/fapi/v1/userTrades": ("futures_account_trades", True, 5),
}
INT_PARAMS = {"startTime", "endTime", "limit", "page", "fromId", "orderId", "recvWindow"}
SIGNING_PARAMS = {"timestamp", "signature", "recvWindow"}


# --- Binance-shaped payloads ---------------------------------------------------------------------


def fill_row(
    trade_id: int, time_ms: int, side: str, qty: str, price: str, realized: str = "0"
) -> dict[str, Any]:
    """A userTrades entry of BTCUSDT's (one-way mode)."""
    return {
        "id": trade_id,
        "orderId": trade_id,
        "symbol": "BTCUSDT",
        "side": side,
        "price": price,
        "qty": qty,
        "realizedPnl": realized,
        "commission": "0",
        "commissionAsset": "USDT",
        "time": time_ms,
        "positionSide": "BOTH",
        "buyer": side == "BUY",
        "maker": False,
    }


def _by_id(fill: dict[str, Any]) -> int:
    return fill["id"]


def income_row(
    tran_id: int,
    time_ms: int,
    kind: str = "REALIZED_PNL",
    amount: str = "1.5",
    symbol: str = "BTCUSDT",
    trade_id: str = "",
) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "incomeType": kind,
        "income": amount,
        "asset": "USDT",
        "info": "",
        "time": time_ms,
        "tranId": tran_id,
        "tradeId": trade_id,
    }


def position(symbol: str, amt: str, entry: str, mark: str, leverage: int = 10) -> dict[str, Any]:
    a, e, m = Decimal(amt), Decimal(entry), Decimal(mark)
    return {
        "symbol": symbol,
        "positionAmt": amt,
        "entryPrice": entry,
        "unrealizedProfit": str(a * (m - e)),
        "positionInitialMargin": str(abs(a) * m / leverage),
        "initialMargin": str(abs(a) * m / leverage),
        "maintMargin": "0",
        "leverage": str(leverage),
        "isolated": False,
        "positionSide": "BOTH",
        "updateTime": 0,
    }


def account_payload(wallet: str = "10000", positions: list[dict] | None = None) -> dict[str, Any]:
    positions = positions or []
    unrealized = sum((Decimal(p["unrealizedProfit"]) for p in positions), Decimal(0))
    im = sum((Decimal(p["positionInitialMargin"]) for p in positions), Decimal(0))
    margin = Decimal(wallet) + unrealized
    return {
        "totalWalletBalance": wallet,
        "totalUnrealizedProfit": str(unrealized),
        "totalMarginBalance": str(margin),
        "totalInitialMargin": str(im),
        "totalPositionInitialMargin": str(im),
        "totalOpenOrderInitialMargin": "0",
        "totalMaintMargin": "0",
        "availableBalance": str(margin - im),
        "maxWithdrawAmount": "0",
        "assets": [],
        "positions": positions,
    }


# --- the venue's state and script ----------------------------------------------------------------


class Reply:
    """An HTTP answer: status, JSON body, extra headers; `drop` closes the connection unanswered."""

    def __init__(
        self,
        status: int = 200,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        drop: bool = False,
    ) -> None:
        self.status, self.body, self.headers, self.drop = status, body, headers or {}, drop


def binance_error(status: int, code: int, msg: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"code": code, "msg": msg}, headers)


class FakeVenue:
    """Income, account, fills and a script of failures, answered like Binance.

    `calls` records every request that reached a route as (python-binance method name, params),
    the signing parameters left out and integer parameters as ints. `drop_on_call = n` reads the
    n-th request and closes its connection without an answer (the venue crashed, the network
    went away). `error_reply` answers every request with that Binance error."""

    def __init__(
        self,
        *,
        now_ms: int,
        rows: list[dict] | None = None,
        account: dict | None = None,
        api_key: str | None = None,
    ) -> None:
        self.now_ms = now_ms
        self.rows = list(rows or [])
        self.account = account or account_payload()
        self.fills: list[dict] = []
        self.api_key = api_key  # None: any non-empty key
        self.calls: list[tuple[str, dict]] = []
        self.unexpected: list[str] = []
        self.drop_on_call: int | None = None
        self.error_reply: Reply | None = None
        self.used_weight = 0
        self._lock = threading.Lock()

    def answer(self, verb: str, path: str, query: dict[str, str], api_key: str | None) -> Reply:
        route = ROUTES.get(path) if verb == "GET" else None
        if route is None:
            self.unexpected.append(f"{verb} {path}")
            return binance_error(404, -5000, f"Path {path}, Method {verb} is invalid")
        name, signed, weight = route
        params = {
            k: int(v) if k in INT_PARAMS else v for k, v in query.items() if k not in SIGNING_PARAMS
        }
        with self._lock:
            self.calls.append((name, params))
            self.used_weight += weight
            if self.drop_on_call is not None and len(self.calls) == self.drop_on_call:
                return Reply(drop=True)
        if self.error_reply is not None:
            return self.error_reply
        if signed:
            if not api_key:
                return binance_error(401, -2014, "API-key format invalid.")
            if self.api_key is not None and api_key != self.api_key:
                return binance_error(401, -2015, "Invalid API-key, IP, or permissions for action.")
            for required in ("timestamp", "signature"):
                if required not in query:
                    return binance_error(
                        400,
                        -1102,
                        f"Mandatory parameter '{required}' was not sent, was empty/"
                        "null, or malformed.",
                    )
        body = getattr(self, "_" + name)(params)
        return Reply(200, body, {"X-MBX-USED-WEIGHT-1M": str(self.used_weight)})

    def _ping(self, params: dict) -> Any:
        return {}

    _futures_ping = _ping

    def _futures_time(self, params: dict) -> Any:
        return {"serverTime": self.now_ms}

    def _futures_account(self, params: dict) -> Any:
        return self.account

    def _futures_account_trades(self, params: dict) -> Any:
        # Binance: fromId or a time range (not both), oldest first, 500 by default, 1000 at most.
        fills = sorted((f for f in self.fills if f["symbol"] == params["symbol"]), key=_by_id)
        if "fromId" in params:
            fills = [f for f in fills if f["id"] >= params["fromId"]]
        else:
            fills = [f for f in fills if f["time"] >= params.get("startTime", 0)]
        return fills[: min(params.get("limit", 500), 1000)]

    def _futures_income_history(self, params: dict) -> Any:
        start, end = params["startTime"], params["endTime"]  # both inclusive
        limit, page = params.get("limit", 100), params.get("page", 1)
        rows = sorted(
            (r for r in self.rows if start <= r["time"] <= end),
            key=lambda r: (r["time"], r["tranId"]),
        )
        return rows[(page - 1) * limit : page * limit]


# --- the HTTP server -----------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as python-binance's session expects
    timeout = 30  # an idle kept-alive connection ends its thread eventually
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def _serve(self, verb: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        query.update(parse_qsl(body, keep_blank_values=True))
        venue = self.server.venue
        if venue is None:
            reply = binance_error(503, -1001, "fake venue: nothing installed")
        else:
            reply = venue.answer(verb, url.path, query, self.headers.get("X-MBX-APIKEY"))
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload = json.dumps(reply.body).encode()
        head = [
            f"{self.protocol_version} {reply.status} {HTTPStatus(reply.status).phrase}",
            "Content-Type: application/json",
            f"Content-Length: {len(payload)}",
            *(f"{k}: {v}" for k, v in reply.headers.items()),
        ]
        # One write: headers and body in separate small writes meet Nagle + delayed ACK (~40 ms).
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    venue: FakeVenue | None = None


class FakeBinance:
    """The server: start once, `install` a fresh FakeVenue per test."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._server = _Server((host, 0), _Handler)
        self.base_url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="fake-binance"
        )

    def start(self) -> FakeBinance:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def install(self, venue: FakeVenue | None) -> FakeVenue | None:
        self._server.venue = venue
        return venue

    def __enter__(self) -> FakeBinance:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
