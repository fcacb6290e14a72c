"""Binance's official USD-M SDK (binance-sdk-derivatives-trading-usds-futures), unmodified but
for its base path, against the venue over HTTP: every response it parses into its models, and
every user data stream event, validates against those models with their strict types.

The SDK does not raise on a reply that misses its model: it logs a warning and parses it with
the strict types removed, or returns the raw payload. So each call here fails on that warning,
and on a reply that did not become a model."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from binance_common.configuration import ConfigurationRestAPI
from binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures import (
    DerivativesTradingUsdsFutures,
)
from binance_sdk_derivatives_trading_usds_futures.rest_api.models import (
    ModifyMultipleOrdersBatchOrdersParameterInner,
    PlaceMultipleOrdersBatchOrdersParameterInner,
)
from binance_sdk_derivatives_trading_usds_futures.rest_api.models import enums as e
from binance_sdk_derivatives_trading_usds_futures.websocket_streams.models import (
    AccountUpdate,
    AggregateTradeStreamsResponse,
    AlgoUpdate,
    IndividualSymbolBookTickerStreamsResponse,
    KlineCandlestickStreamsResponse,
    MarkPriceStreamForAllMarketResponseInner,
    MarkPriceStreamResponse,
    OrderTradeUpdate,
)
from pydantic import BaseModel
from websockets.sync.client import connect

from tests.paper_exchange.test_streams_user import events
from tests.support.paper_exchange import LISTED_SYMBOLS, PaperExchange

SDK_WARNINGS = ("did not match the declared types", "Failed to parse")
STREAM_MODELS = {
    "ORDER_TRADE_UPDATE": OrderTradeUpdate,
    "ACCOUNT_UPDATE": AccountUpdate,
    "ALGO_UPDATE": AlgoUpdate,
}


@pytest.fixture
def api(venue: PaperExchange, account: dict[str, Any]) -> Any:
    # 10 s, not the SDK's 1 s: the first all-symbol 24 h ticker after a start computes a day of
    # bars for 20 symbols, seconds on a loaded machine (Binance serves it precomputed).
    config = ConfigurationRestAPI(
        api_key=account["api_key"],
        api_secret=account["api_secret"],
        base_path=venue.base_url,
        timeout=10_000,
    )
    return DerivativesTradingUsdsFutures(config_rest_api=config).rest_api


@pytest.fixture
def parsed(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[Any], Any]]:
    """The SDK's model of a reply; fails when the SDK could not parse it strictly."""
    caplog.set_level(logging.WARNING)

    def check(response: Any) -> Any:
        # The SDK parses (and warns) while answering the call, before `data()`.
        data = response.data()
        complaints = [
            r.getMessage() for r in caplog.records if any(w in r.getMessage() for w in SDK_WARNINGS)
        ]
        caplog.clear()
        assert complaints == [], complaints
        items = data if isinstance(data, list) else [data]
        assert all(isinstance(item, BaseModel) for item in items), data
        return data

    yield check


def _price(api: Any, parsed: Callable[[Any], Any], symbol: str = "BTCUSDT") -> Decimal:
    return Decimal(parsed(api.symbol_price_ticker(symbol=symbol)).actual_instance.price)


def _market(api: Any, symbol: str, side: e.NewOrderSideEnum, qty: float, **extra: Any) -> Any:
    return api.new_order(
        symbol=symbol, side=side, type=e.NewOrderTypeEnum.MARKET, quantity=qty, **extra
    )


def test_market_data_replies_are_the_sdks_models(api: Any, parsed: Callable[[Any], Any]) -> None:
    info = parsed(api.exchange_information())
    assert {s.symbol for s in info.symbols} >= {"BTCUSDT", "ETHUSDT"}
    parsed(api.check_server_time())
    book = parsed(api.order_book(symbol="BTCUSDT", limit=5))
    assert len(book.bids) == len(book.asks) == 5
    assert len(parsed(api.recent_trades_list(symbol="BTCUSDT", limit=3))) == 3
    assert len(parsed(api.compressed_aggregate_trades_list(symbol="BTCUSDT", limit=3))) == 3
    parsed(api.mark_price(symbol="BTCUSDT"))
    parsed(api.mark_price())
    parsed(api.get_funding_rate_history(symbol="BTCUSDT", limit=2))
    parsed(api.get_funding_rate_info())
    parsed(api.ticker24hr_price_change_statistics(symbol="BTCUSDT"))
    parsed(api.ticker24hr_price_change_statistics())
    parsed(api.symbol_price_ticker())
    parsed(api.symbol_price_ticker_v2(symbol="BTCUSDT"))
    parsed(api.symbol_order_book_ticker(symbol="BTCUSDT"))
    parsed(api.symbol_order_book_ticker())
    parsed(api.open_interest(symbol="BTCUSDT"))


def test_account_and_settings_replies_are_the_sdks_models(
    api: Any, parsed: Callable[[Any], Any]
) -> None:
    parsed(api.notional_and_leverage_brackets(symbol="BTCUSDT"))
    parsed(api.notional_and_leverage_brackets())
    assert parsed(api.get_current_position_mode()).dual_side_position is False
    assert parsed(api.get_current_multi_assets_mode()).multi_assets_margin is False
    parsed(api.user_commission_rate(symbol="BTCUSDT"))
    (config,) = parsed(api.symbol_configuration(symbol="BTCUSDT"))
    assert config.is_auto_add_margin is False
    parsed(api.futures_account_configuration())
    assert parsed(api.change_initial_leverage(symbol="BTCUSDT", leverage=10)).leverage == 10
    parsed(
        api.change_margin_type(
            symbol="ETHUSDT", margin_type=e.ChangeMarginTypeMarginTypeEnum.ISOLATED
        )
    )
    parsed(_market(api, "ETHUSDT", e.NewOrderSideEnum.BUY, 0.1))
    parsed(_market(api, "BTCUSDT", e.NewOrderSideEnum.SELL, 0.01))
    parsed(api.modify_isolated_position_margin(symbol="ETHUSDT", amount=10, type=1))
    for account in (api.account_information_v2(), api.account_information_v3()):
        assert parsed(account).positions
    parsed(api.futures_account_balance_v2())
    parsed(api.futures_account_balance_v3())
    assert len(parsed(api.position_information_v2())) == len(LISTED_SYMBOLS)  # v2: every one
    assert {p.symbol for p in parsed(api.position_information_v3())} == {"BTCUSDT", "ETHUSDT"}
    assert parsed(api.account_trade_list(symbol="BTCUSDT"))
    assert parsed(api.get_income_history())


def test_order_replies_and_stream_events_are_the_sdks_models(
    venue: PaperExchange, api: Any, parsed: Callable[[Any], Any]
) -> None:
    key = parsed(api.start_user_data_stream()).listen_key
    below = float(_price(api, parsed) * Decimal("0.9"))
    with connect(f"ws://127.0.0.1:{venue.port}/private/ws/{key}") as ws:
        parsed(
            _market(
                api,
                "BTCUSDT",
                e.NewOrderSideEnum.BUY,
                0.01,
                new_order_resp_type=e.NewOrderNewOrderRespTypeEnum.RESULT,
            )
        )
        limit = parsed(
            api.new_order(
                symbol="BTCUSDT",
                side=e.NewOrderSideEnum.BUY,
                type=e.NewOrderTypeEnum.LIMIT,
                time_in_force=e.NewOrderTimeInForceEnum.GTC,
                quantity=0.01,
                price=round(below, 1),
            )
        )
        order_id = limit.order_id
        parsed(api.query_order(symbol="BTCUSDT", order_id=order_id))
        parsed(api.query_current_open_order(symbol="BTCUSDT", order_id=order_id))
        parsed(
            api.modify_order(
                symbol="BTCUSDT",
                side=e.ModifyOrderSideEnum.BUY,
                quantity=0.02,
                price=round(below, 1),
                order_id=order_id,
            )
        )
        assert len(parsed(api.current_all_open_orders(symbol="BTCUSDT"))) == 1
        parsed(api.cancel_order(symbol="BTCUSDT", order_id=order_id))
        parsed(api.all_orders(symbol="BTCUSDT"))
        algo = parsed(
            api.new_algo_order(
                algo_type=e.NewAlgoOrderAlgoTypeEnum.CONDITIONAL,
                symbol="BTCUSDT",
                side=e.NewAlgoOrderSideEnum.SELL,
                type=e.NewAlgoOrderTypeEnum.STOP_MARKET,
                quantity=0.01,
                trigger_price=round(below, 1),
            )
        )
        parsed(api.query_algo_order(algo_id=algo.algo_id))
        assert len(parsed(api.current_all_algo_open_orders(symbol="BTCUSDT"))) == 1
        parsed(api.query_all_algo_orders(symbol="BTCUSDT"))
        parsed(api.cancel_algo_order(algo_id=algo.algo_id))
        batch = parsed(
            api.place_multiple_orders(
                batch_orders=[
                    PlaceMultipleOrdersBatchOrdersParameterInner(
                        symbol="BTCUSDT",
                        side="BUY",
                        type="LIMIT",
                        timeInForce="GTC",
                        quantity=0.01,
                        price=round(below * (1 - i / 100), 1),
                    )
                    for i in range(2)
                ]
            )
        )
        ids = [o.order_id for o in batch]
        parsed(
            api.modify_multiple_orders(
                batch_orders=[
                    ModifyMultipleOrdersBatchOrdersParameterInner(
                        symbol="BTCUSDT",
                        side="BUY",
                        orderId=ids[0],
                        quantity=0.02,
                        price=round(below, 1),
                    )
                ]
            )
        )
        parsed(api.cancel_multiple_orders(symbol="BTCUSDT", order_id_list=ids))
        parsed(api.cancel_all_open_orders(symbol="BTCUSDT"))
        parsed(api.cancel_all_algo_open_orders(symbol="BTCUSDT"))
        seen = events(
            ws,
            lambda s: (
                {"ALGO_UPDATE", "ACCOUNT_UPDATE"} <= {x["e"] for x in s}
                and sum(x["e"] == "ORDER_TRADE_UPDATE" for x in s) >= 8
            ),
        )
    parsed(api.keepalive_user_data_stream())
    for event in seen:
        model = STREAM_MODELS[event["e"]]
        assert isinstance(model.model_validate(event), model), event
    assert json.dumps(seen)


MARKET_STREAMS = {
    "btcusdt@markPrice@1s": MarkPriceStreamResponse,
    "btcusdt@kline_1m": KlineCandlestickStreamsResponse,
    "btcusdt@aggTrade": AggregateTradeStreamsResponse,
    "btcusdt@bookTicker": IndividualSymbolBookTickerStreamsResponse,
    "!markPrice@arr@1s": MarkPriceStreamForAllMarketResponseInner,
}


def test_market_stream_events_are_the_sdks_models(
    venue: PaperExchange, api: Any, parsed: Callable[[Any], Any]
) -> None:
    names = "/".join(MARKET_STREAMS)
    with connect(f"ws://127.0.0.1:{venue.port}/stream?streams={names}") as ws:
        # A taker moves the top of the book at once: a bookTicker event without waiting.
        parsed(_market(api, "BTCUSDT", e.NewOrderSideEnum.BUY, 0.01))
        seen = events(ws, lambda s: {x["stream"] for x in s} == set(MARKET_STREAMS), 15)
    for message in seen:
        model = MARKET_STREAMS[message["stream"]]
        data = message["data"]
        for item in data if isinstance(data, list) else [data]:
            assert isinstance(model.model_validate(item), model), item
