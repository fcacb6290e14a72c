"""Market data from the paper venue: klines stored once with gaps backfilled, streams keyed by
open time (no duplicate after a retry, rebuilt after a Redis restart), marks and funding, and the
cross-exchange basis with its alarm."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.core import jsoncodec, keys
from apps.exchange.gateway import public_gateway
from apps.market.models import CrossExchangeAlarm, Kline
from apps.market.services import cross_exchange_check, kline_gaps, market_publish_symbol
from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture(scope="module")
def venues(tmp_path_factory):
    main = PaperExchange(tmp_path_factory.mktemp("main"), extra_args=[*NO_RATE_LIMITS])
    ref = PaperExchange(
        tmp_path_factory.mktemp("ref"), extra_args=[*NO_RATE_LIMITS, "--seed", "43"]
    )
    main.start()
    ref.start()
    yield main, ref
    main.stop()
    ref.stop()


def test_it_stores_klines_once_and_backfills_a_gap(venues, redis_client, settings):
    settings.MARKET_KLINE_HISTORY = 60
    venue = public_gateway(base_url=venues[0].base_url)
    first = market_publish_symbol(venue=venue, symbol="BTCUSDT")
    stored = Kline.objects.filter(symbol="BTCUSDT", interval="1m")
    assert first["klines"] >= 59 and stored.count() == first["klines"]
    times = list(stored.order_by("open_time_ms").values_list("open_time_ms", flat=True))
    # Knock a hole in the middle: it is found and filled from the venue on the next publish.
    hole = times[10:15]
    Kline.objects.filter(symbol="BTCUSDT", open_time_ms__in=hole).delete()
    assert kline_gaps(symbol="BTCUSDT", interval="1m", start_ms=times[0], end_ms=times[-1]) == [
        (hole[0], hole[-1])
    ]
    market_publish_symbol(venue=venue, symbol="BTCUSDT")
    assert set(hole) <= set(stored.values_list("open_time_ms", flat=True))
    assert kline_gaps(symbol="BTCUSDT", interval="1m", start_ms=times[0], end_ms=times[-1]) == []
    # The stream: one entry per stored kline, ids are the open times, never twice.
    entries = redis_client.xrange(keys.stream_kline("BTCUSDT"))
    ids = [int(e[0].split("-")[0]) for e in entries]
    assert ids == sorted(set(ids)) and set(times) <= set(ids)
    mark = jsoncodec.loads(redis_client.hget(keys.MARKET_MARKS, "BTCUSDT"))
    assert Decimal(mark["mark_price"]) > 0 and "funding_rate" in mark
    assert redis_client.xlen(keys.STREAM_MARK) == 2


def test_it_rebuilds_the_kline_stream_after_redis_lost_it(venues, redis_client, redis_server):
    venue = public_gateway(base_url=venues[0].base_url)
    market_publish_symbol(venue=venue, symbol="ETHUSDT")
    count = Kline.objects.filter(symbol="ETHUSDT").count()
    redis_server.restart()
    market_publish_symbol(venue=venue, symbol="ETHUSDT")
    assert redis_client.xlen(keys.stream_kline("ETHUSDT")) >= count


def test_it_raises_one_alarm_per_crossing_of_the_divergence_threshold(venues, redis_client):
    main, ref = (public_gateway(base_url=v.base_url) for v in venues)
    venues[0].set_price("BTCUSDT", "40000.0")
    venues[1].set_price("BTCUSDT", "40000.0")
    calm = cross_exchange_check(
        venue=main, reference=ref, symbols=["BTCUSDT"], threshold_bps=Decimal("50")
    )
    # The generated paths keep moving after set_price: a few ticks either way.
    assert abs(calm[0]["basis"]) < 20 and calm[0]["alarm"] is False
    venues[0].set_price("BTCUSDT", "40400.0")  # +100 bps
    for _ in range(3):
        hot = cross_exchange_check(
            venue=main, reference=ref, symbols=["BTCUSDT"], threshold_bps=Decimal("50")
        )
    assert hot[0]["alarm"] is True and abs(hot[0]["basis"] - 400) < 20
    assert CrossExchangeAlarm.objects.count() == 1  # a crossing, not every check
    alarm = jsoncodec.loads(redis_client.get(keys.market_alarm("BTCUSDT")))
    assert abs(Decimal(alarm["divergence_bps"]) - 100) < 5
    venues[0].set_price("BTCUSDT", "40000.0")
    cross_exchange_check(
        venue=main, reference=ref, symbols=["BTCUSDT"], threshold_bps=Decimal("50")
    )
    assert not redis_client.exists(keys.market_alarm("BTCUSDT"))
