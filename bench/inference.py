"""Inference inside the trading loop's budget: one symbol-batch = for each traded symbol, the
features of its last klines, every live model's P(up) (artifacts loaded and sha256-verified by
apps.models.artifacts, cached), and the skill-weighted combination: the path of
apps.models.signal_sources.EnsembleSource minus the Prediction insert. Next to a no-op batch (the
same loop calling a function that returns 0.5) in the same run.

    .venv/bin/python bench/inference.py [--batches 300] [--symbols 5]

Prints predictions/s and p50/p99 per batch, then
`RESULT name=<predictions/s> baseline=<no-op calls/s> ratio=<r>`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quantum_project.settings")
os.environ.setdefault("SECRET_KEY", "bench-inference")
os.environ["QUANTUM_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-inference-")
os.environ["QUANTUM_ENV_FILE"] = os.path.join(os.environ["QUANTUM_VAR_DIR"], "no.env")

import django  # noqa: E402

django.setup()

from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from apps.models import features as F  # noqa: E402
from apps.models.artifacts import artifact_save  # noqa: E402
from apps.models.models import ModelVersion  # noqa: E402
from apps.models.signal_sources import combine, probabilities  # noqa: E402


def klines(seed: int, n: int = 200) -> list[SimpleNamespace]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    # Decimal prices, as the kline store returns them.
    return [
        SimpleNamespace(
            open_time_ms=i * 60_000,
            close=Decimal(f"{c:.4f}"),
            high=Decimal(f"{c * 1.0005:.4f}"),
            low=Decimal(f"{c * 0.9995:.4f}"),
        )
        for i, c in enumerate(close)
    ]


def versions() -> list[ModelVersion]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5000, len(F.FEATURE_NAMES)))
    y = (x[:, 0] + rng.normal(size=5000) > 0).astype(int)
    out = []
    for i, model in enumerate(
        (LogisticRegression(), HistGradientBoostingClassifier(max_iter=100, random_state=1))
    ):
        model.fit(x, y)
        path, sha = artifact_save(payload={"model": model}, stem=f"bench-{i}")
        out.append(ModelVersion(id=i + 1, kind="x", artifact_path=path, artifact_sha256=sha))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--symbols", type=int, default=5)
    args = parser.parse_args()
    live = versions()
    books = [klines(seed) for seed in range(args.symbols)]

    def ours() -> None:
        for book in books:
            row = F.feature_row(book)
            combine(probabilities(row=row, versions=live))

    def noop_one(book) -> float:
        return 0.5

    def noop() -> None:
        for book in books:
            noop_one(book)

    ours()  # warm: artifacts verified and cached once, as in a long-running worker
    figures = {}
    for name, fn in (("ensemble", ours), ("no-op", noop)):
        lat = []
        for _ in range(args.batches):
            start = time.perf_counter()
            fn()
            lat.append(time.perf_counter() - start)
        arr = np.asarray(lat)
        per_s = args.symbols * len(live if name == "ensemble" else [0]) * len(arr) / arr.sum()
        figures[name] = per_s
        print(
            f"{name:9s} {per_s:,.0f} predictions/s  batch of {args.symbols} symbols: "
            f"p50 {np.percentile(arr, 50) * 1000:.3f} ms  "
            f"p99 {np.percentile(arr, 99) * 1000:.3f} ms"
        )
    ratio = figures["ensemble"] / figures["no-op"]
    print(
        f"RESULT name={figures['ensemble']:.0f} baseline={figures['no-op']:.0f} ratio={ratio:.5f}"
    )


if __name__ == "__main__":
    main()
