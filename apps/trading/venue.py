"""The trading account's exchange session and the symbol filters, cached."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from redis.exceptions import RedisError

from apps.core import jsoncodec, keys
from apps.core.money import money_str
from apps.core.redis import get_redis
from apps.exchange.client import ExchangeClient, client_for
from apps.exchange.errors import ORDER_NOT_FOUND, FatalExchangeError
from apps.exchange.filters import SymbolFilters, symbol_filters_parse
from apps.exchange.models import ExchangeAccount

FILTERS_TTL = 3600  # exchangeInfo changes rarely; an hour-old copy is fine

_local: dict[int, dict[str, SymbolFilters]] = {}
_clients: dict[tuple[int, object, int], ExchangeClient] = {}


def trading_client(*, account: ExchangeAccount) -> ExchangeClient:
    """One session per account and process, reused: a new python-binance Client per order costs
    two Fernet decryptions and a fresh TCP connection (several ms on the order path). Keyed by
    the account's updated_at so rotated keys take effect. Celery's prefork pool runs one task per
    process at a time, which the adapter (not thread-safe) needs."""
    key = (account.id, account.updated_at, settings.TRADING_ORDER_TIMEOUT_SECONDS)
    client = _clients.get(key)
    if client is None:
        for stale in [k for k in _clients if k[0] == account.id]:
            del _clients[stale]
        client = client_for(account=account, timeout=settings.TRADING_ORDER_TIMEOUT_SECONDS)
        _clients[key] = client
    return client


def filters_get(*, client: ExchangeClient, symbol: str) -> SymbolFilters:
    """Tick and step sizes: process memory, then Redis, then GET /fapi/v1/exchangeInfo."""
    account_id = client.account.id
    cached = _local.get(account_id)
    if cached and symbol in cached:
        return cached[symbol]
    key = keys.trading_filters(account_id)
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
        parsed = symbol_filters_parse(exchange_info=client.call("futures_exchange_info"))
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
    _local[account_id] = parsed
    return parsed[symbol]


def order_find(client: ExchangeClient, *, symbol: str, **order_id: str) -> dict | None:
    """GET the order (or, with `clientAlgoId`, the algo order) by its id; None when the venue
    says it does not exist (-2013): the question asked after a timeout, before any resend."""
    try:
        return client.call("futures_get_order", symbol=symbol, **order_id)
    except FatalExchangeError as exc:
        if exc.code == ORDER_NOT_FOUND:
            return None
        raise
