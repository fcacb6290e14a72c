"""Funding and basis reach the features of a running desk: the stack as `make up` runs it (the
desk's paper venue and the reference venue over HTTP, Redis, a real Celery worker on the market
and research queues) polls the market, checks the basis and trains a model; the feature matrix
then carries, on every bar the desk fetched rather than observed, the funding rate the venue
settled and the basis against the reference venue, equal to what the venues' own records say."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
import requests
from celery import current_app

from apps.market.models import BasisObservation, FundingRate
from apps.models import features as F
from apps.models import selectors, services
from apps.models.models import TrainingRun
from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange
from tests.support.processes import wait_for

SYMBOL = "BTCUSDT"
BARS = 1500  # 25 h: three or four funding times


@pytest.fixture
def venues(tmp_path):
    """The desk's venue and the reference venue, as `make up` runs them (seeds 42 and 43)."""
    started = []
    for name, seed in (("venue", "42"), ("reference", "43")):
        venue = PaperExchange(tmp_path / name, extra_args=[*NO_RATE_LIMITS, "--seed", seed])
        started.append(venue.start())
    yield started
    for venue in started:
        venue.stop()


def _get(venue: PaperExchange, path: str, **params) -> list:
    response = requests.get(f"{venue.base_url}{path}", params=params, timeout=10)
    response.raise_for_status()
    return response.json()


def _closes(venue: PaperExchange, start_ms: int, end_ms: int) -> dict[int, Decimal]:
    rows: dict[int, Decimal] = {}
    while start_ms <= end_ms:
        page = _get(
            venue,
            "/fapi/v1/klines",
            symbol=SYMBOL,
            interval="1m",
            startTime=start_ms,
            endTime=end_ms,
            limit=1500,
        )
        rows.update({r[0]: Decimal(r[4]) for r in page})
        if len(page) < 1500:
            break
        start_ms = page[-1][0] + 60_000
    return rows


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_funding_and_basis_of_a_running_desk_reach_the_features(
    venues, start_worker, settings, tmp_path
):
    venue, reference = venues
    settings.TRADING_SYMBOLS = [SYMBOL]
    start_worker(
        queues="market,research",
        env={
            "TRADING_SYMBOLS": SYMBOL,
            "EXCHANGE_BASE_URL": venue.base_url,
            "REFERENCE_EXCHANGE_BASE_URL": reference.base_url,
            "INTEL_TRAIN_BARS": str(BARS),
            "INTEL_MODEL_DIR": str(tmp_path / "models"),
        },
    )
    # What beat sends: the market poll and the cross-exchange check, then the desk's observations.
    current_app.send_task("quantum.market.publish")
    current_app.send_task("quantum.market.cross_exchange")
    wait_for(
        lambda: FundingRate.objects.exists() and BasisObservation.objects.exists(),
        timeout=60,
        what="the desk's first market poll and basis check",
    )
    checked_from = BasisObservation.objects.get().time_ms  # the desk's first basis check
    # A training run: its worker fills the history the desk did not observe (25 h of it).
    run = services.training_run_create(kind="logreg")
    wait_for(
        lambda: (
            TrainingRun.objects.get(id=run.id).status
            in (TrainingRun.Status.OK, TrainingRun.Status.ERROR)
        ),
        timeout=120,
        what="the training run",
    )
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.OK, run.error

    klines = selectors.klines_until(symbol=SYMBOL, interval="1m", count=BARS)
    assert len(klines) == BARS
    x = F.matrix(F.arrays(klines, **selectors.market_inputs(symbol=SYMBOL, klines=klines)))
    fcol, bcol = F.FEATURE_NAMES.index("funding_bps"), F.FEATURE_NAMES.index("basis_bps")

    # The venues' own records, over HTTP, beside the desk's.
    first, last = klines[0].open_time_ms, klines[-1].open_time_ms
    settled = _get(
        venue,
        "/fapi/v1/fundingRate",
        symbol=SYMBOL,
        startTime=first - 8 * 3_600_000,
        endTime=last,
        limit=1000,
    )
    times = np.asarray([r["fundingTime"] for r in settled])
    here, there = _closes(venue, first, last), _closes(reference, first, last)
    compared = 0
    for k, kline in enumerate(klines[F.LOOKBACK :]):
        # Every bar, those the desk polled included: the rate last settled at its close.
        in_force = settled[int(np.searchsorted(times, kline.close_time_ms, side="right")) - 1]
        expected_funding = float(Decimal(in_force["fundingRate"]) * 10_000)
        assert x[k, fcol] == pytest.approx(expected_funding, abs=1e-9), kline.open_time_ms
        if kline.close_time_ms >= checked_from:
            continue  # from here on the desk's own checks (last prices) are in force
        price, ref = here[kline.open_time_ms], there[kline.open_time_ms]
        expected_basis = float(((price - ref) / ref * 10_000).quantize(Decimal("0.0001")))
        assert x[k, bcol] == pytest.approx(expected_basis, abs=1e-9), kline.open_time_ms
        compared += 1
    assert compared > BARS - F.LOOKBACK - 10
    assert np.count_nonzero(x[:, fcol]) == len(x)
    assert np.count_nonzero(x[:compared, bcol]) > 0.95 * compared
    # Settlements change the rate in force: more than one funding time is in the window.
    assert len(np.unique(x[:, fcol])) >= 3
    # Bars closed after the desk's own check carry it (its last prices, not a bar's close).
    check = BasisObservation.objects.filter(time_ms=checked_from).get()
    after = [k for k, kl in enumerate(klines[F.LOOKBACK :]) if kl.close_time_ms >= checked_from]
    assert all(x[k, bcol] == pytest.approx(float(check.basis_bps)) for k in after)
