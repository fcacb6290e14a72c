"""The one gateway that speaks Binance USD-M: typed calls in, typed reports out.

The desk's apps (pnl, market, trading) ask this gateway and take reports (apps/exchange/reports.py);
no other desk module names a python-binance method or a Binance field. Underneath, python-binance
is the transport (apps/exchange/client.py: error mapping, clock re-sync, rate-limit headers).

`Gateway` is the interface; `BinanceGateway` the implementation over HTTP. Account sessions are
built by the factory settings.EXCHANGE_GATEWAY names (`binance_session`). The trading-rule tests
point it at an in-process fake of the same Protocol (tests/support/fake_gateway.py); everything
that is about the venue (idempotency after timeouts, the event path, e2e on a worker) runs on
the paper venue through this class.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from redis.exceptions import RedisError

from apps.core import jsoncodec, keys
from apps.core.money import money_str
from apps.core.redis import get_redis
from apps.exchange import reports
from apps.exchange.client import (
    DEFAULT_TIMEOUT_SECONDS,
    CallStats,
    ExchangeClient,
    PublicClient,
)
from apps.exchange.errors import ORDER_NOT_FOUND, FatalExchangeError
from apps.exchange.models import ExchangeAccount
from apps.exchange.reports import (
    AccountReport,
    AlgoOrderReport,
    FillReport,
    FundingReport,
    IncomeReport,
    KlineReport,
    MarkReport,
    OrderReport,
    PositionReport,
    SymbolFilters,
    TickerReport,
)

FILTERS_TTL = 3600  # exchangeInfo changes rarely; an hour-old copy is fine


class Gateway(Protocol):
    """What the desk may ask a venue. Money and quantities are Decimal both ways."""

    account_id: int | None

    @property
    def stats(self) -> CallStats: ...

    def server_time(self) -> int: ...

    def account(self) -> AccountReport: ...

    def positions(self) -> list[PositionReport]: ...

    def orders_since(
        self, *, symbol: str, order_id: int | None = None, limit: int = 500
    ) -> list[OrderReport]: ...

    def order_find(self, *, symbol: str, client_order_id: str) -> OrderReport | None: ...

    def order_place(
        self,
        *,
        symbol: str,
        side: str,
        quantity: Decimal,
        client_order_id: str,
        reduce_only: bool = False,
    ) -> OrderReport: ...

    def algo_find(self, *, symbol: str, client_algo_id: str) -> AlgoOrderReport | None: ...

    def algo_place(
        self, *, symbol: str, side: str, trigger_price: Decimal, client_algo_id: str
    ) -> AlgoOrderReport: ...

    def algo_cancel(self, *, symbol: str, client_algo_id: str) -> None: ...

    def income_page(
        self, *, start_ms: int, end_ms: int, limit: int, page: int = 1
    ) -> list[IncomeReport]: ...

    def fills(
        self,
        *,
        symbol: str,
        order_id: int | None = None,
        start_ms: int | None = None,
        limit: int = 1000,
    ) -> list[FillReport]: ...

    def leverage_set(self, *, symbol: str, leverage: int) -> int: ...

    def filters(self, *, symbol: str) -> SymbolFilters: ...

    def klines(
        self, *, symbol: str, interval: str, start_ms: int, end_ms: int, limit: int
    ) -> list[KlineReport]: ...

    def mark(self, *, symbol: str) -> MarkReport: ...

    def funding_history(
        self, *, symbol: str, start_ms: int, end_ms: int, limit: int
    ) -> list[FundingReport]: ...

    def tickers(self) -> list[TickerReport]: ...

    def listen_key_create(self) -> str: ...

    def listen_key_keepalive(self, *, listen_key: str) -> None: ...

    def listen_key_close(self, *, listen_key: str) -> None: ...


# process memory for the filters, per account: they are read on every order
_filters_local: dict[int, dict[str, SymbolFilters]] = {}


class BinanceGateway:
    """Binance USD-M (or the paper venue, which speaks it) through python-binance."""

    def __init__(self, transport: ExchangeClient | PublicClient) -> None:
        self._t = transport
        self.account_id: int | None = transport.account.id if transport.account else None

    @property
    def stats(self) -> CallStats:
        return self._t.stats

    # --- account -------------------------------------------------------------------------------

    def server_time(self) -> int:
        return reports.server_time_parse(self._t.call("futures_time"))

    def account(self) -> AccountReport:
        return reports.account_parse(self._t.call("futures_account"))

    def positions(self) -> list[PositionReport]:
        return reports.position_risk_parse(self._t.call("futures_position_information"))

    def income_page(
        self, *, start_ms: int, end_ms: int, limit: int, page: int = 1
    ) -> list[IncomeReport]:
        params: dict[str, Any] = {"startTime": start_ms, "endTime": end_ms, "limit": limit}
        if page > 1:
            params["page"] = page  # Binance walks rows that share one millisecond by page
        return reports.income_page_parse(self._t.call("futures_income_history", **params))

    def fills(
        self,
        *,
        symbol: str,
        order_id: int | None = None,
        start_ms: int | None = None,
        from_id: int | None = None,
        limit: int = 1000,
    ) -> list[FillReport]:
        params: dict[str, Any] = {"symbol": symbol}
        if order_id is not None:
            params["orderId"] = order_id
        else:
            params["limit"] = limit
            # Binance refuses fromId with a time range: a page after the first goes by id.
            if from_id is not None:
                params["fromId"] = from_id
            elif start_ms is not None:
                params["startTime"] = start_ms
        return reports.fills_parse(self._t.call("futures_account_trades", **params))

    def leverage_set(self, *, symbol: str, leverage: int) -> int:
        return reports.leverage_parse(
            self._t.call("futures_change_leverage", symbol=symbol, leverage=leverage)
        )

    # --- orders --------------------------------------------------------------------------------

    def orders_since(
        self, *, symbol: str, order_id: int | None = None, limit: int = 500
    ) -> list[OrderReport]:
        """allOrders of the symbol from `order_id` on (inclusive), or the most recent `limit`."""
        params: dict[str, Any] = {"symbol": symbol, "limit": limit}
        if order_id is not None:
            params["orderId"] = order_id
        return reports.orders_parse(self._t.call("futures_get_all_orders", **params))

    def order_find(self, *, symbol: str, client_order_id: str) -> OrderReport | None:
        """The order by its client id; None when the venue says it does not exist (-2013): the
        question the executor asks after a timeout, before any resend."""
        doc = self._find(symbol=symbol, origClientOrderId=client_order_id)
        return None if doc is None else reports.order_parse(doc)

    def order_place(
        self,
        *,
        symbol: str,
        side: str,
        quantity: Decimal,
        client_order_id: str,
        reduce_only: bool = False,
    ) -> OrderReport:
        """A MARKET order, answered with its fills (newOrderRespType=RESULT)."""
        params: dict[str, Any] = {
            "symbol": symbol,
            "side": side,
            "type": "MARKET",
            "quantity": money_str(quantity),
            "newClientOrderId": client_order_id,
            "newOrderRespType": "RESULT",
        }
        if reduce_only:
            params["reduceOnly"] = "true"
        return reports.order_parse(self._t.call("futures_create_order", **params))

    def algo_find(self, *, symbol: str, client_algo_id: str) -> AlgoOrderReport | None:
        doc = self._find(symbol=symbol, clientAlgoId=client_algo_id)
        return None if doc is None else reports.algo_order_parse(doc)

    def algo_place(
        self, *, symbol: str, side: str, trigger_price: Decimal, client_algo_id: str
    ) -> AlgoOrderReport:
        """A STOP_MARKET closePosition triggered by the mark price (/fapi/v1/algoOrder)."""
        return reports.algo_order_parse(
            self._t.call(
                "futures_create_order",
                symbol=symbol,
                side=side,
                type="STOP_MARKET",
                triggerPrice=money_str(trigger_price),
                closePosition="true",
                workingType="MARK_PRICE",
                clientAlgoId=client_algo_id,
            )
        )

    def algo_cancel(self, *, symbol: str, client_algo_id: str) -> None:
        self._t.call("futures_cancel_order", symbol=symbol, clientAlgoId=client_algo_id)

    def _find(self, **params: Any) -> dict | None:
        try:
            return self._t.call("futures_get_order", **params)
        except FatalExchangeError as exc:
            if exc.code == ORDER_NOT_FOUND:
                return None
            raise

    # --- market data ---------------------------------------------------------------------------

    def exchange_filters(self) -> dict[str, SymbolFilters]:
        return reports.exchange_info_parse(self._t.call("futures_exchange_info"))

    def filters(self, *, symbol: str) -> SymbolFilters:
        """Tick and step sizes: process memory, then Redis, then GET /fapi/v1/exchangeInfo."""
        key_id = self.account_id or 0
        cached = _filters_local.get(key_id)
        if cached and symbol in cached:
            return cached[symbol]
        key = keys.trading_filters(key_id)
        parsed: dict[str, SymbolFilters] | None = None
        try:
            text = get_redis().get(key)
        except RedisError:
            text = None
        if text:
            parsed = {
                s: SymbolFilters(
                    symbol=s,
                    tick_size=Decimal(v["tick_size"]),
                    step_size=Decimal(v["step_size"]),
                    min_qty=Decimal(v["min_qty"]),
                    min_notional=Decimal(v["min_notional"]),
                )
                for s, v in jsoncodec.loads(text).items()
            }
        if parsed is None or symbol not in parsed:
            parsed = self.exchange_filters()
            blob = {
                s: {
                    "tick_size": money_str(f.tick_size),
                    "step_size": money_str(f.step_size),
                    "min_qty": money_str(f.min_qty),
                    "min_notional": money_str(f.min_notional),
                }
                for s, f in parsed.items()
            }
            try:
                get_redis().set(key, jsoncodec.dumps(blob), ex=FILTERS_TTL)
            except RedisError:
                pass  # a cache: the next call fetches again
        _filters_local[key_id] = parsed
        return parsed[symbol]

    def klines(
        self, *, symbol: str, interval: str, start_ms: int, end_ms: int, limit: int
    ) -> list[KlineReport]:
        raw = self._t.call(
            "futures_klines",
            symbol=symbol,
            interval=interval,
            startTime=start_ms,
            endTime=end_ms,
            limit=limit,
        )
        return reports.klines_parse(raw, symbol=symbol, interval=interval)

    def mark(self, *, symbol: str) -> MarkReport:
        """Mark and index price, the funding rate and the next funding time (premiumIndex)."""
        return reports.mark_parse(self._t.call("futures_mark_price", symbol=symbol))

    def funding_history(
        self, *, symbol: str, start_ms: int, end_ms: int, limit: int
    ) -> list[FundingReport]:
        """Settled funding rates with start_ms <= funding time <= end_ms, oldest first."""
        raw = self._t.call(
            "futures_funding_rate", symbol=symbol, startTime=start_ms, endTime=end_ms, limit=limit
        )
        return reports.funding_history_parse(raw)

    def tickers(self) -> list[TickerReport]:
        return reports.tickers_parse(self._t.call("futures_symbol_ticker"))

    # The user data stream's key (POST /fapi/v1/listenKey returns the live one, PUT extends it by
    # 60 min or fails -1125 once it lapsed, DELETE ends it): signed sessions only.
    def listen_key_create(self) -> str:
        return reports.listen_key_parse(self._t.call("futures_stream_get_listen_key"))

    def listen_key_keepalive(self, *, listen_key: str) -> None:
        self._t.call("futures_stream_keepalive", listenKey=listen_key)

    def listen_key_close(self, *, listen_key: str) -> None:
        self._t.call("futures_stream_close", listenKey=listen_key)


def binance_session(*, account: ExchangeAccount, timeout: float) -> BinanceGateway:
    """The account's signed session over HTTP: the default of settings.EXCHANGE_GATEWAY."""
    return BinanceGateway(ExchangeClient(account=account, timeout=timeout))


def gateway_for(*, account: ExchangeAccount, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Gateway:
    """A fresh signed session for the account (the PnL poll: its call stats are the run's),
    built by the factory settings.EXCHANGE_GATEWAY names (Django's swappable-backend idiom, as
    EMAIL_BACKEND): every account session of the desk is made here, so one setting decides
    what the desk talks to."""
    factory = import_string(settings.EXCHANGE_GATEWAY)
    return factory(account=account, timeout=timeout)


def public_gateway(*, base_url: str, timeout: float = 5) -> BinanceGateway:
    """Unsigned market data from any venue, with or without an account of ours."""
    return BinanceGateway(PublicClient(base_url=base_url, timeout=timeout))


_sessions: dict[tuple[int, object, float, str], Gateway] = {}


def session_gateway(*, account: ExchangeAccount) -> Gateway:
    """One session per account and process, reused: a new python-binance Client per order costs
    two Fernet decryptions and a fresh TCP connection (several ms on the order path). Keyed by
    the account's updated_at so rotated keys take effect, and by the factory, so a session is
    never reused across a change of EXCHANGE_GATEWAY. Celery's prefork pool runs one task per
    process at a time, which the transport (not thread-safe) needs."""
    timeout = settings.TRADING_ORDER_TIMEOUT_SECONDS
    key = (account.id, account.updated_at, timeout, settings.EXCHANGE_GATEWAY)
    gateway = _sessions.get(key)
    if gateway is None:
        for stale in [k for k in _sessions if k[0] == account.id]:
            del _sessions[stale]
        gateway = gateway_for(account=account, timeout=timeout)
        _sessions[key] = gateway
    return gateway
