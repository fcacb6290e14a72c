"""ccxt's binanceusdm pointed at a paper venue: the recipe of docs/paper-exchange.md ("Use it
with ccxt"). Only the URLs change; ccxt itself is unmodified."""

from __future__ import annotations

from typing import Any

import ccxt

from tests.support.paper_exchange import PaperExchange

BTC = "BTC/USDT:USDT"


def ccxt_urls(base_url: str) -> dict[str, str]:
    fapi = f"{base_url}/fapi"
    return {
        "fapiPublic": f"{fapi}/v1",
        "fapiPublicV2": f"{fapi}/v2",
        "fapiPublicV3": f"{fapi}/v3",
        "fapiPrivate": f"{fapi}/v1",
        "fapiPrivateV2": f"{fapi}/v2",
        "fapiPrivateV3": f"{fapi}/v3",
        "fapiData": f"{base_url}/futures/data",
        "public": f"{base_url}/api/v3",
        "private": f"{base_url}/api/v3",
        "v1": f"{base_url}/api/v1",
        "sapi": f"{base_url}/sapi/v1",
        "sapiV2": f"{base_url}/sapi/v2",
        "dapiPublic": f"{base_url}/dapi/v1",
    }


def ccxt_exchange(
    venue: PaperExchange,
    account: dict[str, Any] | None = None,
    cls: type = ccxt.binanceusdm,
    **options: Any,
) -> Any:
    config: dict[str, Any] = {"options": options} if options else {}
    if account:
        config |= {"apiKey": account["api_key"], "secret": account["api_secret"]}
    exchange = cls(config)
    exchange.urls["api"] = ccxt_urls(venue.base_url)
    return exchange
