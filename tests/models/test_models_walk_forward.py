"""Walk-forward evaluation of the signal models: successive folds over the fitted rows, each
fitting only on the blocks before its own (minus the rows whose labels reach into it), scored
beside its own base rates; the figures are recomputed here with sklearn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from apps.models import services
from apps.models.models import ModelVersion, TrainingRun


def _data(n: int, folds: int, horizon: int, seed: int = 5) -> dict[str, np.ndarray]:
    """One symbol's rows in time order, labelled by a noisy rule on the first column, laid out as
    dataset_build lays them out (block per row, tail of each block)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = ((x[:, 0] + rng.normal(0, 1.0, n)) > 0).astype(int)
    block = n // (folds + 1)
    index = np.arange(n)
    return {
        "x_fit": x,
        "y_fit": y,
        "fold_fit": np.minimum(index // block, folds),
        "tail_fit": index % block >= block - horizon,
    }


@pytest.mark.django_db
def test_each_fold_fits_on_the_past_and_is_scored_on_the_next_block():
    folds, horizon, n = 4, 5, 2500
    data = _data(n, folds, horizon)
    run = TrainingRun.objects.create(kind="logreg")

    report = services.walk_forward_evaluate(
        run=run, kind="logreg", params={"horizon": horizon}, data=data, folds=folds
    )

    block = n // (folds + 1)
    assert [f["fold"] for f in report["folds"]] == [1, 2, 3, 4]
    for f in report["folds"]:
        k = f["fold"]
        # Trained on blocks 0..k-1 without the last `horizon` rows (their labels reach block k).
        assert f["n_train"] == k * block - horizon and f["n_test"] == block
        fitted = make_pipeline(StandardScaler(), LogisticRegression()).fit(
            data["x_fit"][: k * block - horizon], data["y_fit"][: k * block - horizon]
        )
        test = slice(k * block, (k + 1) * block)
        hits = fitted.predict_proba(data["x_fit"][test])[:, 1] > 0.5
        accuracy = np.mean(hits == (data["y_fit"][test] == 1))
        assert f["accuracy"] == pytest.approx(accuracy, abs=1e-4)
        lo, hi = f["accuracy_ci"]
        assert lo <= f["accuracy"] <= hi and f["edge"] == (lo > f["best_base"]["accuracy"])
    # The rule is learnable: every fold beats its base rates by its interval.
    assert report["folds_with_edge"] == 4 and report["accuracy_mean"] > 0.65
    assert report["accuracy_mean"] == pytest.approx(
        np.mean([f["accuracy"] for f in report["folds"]]), abs=1e-4
    )
    run.refresh_from_db()
    assert run.folds == report["folds"] and run.stage == "walk-forward fold 4/4"


@pytest.mark.django_db
def test_labels_that_cannot_be_learned_show_no_edge_in_any_fold():
    data = _data(2500, 4, 5)
    data["y_fit"] = np.random.default_rng(9).integers(0, 2, 2500)
    run = TrainingRun.objects.create(kind="logreg")
    report = services.walk_forward_evaluate(
        run=run, kind="logreg", params={"horizon": 5}, data=data, folds=4
    )
    assert report["folds_with_edge"] == 0
    assert abs(report["accuracy_mean"] - 0.5) < 0.05


@pytest.mark.django_db
def test_the_admin_shows_the_walk_forward_and_the_weight_rule(admin_client):
    data = _data(2500, 4, 5)
    run = TrainingRun.objects.create(kind="logreg")
    report = services.walk_forward_evaluate(
        run=run, kind="logreg", params={"horizon": 5}, data=data, folds=4
    )
    rule = services.weight_rule(hits=300, n=500, base=0.5, horizon=5)
    ModelVersion.objects.create(
        kind="logreg",
        artifact_path="a.joblib",
        artifact_sha256="0" * 64,
        metrics={"walk_forward": report, "weight_rule": rule},
    )
    page = admin_client.get("/admin/signal_models/modelversion/").content.decode()
    assert f"{report['accuracy_mean']} ({report['best_base_mean']}; 4/4)" in page
    # 60 % over 100 effective predictions against 50 %: z = 2, p = 0.02275, weight 0.1 x 0.545.
    assert rule["p_value"] == pytest.approx(0.02275, abs=1e-5)
    assert rule["weight"] == pytest.approx(0.1 * (1 - 0.02275 / 0.05), abs=1e-5)
    assert f"{rule['weight']} (+0.1, p 0.02275)" in page
