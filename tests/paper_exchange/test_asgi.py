"""The ASGI front: replies on keep-alive connections never wait on Nagle + delayed ACK."""

from __future__ import annotations

import statistics
import time
from typing import Any

import requests

from tests.support.paper_exchange import PaperExchange


def test_keep_alive_posts_do_not_stall(venue: PaperExchange, account: dict[str, Any]) -> None:
    # A reply whose head and body leave in separate segments without TCP_NODELAY waits ~40 ms
    # for the client's delayed ACK on every keep-alive request after the first.
    session = requests.Session()
    headers = {"X-MBX-APIKEY": account["api_key"]}
    times = []
    for _ in range(40):
        t0 = time.perf_counter()
        reply = session.post(f"{venue.base_url}/fapi/v1/listenKey", headers=headers, timeout=5)
        times.append(time.perf_counter() - t0)
        assert reply.status_code == 200 and reply.json()["listenKey"]
    assert statistics.median(times) < 0.02, times


def test_unknown_method_and_path_answer_like_binance(venue: PaperExchange) -> None:
    reply = requests.get(f"{venue.base_url}/fapi/v1/nothing", timeout=5)
    assert reply.status_code == 404
    assert reply.json() == {"code": -5000, "msg": "Path /fapi/v1/nothing, Method GET is invalid"}
    assert reply.headers["X-MBX-USED-WEIGHT-1M"]
