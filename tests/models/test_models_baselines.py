"""Every hold-out figure beside its base rates: recomputed here independently (scipy's Wilson
interval, sklearn's log loss and Brier, counting by hand) on known data, and shown by the API
and the admin with the verdict."""

from __future__ import annotations

import math

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from scipy.stats import binomtest
from sklearn.metrics import brier_score_loss, log_loss

from apps.models.evaluation import holdout_report
from apps.models.models import ModelVersion


def _known(n_up: int, n_down: int, hits_up: int, hits_down: int, p_hit=0.6, p_miss=0.45):
    """Labels and forecasts with a known hit count: on each side, the first `hits_*` forecasts
    favour that side with `p_hit`, the rest favour the other side."""
    y = np.array([1] * n_up + [0] * n_down, dtype=float)
    p = np.empty(len(y))
    p[:n_up] = [p_hit if i < hits_up else p_miss for i in range(n_up)]
    p[n_up:] = [1 - p_hit if i < hits_down else 1 - p_miss for i in range(n_down)]
    return p, y


def test_the_figures_match_an_independent_computation():
    # The trap: 0.567 accuracy on a hold-out where always-down scores 0.588.
    p, y = _known(n_up=412, n_down=588, hits_up=200, hits_down=367)
    r = holdout_report(p, y, horizon=1, fit_base_rate=0.48)

    assert r["n"] == 1000 and r["accuracy"] == 0.567
    lo, hi = binomtest(567, 1000).proportion_ci(confidence_level=0.95, method="wilson")
    assert r["accuracy_ci"] == [round(lo, 4), round(hi, 4)]
    assert r["log_loss"] == pytest.approx(log_loss(y, p), abs=1e-5)
    assert r["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-5)
    assert r["brier_skill"] == pytest.approx(1 - brier_score_loss(y, p) / 0.25, abs=1e-5)

    b = r["baselines"]
    assert b["always_up"] == {"accuracy": 0.412, "brier": 0.588, "log_loss": None}
    assert b["always_down"] == {"accuracy": 0.588, "brier": 0.412, "log_loss": None}
    assert b["coin_flip"] == {"accuracy": 0.5, "brier": 0.25, "log_loss": round(math.log(2), 5)}
    # P(up) = 0.48 every time (the fitted share): it favours down, so it is as right as always-down.
    assert b["base_rate"]["accuracy"] == 0.588
    assert b["base_rate"]["log_loss"] == pytest.approx(log_loss(y, np.full(1000, 0.48)), abs=1e-5)
    assert b["base_rate"]["brier"] == pytest.approx(
        brier_score_loss(y, np.full(1000, 0.48)), abs=1e-5
    )

    assert r["best_base"] == {"name": "always_down", "accuracy": 0.588}
    assert r["edge"] is False and r["verdict"] == "no edge"


def test_an_accuracy_above_the_best_base_rate_by_its_interval_is_an_edge():
    # Balanced hold-out, 58 % right: with overlapping 5-bar labels, n counts as 4000 / 5 = 800.
    p, y = _known(n_up=2000, n_down=2000, hits_up=1160, hits_down=1160)
    r = holdout_report(p, y, horizon=5)

    assert r["accuracy"] == 0.58 and r["n_effective"] == 800
    lo, hi = binomtest(464, 800).proportion_ci(confidence_level=0.95, method="wilson")
    assert r["accuracy_ci"] == [round(lo, 4), round(hi, 4)]
    assert lo > 0.5 and r["best_base"]["accuracy"] == 0.5
    assert r["edge"] is True and r["verdict"] == "edge"

    # The same hit rate on a hold-out a tenth the size cannot tell itself from a coin flip.
    p, y = _known(n_up=200, n_down=200, hits_up=116, hits_down=116)
    small = holdout_report(p, y, horizon=5)
    assert small["accuracy"] == 0.58 and small["accuracy_ci"][0] < 0.5
    assert small["verdict"] == "no edge"


def test_probability_skill_needs_log_loss_below_the_better_baseline_by_its_interval():
    # Hits at 0.6, misses at 0.45 on a balanced hold-out: right 58 % of the time with mild
    # confidence beats a coin flip's ln 2 per sample on 4000 samples.
    p, y = _known(n_up=2000, n_down=2000, hits_up=1160, hits_down=1160)
    r = holdout_report(p, y, horizon=1)
    d = log_loss(y, p) - math.log(2)
    assert r["log_loss_vs"]["baseline"] == "coin_flip"
    assert r["log_loss_vs"]["diff"] == pytest.approx(d, abs=1e-5)
    assert r["probability_skill"] is True
    # Overconfident at the same hit rate (0.95 on hits, 0.05 on misses): worse than ln 2.
    p, y = _known(2000, 2000, 1160, 1160, p_hit=0.95, p_miss=0.05)
    over = holdout_report(p, y, horizon=1)
    assert over["log_loss"] > math.log(2) and over["probability_skill"] is False
    assert over["verdict"] == "edge"  # right often enough, but its probabilities are not skill


@pytest.mark.django_db
def test_the_api_and_the_admin_show_the_baselines_and_the_verdict():
    p, y = _known(n_up=412, n_down=588, hits_up=200, hits_down=367)
    judged = ModelVersion.objects.create(
        kind="hgb",
        artifact_path="a.joblib",
        artifact_sha256="0" * 64,
        metrics=holdout_report(p, y, horizon=5, fit_base_rate=0.48),
    )
    old = ModelVersion.objects.create(
        kind="logreg",
        artifact_path="b.joblib",
        artifact_sha256="0" * 64,
        metrics={"n": 10, "accuracy": 0.6},
    )
    admin = get_user_model().objects.create_superuser("boss", password="a-long-password-1")
    api = APIClient()
    api.force_authenticate(admin)
    rows = {m["id"]: m for m in api.get("/api/models/").json()["models"]}
    assert rows[judged.id]["verdict"] == "no edge"
    assert rows[judged.id]["metrics"]["best_base"] == {"name": "always_down", "accuracy": 0.588}
    assert rows[judged.id]["metrics"]["baselines"]["coin_flip"]["log_loss"] == 0.69315
    assert rows[old.id]["verdict"] == "not evaluated"

    api.force_login(admin)
    page = api.get("/admin/signal_models/modelversion/").content.decode()
    ci = judged.metrics["accuracy_ci"]
    assert f"0.567 [{ci[0]}, {ci[1]}]" in page and "0.588 (always_down)" in page
    assert "no edge" in page and "not evaluated" in page
