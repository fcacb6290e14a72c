"""Funding and basis are model inputs: the market app's stored funding rates and cross-exchange
basis checks are joined to each kline's close (last known value, never a later one), a model
trains with them, and the ensemble reads them live."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from apps.core.timeutil import from_ms
from apps.market.models import BasisObservation, FundingRate, Kline
from apps.models import features as F
from apps.models import selectors, services
from apps.models.artifacts import artifact_load
from apps.models.models import TrainingRun
from apps.models.signal_sources import EnsembleSource

pytestmark = pytest.mark.django_db
T0 = 1_700_000_040_000 - 1_700_000_040_000 % 60_000
BARS = 1200
FUNDING_EVERY = 10
BASIS_EVERY = 7
LAST_CHECK = BARS // BASIS_EVERY - 1  # index of the last basis check seeded


def _seed(symbol: str = "BTCUSDT", seed: int = 3) -> dict:
    """Closes that drift the way the funding rate leans (funding flips at random every 10 bars,
    settled mid-bar), and a basis series that is pure bookkeeping (basis_bps = check index)."""
    rng = np.random.default_rng(seed)
    signs = rng.choice([-1, 1], size=BARS // FUNDING_EVERY + 1)
    price = 40000.0
    klines, funding = [], []
    for i in range(BARS):
        open_ms = T0 + i * 60_000
        if i % FUNDING_EVERY == 0:
            rate = Decimal("0.0003") * int(signs[i // FUNDING_EVERY])
            funding.append(
                FundingRate(
                    symbol=symbol,
                    funding_time_ms=open_ms + 30_000,  # settled mid-bar
                    rate=rate,
                    observed_ms=open_ms + 30_000,
                )
            )
        lean = int(signs[i // FUNDING_EVERY])
        nxt = price * np.exp(0.0008 * lean + rng.normal(0, 0.0006))
        c = Decimal(str(round(nxt, 2)))
        hi = max(Decimal(str(round(price, 2))), c) + 1
        lo = min(Decimal(str(round(price, 2))), c) - 1
        klines.append(
            Kline(
                symbol=symbol,
                interval="1m",
                open_time_ms=open_ms,
                open_time=from_ms(open_ms),
                open=Decimal(str(round(price, 2))),
                high=hi,
                low=lo,
                close=c,
                volume=Decimal(1),
                close_time_ms=open_ms + 59_999,
            )
        )
        price = nxt
    Kline.objects.bulk_create(klines)
    FundingRate.objects.bulk_create(funding)
    BasisObservation.objects.bulk_create(
        BasisObservation(
            symbol=symbol,
            time_ms=T0 + j * BASIS_EVERY * 60_000 + 59_999,  # exactly at a bar's close: known
            price=Decimal(40000),
            reference_price=Decimal(40000),
            basis=Decimal(0),
            basis_bps=Decimal(j),
        )
        for j in range(BARS // BASIS_EVERY)
    )
    return {"klines": klines, "funding": funding}


def test_the_feature_matrix_carries_funding_and_basis_as_of_each_close():
    seeded = _seed()
    klines = selectors.klines_until(symbol="BTCUSDT", interval="1m", count=BARS)
    a = F.arrays(klines, **selectors.market_inputs(symbol="BTCUSDT", klines=klines))
    x = F.matrix(a)
    assert x.shape == (BARS - F.LOOKBACK, len(F.FEATURE_NAMES))
    fcol, bcol = F.FEATURE_NAMES.index("funding_bps"), F.FEATURE_NAMES.index("basis_bps")
    for k, i in enumerate(range(F.LOOKBACK, BARS)):
        close_ms = T0 + i * 60_000 + 59_999
        known = [f for f in seeded["funding"] if f.funding_time_ms <= close_ms]
        assert x[k, fcol] == pytest.approx(float_bps(known[-1].rate))
        # The check stamped at bar j*7's close is in force from that bar on, not the one before.
        assert x[k, bcol] == min(i // BASIS_EVERY, LAST_CHECK)
    # Live inference sees the same row as training for the same bar.
    live = F.feature_row(
        klines[:500], **selectors.market_inputs(symbol="BTCUSDT", klines=klines[:500])
    )
    assert np.allclose(live, x[500 - 1 - F.LOOKBACK])


def float_bps(rate: Decimal) -> float:
    return np.asarray([rate], dtype=float)[0] * 10_000


def test_a_model_trains_with_funding_and_basis_and_the_ensemble_uses_them(settings, tmp_path):
    settings.INTEL_MODEL_DIR = tmp_path
    _seed()
    run = TrainingRun.objects.create(
        kind="logreg", params={"symbols": ["BTCUSDT"], "bars": BARS, "horizon": 5}
    )
    version = services.model_train(run_id=run.id)
    payload = artifact_load(relative_path=version.artifact_path, sha256=version.artifact_sha256)
    assert payload["features"][-2:] == ("funding_bps", "basis_bps")
    model = payload["model"]
    assert model.n_features_in_ == len(F.FEATURE_NAMES) == 11
    # The closes lean the way funding does: the model learns it from that column.
    coef = model[-1].coef_[0]
    fcol = F.FEATURE_NAMES.index("funding_bps")
    assert coef[fcol] > 0 and abs(coef[fcol]) == max(abs(coef))
    assert version.metrics["accuracy"] > 0.6

    klines = selectors.klines_until(symbol="BTCUSDT", interval="1m", count=200)
    signal = EnsembleSource().evaluate(symbol="BTCUSDT", klines=klines)
    assert signal.features["funding_bps"] in (3.0, -3.0)
    assert signal.features["basis_bps"] == LAST_CHECK


def test_a_bar_has_the_same_funding_live_and_in_training_later():
    """The poll re-reads the coming funding time's rate every 15 s: the funding a live bar's
    features carry is the one the same bar carries when a model trains on it later."""
    from apps.exchange.reports import MarkReport
    from apps.market.services import funding_store

    settled_at, coming = T0, T0 + 8 * 3_600_000
    klines = []
    for i in range(F.LOOKBACK + 2):
        open_ms = T0 + i * 60_000
        klines.append(
            Kline(
                symbol="BTCUSDT",
                interval="1m",
                open_time_ms=open_ms,
                open_time=from_ms(open_ms),
                open=Decimal(40000 + i),
                high=Decimal(40010 + i),
                low=Decimal(39990 + i),
                close=Decimal(40005 + i),
                volume=Decimal(1),
                close_time_ms=open_ms + 59_999,
            )
        )
    Kline.objects.bulk_create(klines)

    def poll(rate: str, at_ms: int, funding_time: int) -> None:
        funding_store(
            mark=MarkReport(
                symbol="BTCUSDT",
                mark_price=Decimal(40000),
                index_price=Decimal(40000),
                funding_rate=Decimal(rate),
                next_funding_ms=funding_time,
                time_ms=at_ms,
            )
        )

    poll("0.0001", settled_at - 5_000, settled_at)  # the last reading before a settlement
    last = klines[-1]
    poll("0.0004", last.close_time_ms - 5_000, coming)  # the coming rate, read before the close
    rows = selectors.klines_until(symbol="BTCUSDT", interval="1m", count=len(klines))
    live = F.feature_row(rows, **selectors.market_inputs(symbol="BTCUSDT", klines=rows))
    poll("0.0004", last.close_time_ms + 60_000, coming)  # later readings, as the desk goes on
    later = F.matrix(F.arrays(rows, **selectors.market_inputs(symbol="BTCUSDT", klines=rows)))
    fcol = F.FEATURE_NAMES.index("funding_bps")
    assert live[fcol] == later[-1, fcol] == pytest.approx(1.0)  # 0.0001 settled: 1 bp
