"""Binance's USD-M REST subset, independent of the transport: the routing table, rate limits,
auth, the fault switch and the admin endpoints. `asgi.py` serves it (and the WebSocket streams)
under uvicorn; this module only turns a request's parts into a `Reply`.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from .auth import bad_key, check_timestamp, verify_signature
from .config import ExchangeConfig
from .engine import account_api, orders_api, public
from .engine import futures_api as fapi
from .engine.exchange import Engine
from .engine.models import Account
from .errors import TOO_MANY_REQUESTS, ApiError, missing
from .eventclock import EventClock
from .faults import Fault, FaultSwitch
from .market import FUNDING_INTERVAL_MS
from .params import Params
from .ratelimit import RateLimiter
from .symbols import SYMBOLS, get_spec

log = logging.getLogger(__name__)

Handler = Callable[["Venue", Account | None, Params, str], Any]


@dataclass(frozen=True)
class Route:
    handler: Handler
    auth: str  # "none", "key" (API key only) or "signed"
    # A number, or a function of the query's values (depth's weight grows with its limit).
    weight: int | Callable[[dict[str, str]], int] = 1
    order: bool = False  # counts against the order-rate limits


class Venue:
    """Engine plus the HTTP-facing services (limits, faults, admin)."""

    def __init__(self, config: ExchangeConfig, engine: Engine) -> None:
        self.config = config
        self.engine = engine
        self.limiter = RateLimiter(
            weight_1m=config.weight_limit_1m,
            orders_10s=config.order_limit_10s,
            orders_1m=config.order_limit_1m,
        )
        self.faults = FaultSwitch()
        self.events = EventClock()  # event sent / order received stamps (GET /paper/v1/events)
        token = config.admin_token or engine.store.meta_get("admin_token")
        if not token:
            token = secrets.token_hex(16)
            with engine.store.tx():
                engine.store.meta_set("admin_token", token)
        self.admin_token = token

    # --- market data -------------------------------------------------------------------------
    def exchange_info(self, *_: Any) -> dict[str, Any]:
        return {
            "timezone": "UTC",
            "serverTime": self.engine.clock.now_ms(),
            "futuresType": "U_MARGINED",
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": self.config.weight_limit_1m,
                },
                {
                    "rateLimitType": "ORDERS",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": self.config.order_limit_1m,
                },
                {
                    "rateLimitType": "ORDERS",
                    "interval": "SECOND",
                    "intervalNum": 10,
                    "limit": self.config.order_limit_10s,
                },
            ],
            "exchangeFilters": [],
            "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
            "symbols": [spec.exchange_info() for spec in SYMBOLS.values()],
        }

    def ticker_price(self, _: Account | None, p: Params, __: str) -> Any:
        now = self.engine.clock.now_ms()
        market = self.engine.market

        def one(symbol: str) -> dict[str, Any]:
            spec = SYMBOLS[symbol]
            return {
                "symbol": symbol,
                "price": spec.fmt_price(market.last(symbol, now)),
                "time": now,
            }

        symbol = p.str("symbol")
        return one(get_spec(symbol).symbol) if symbol else [one(s) for s in SYMBOLS]

    def premium_index(self, _: Account | None, p: Params, __: str) -> Any:
        now = self.engine.clock.now_ms()
        market = self.engine.market
        next_funding = (now // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS

        def one(symbol: str) -> dict[str, Any]:
            mark = market.mark(symbol, now)
            return {
                "symbol": symbol,
                "markPrice": f"{mark:.8f}",
                "indexPrice": f"{market.index(symbol, now):.8f}",
                "estimatedSettlePrice": f"{mark:.8f}",
                "lastFundingRate": f"{market.funding_rate(symbol, next_funding):.8f}",
                "interestRate": "0.00010000",
                "nextFundingTime": next_funding,
                "time": now,
            }

        symbol = p.str("symbol")
        return one(get_spec(symbol).symbol) if symbol else [one(s) for s in SYMBOLS]

    # --- paper-only endpoints ----------------------------------------------------------------
    def regime(self, _: Account | None, p: Params, __: str) -> Any:
        now = self.engine.clock.now_ms()
        market = self.engine.market

        def one(symbol: str) -> dict[str, Any]:
            return {"symbol": symbol, "regime": market.regime(symbol, now), "time": now}

        symbol = p.str("symbol")
        return one(get_spec(symbol).symbol) if symbol else [one(s) for s in SYMBOLS]

    def clock(self, *_: Any) -> dict[str, Any]:
        now = self.engine.clock.now_ms()
        return {
            "time": now,
            "speed": self.engine.clock.speed,
            "genesisTime": self.engine.market.genesis_ms,
            "nextFundingTime": (now // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS,
            "seed": self.engine.market.seed,
            "replay": bool(self.config.replay_dir),
        }


def _signed(method: Callable[..., Any]) -> Handler:
    return lambda venue, acc, p, verb: method(venue.engine, acc, p)


def _account(method: Callable[..., Any]) -> Handler:
    return lambda venue, acc, p, verb: method(venue.engine, acc)


def _public(function: Callable[[Engine, Params], Any]) -> Handler:
    return lambda venue, acc, p, verb: function(venue.engine, p)


def _private(function: Callable[[Engine, Account, Params], Any]) -> Handler:
    return lambda venue, acc, p, verb: function(venue.engine, acc, p)


def _all_symbols_weight(one: int, every: int) -> Callable[[dict[str, str]], int]:
    return lambda values: one if values.get("symbol") else every


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/api/v3/ping"): Route(lambda *a: {}, "none"),
    ("GET", "/api/v3/time"): Route(lambda v, *a: {"serverTime": v.engine.clock.now_ms()}, "none"),
    ("GET", "/fapi/v1/ping"): Route(lambda *a: {}, "none"),
    ("GET", "/fapi/v1/time"): Route(lambda v, *a: {"serverTime": v.engine.clock.now_ms()}, "none"),
    ("GET", "/fapi/v1/exchangeInfo"): Route(Venue.exchange_info, "none"),
    ("GET", "/fapi/v1/klines"): Route(_public(public.klines), "none", weight=5),
    ("GET", "/fapi/v1/markPriceKlines"): Route(_public(public.mark_klines), "none", weight=5),
    ("GET", "/fapi/v1/indexPriceKlines"): Route(_public(public.index_klines), "none", weight=5),
    ("GET", "/fapi/v1/premiumIndexKlines"): Route(_public(public.premium_klines), "none", weight=5),
    ("GET", "/fapi/v1/depth"): Route(_public(public.depth), "none", weight=public.depth_weight),
    ("GET", "/fapi/v1/ticker/24hr"): Route(
        _public(public.ticker_24hr), "none", weight=_all_symbols_weight(1, 40)
    ),
    ("GET", "/fapi/v1/ticker/bookTicker"): Route(
        _public(public.book_ticker), "none", weight=_all_symbols_weight(2, 5)
    ),
    ("GET", "/fapi/v1/fundingRate"): Route(_public(public.funding_rate_history), "none"),
    ("GET", "/fapi/v1/fundingInfo"): Route(_public(public.funding_info), "none"),
    ("GET", "/fapi/v1/openInterest"): Route(_public(public.open_interest), "none"),
    ("GET", "/fapi/v1/aggTrades"): Route(_public(public.agg_trades), "none", weight=20),
    ("GET", "/fapi/v1/trades"): Route(_public(public.trades), "none", weight=5),
    ("GET", "/api/v3/exchangeInfo"): Route(_public(public.empty_exchange_info), "none", weight=20),
    ("GET", "/dapi/v1/exchangeInfo"): Route(_public(public.empty_exchange_info), "none"),
    ("GET", "/sapi/v1/system/status"): Route(_public(public.system_status), "none"),
    # No margin trading on the venue: ccxt lists margin pairs while loading currencies.
    ("GET", "/sapi/v1/margin/allPairs"): Route(lambda *a: [], "key"),
    ("GET", "/sapi/v1/margin/isolated/allPairs"): Route(lambda *a: [], "key"),
    ("GET", "/sapi/v1/capital/config/getall"): Route(
        _private(lambda e, a, p: public.capital_config(e, p)), "signed", weight=10
    ),
    ("GET", "/fapi/v2/ticker/price"): Route(Venue.ticker_price, "none"),
    ("GET", "/fapi/v1/ticker/price"): Route(Venue.ticker_price, "none"),
    ("GET", "/fapi/v1/premiumIndex"): Route(Venue.premium_index, "none"),
    ("GET", "/fapi/v2/account"): Route(_account(account_api.account_v2), "signed", weight=5),
    ("GET", "/fapi/v3/account"): Route(_account(fapi.account_v3), "signed", weight=5),
    ("GET", "/fapi/v3/balance"): Route(_account(account_api.balance_v3), "signed", weight=5),
    ("GET", "/fapi/v2/balance"): Route(_account(account_api.balance_v3), "signed", weight=5),
    ("GET", "/fapi/v3/positionRisk"): Route(
        _signed(account_api.position_risk_v3), "signed", weight=5
    ),
    ("GET", "/fapi/v2/positionRisk"): Route(_private(fapi.position_risk_v2), "signed", weight=5),
    ("GET", "/fapi/v1/income"): Route(_signed(account_api.income), "signed", weight=30),
    ("GET", "/fapi/v1/leverageBracket"): Route(_private(fapi.leverage_bracket), "signed"),
    ("GET", "/fapi/v1/positionSide/dual"): Route(_private(fapi.position_mode), "signed", weight=30),
    ("POST", "/fapi/v1/positionSide/dual"): Route(_private(fapi.change_position_mode), "signed"),
    ("GET", "/fapi/v1/multiAssetsMargin"): Route(
        _private(fapi.multi_assets_mode), "signed", weight=30
    ),
    ("POST", "/fapi/v1/multiAssetsMargin"): Route(
        _private(fapi.change_multi_assets_mode), "signed"
    ),
    ("GET", "/fapi/v1/commissionRate"): Route(_private(fapi.commission_rate), "signed", weight=20),
    ("GET", "/fapi/v1/symbolConfig"): Route(_private(fapi.symbol_config), "signed", weight=5),
    ("GET", "/fapi/v1/accountConfig"): Route(_private(fapi.account_config), "signed", weight=5),
    ("GET", "/fapi/v1/openOrder"): Route(_private(fapi.open_order), "signed"),
    ("PUT", "/fapi/v1/order"): Route(_private(fapi.modify_order), "signed", order=True),
    ("POST", "/fapi/v1/batchOrders"): Route(
        _private(fapi.batch_orders), "signed", weight=5, order=True
    ),
    ("DELETE", "/fapi/v1/batchOrders"): Route(_private(fapi.cancel_batch), "signed"),
    ("PUT", "/fapi/v1/batchOrders"): Route(
        _private(fapi.modify_batch), "signed", weight=5, order=True
    ),
    ("POST", "/fapi/v1/order"): Route(_signed(orders_api.new_order), "signed", order=True),
    ("GET", "/fapi/v1/order"): Route(_signed(orders_api.get_order), "signed"),
    ("DELETE", "/fapi/v1/order"): Route(_signed(orders_api.cancel_order), "signed"),
    ("POST", "/fapi/v1/algoOrder"): Route(_signed(orders_api.new_algo), "signed", order=True),
    ("GET", "/fapi/v1/algoOrder"): Route(_signed(orders_api.get_algo), "signed"),
    ("DELETE", "/fapi/v1/algoOrder"): Route(_signed(orders_api.cancel_algo), "signed"),
    ("GET", "/fapi/v1/openAlgoOrders"): Route(_signed(orders_api.open_algos), "signed"),
    ("GET", "/fapi/v1/allAlgoOrders"): Route(_signed(orders_api.all_algos), "signed", weight=5),
    ("DELETE", "/fapi/v1/algoOpenOrders"): Route(_signed(orders_api.cancel_all_algos), "signed"),
    ("GET", "/fapi/v1/openOrders"): Route(_signed(orders_api.open_orders), "signed"),
    ("GET", "/fapi/v1/allOrders"): Route(_signed(orders_api.all_orders), "signed", weight=5),
    ("DELETE", "/fapi/v1/allOpenOrders"): Route(_signed(orders_api.cancel_all), "signed"),
    ("GET", "/fapi/v1/userTrades"): Route(_signed(orders_api.user_trades), "signed", weight=5),
    ("POST", "/fapi/v1/leverage"): Route(_signed(account_api.change_leverage), "signed"),
    ("POST", "/fapi/v1/marginType"): Route(_signed(account_api.change_margin_type), "signed"),
    ("POST", "/fapi/v1/positionMargin"): Route(_signed(account_api.position_margin), "signed"),
    ("POST", "/fapi/v1/listenKey"): Route(lambda v, a, p, m: v.engine.listen_key(a, m), "key"),
    ("PUT", "/fapi/v1/listenKey"): Route(lambda v, a, p, m: v.engine.listen_key(a, m), "key"),
    ("DELETE", "/fapi/v1/listenKey"): Route(lambda v, a, p, m: v.engine.listen_key(a, m), "key"),
    ("GET", "/paper/v1/regime"): Route(Venue.regime, "none"),
    ("GET", "/paper/v1/clock"): Route(Venue.clock, "none"),
}
# Read-only handlers that need no engine lock beyond the market's own.
LOCK_FREE = {"/api/v3/ping", "/api/v3/time", "/fapi/v1/ping", "/fapi/v1/time"}
# Reads of the price path only, too slow for the event loop and needing no engine lock: the
# first all-symbol 24 h ticker after a start computes a day of 1m bars for every listed symbol
# (seconds for 20), which under the engine lock would hold every order and poll that long.
MARKET_ONLY = {"/fapi/v1/ticker/24hr"}


class Reply:
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}

    def payload(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode()


PUBLIC_PAPER = ("/paper/v1/regime", "/paper/v1/clock")


def is_admin(path: str) -> bool:
    return path.startswith("/paper/v1/") and path not in PUBLIC_PAPER


@dataclass
class Admission:
    """What the front door decided before any engine work: a reply now, or a route to run."""

    route: Route | None
    headers: dict[str, str]
    reply: Reply | None = None
    fault: Fault | None = None


def admit(venue: Venue, method: str, path: str, query: str, ip: str) -> Admission:
    """Route look-up, IP weight and the fault switch: cheap, no engine lock."""
    route = ROUTES.get((method, path))
    if route is None:
        usage = venue.limiter.weight(ip, 1)
        return Admission(
            None,
            {},
            Reply(
                404,
                {"code": -5000, "msg": f"Path {path}, Method {method} is invalid"},
                {"X-MBX-USED-WEIGHT-1M": str(usage.used)},
            ),
        )
    weight = route.weight if isinstance(route.weight, int) else route.weight(dict(parse_qsl(query)))
    usage = venue.limiter.weight(ip, weight)
    headers = {"X-MBX-USED-WEIGHT-1M": str(usage.used)}
    if usage.exceeded:
        headers["Retry-After"] = str(usage.retry_after)
        return Admission(
            route,
            headers,
            Reply(429, {"code": -1003, "msg": TOO_MANY_REQUESTS % (ip, usage.limit)}, headers),
        )
    return Admission(route, headers, fault=venue.faults.take(method, path))


def dispatch(
    venue: Venue,
    method: str,
    path: str,
    route: Route,
    query: str,
    body: str,
    api_key: str | None,
    headers: dict[str, str],
) -> Reply:
    """Auth, order limits and the handler under the engine lock (blocking: run off the loop)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if body and method != "GET":
        pairs += parse_qsl(body, keep_blank_values=True)
    params = Params(pairs)
    try:
        account = None
        if route.auth != "none":
            if not api_key:
                raise ApiError(-2014, "API-key format invalid.", status=401)
            account = venue.engine.account_for_key(api_key)
            if account is None:
                raise bad_key()
        if route.auth == "signed":
            assert account is not None
            check_timestamp(params.str("timestamp"), params.str("recvWindow"))
            verify_signature(account, pairs, [query, body if method != "GET" else ""])
        if route.order:
            assert account is not None
            ten, minute = venue.limiter.order(account.id)
            headers["X-MBX-ORDER-COUNT-10S"] = str(ten.used)
            headers["X-MBX-ORDER-COUNT-1M"] = str(minute.used)
            for usage, span in ((ten, "10 SECOND"), (minute, "MINUTE")):
                if usage.exceeded:
                    headers["Retry-After"] = str(usage.retry_after)
                    return Reply(
                        429,
                        {
                            "code": -1015,
                            "msg": f"Too many new orders; current "
                            f"limit is {usage.limit} orders "
                            f"per {span}.",
                        },
                        headers,
                    )
        if path in LOCK_FREE or path in MARKET_ONLY:
            result = route.handler(venue, account, params, method)
        else:
            with venue.engine.lock:
                if route.order:
                    # Catch the clock up first: funding due before this order must not charge
                    # the position it opens, whatever the clock loop's lag under load.
                    venue.engine.tick()
                result = route.handler(venue, account, params, method)
        return Reply(200, result, headers)
    except ApiError as exc:
        return Reply(exc.status, exc.body(), headers)
    except Exception:  # a bug must still answer like Binance's internal error
        log.exception("unhandled error on %s %s", method, path)
        return Reply(
            500,
            {"code": -1000, "msg": "An unknown error occured while processing the request."},
            headers,
        )


TIMEOUT_BODY = {
    "code": -1007,
    "msg": "Timeout waiting for response from backend server. Send "
    "status unknown; execution status unknown.",
}


def fault_reply(fault: Fault, headers: dict[str, str]) -> Reply | None:
    """The reply a fault gives (after its delay, for a timeout); None: drop the connection."""
    if fault.kind == "timeout":
        return Reply(503, TIMEOUT_BODY, headers)
    if fault.kind == "drop":
        return None
    return Reply(
        fault.status,
        {"code": -1001, "msg": "Internal error; unable to process your request. Please try again."},
        headers,
    )


EVENTS_PATH = "/paper/v1/events"


def events(venue: Venue, query: str, token: str) -> Reply:
    """GET /paper/v1/events?symbol=&since=: the venue's stamps of events sent and orders
    received for a symbol (apps/paper_exchange/eventclock.py). Answered on the event loop, the
    thread that records them, so it never waits for the engine."""
    if not secrets.compare_digest(token, venue.admin_token):
        return Reply(401, {"code": -2015, "msg": "Invalid admin token."})
    params = dict(parse_qsl(query))
    symbol = params.get("symbol", "")
    if not symbol:
        return Reply(400, missing("symbol").body())
    try:
        since = float(params.get("since", "0"))
    except ValueError:
        return Reply(400, {"code": -1102, "msg": "since must be a number of milliseconds."})
    return Reply(200, venue.events.doc(symbol, since))


def admin(venue: Venue, method: str, path: str, body: str, token: str) -> Reply:
    if not secrets.compare_digest(token, venue.admin_token):
        return Reply(401, {"code": -2015, "msg": "Invalid admin token."})
    try:
        doc = json.loads(body) if body.strip().startswith("{") else dict(parse_qsl(body))
    except ValueError:
        return Reply(400, {"code": -1102, "msg": "Malformed JSON body."})
    try:
        if path == "/paper/v1/faults":
            if method == "POST":
                venue.faults.set(doc)
            elif method == "DELETE":
                venue.faults.clear()
            return Reply(200, {"fault": venue.faults.status()})
        if path == "/paper/v1/price" and method == "POST":
            price = Decimal(str(doc.get("price")))
            mark = Decimal(str(doc["markPrice"])) if doc.get("markPrice") else None
            with venue.engine.lock:
                return Reply(200, venue.engine.set_price(str(doc.get("symbol")), price, mark))
        if path == "/paper/v1/tick" and method == "POST":
            venue.engine.tick()
            return Reply(200, {"time": venue.engine.clock.now_ms()})
    except ApiError as exc:
        return Reply(exc.status, exc.body())
    except (ValueError, InvalidOperation) as exc:
        return Reply(400, {"code": -1102, "msg": str(exc) or missing("price").msg})
    return Reply(404, {"code": -5000, "msg": f"Path {path}, Method {method} is invalid"})


class Ticker(threading.Thread):
    """Advances the market: resting limits, conditional triggers, funding and liquidation."""

    def __init__(
        self, engine: Engine, interval: float, after: Callable[[], None] | None = None
    ) -> None:
        super().__init__(name="paper-exchange-ticker", daemon=True)
        self.engine = engine
        self.interval = interval
        self.after = after  # the streams' wake-up: a tick may have moved marks and filled orders
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.engine.tick()
            except Exception:
                log.exception("tick failed")
            if self.after is not None:
                self.after()
