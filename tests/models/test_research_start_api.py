"""Starting research work over the API: staff only; the run row first, its task after commit."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.models.models import TrainingRun
from apps.strategy.models import EvolutionRun

pytestmark = pytest.mark.django_db


def _client(*, staff: bool) -> APIClient:
    user = get_user_model().objects.create_user(
        "staff" if staff else "trader", password="a-long-password-1", is_staff=staff
    )
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def sent(broker_messages):
    """(task, args) published on the research queue of the real broker."""
    return lambda: [(task, args) for task, args, _ in broker_messages("research")]


def test_it_starts_a_training_run_for_staff_after_commit(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _client(staff=True).post("/api/models/train/", {"kind": "logreg"}, format="json")
        assert sent() == []  # nothing on the broker before the row is committed
    assert response.status_code == 201
    run = TrainingRun.objects.get(id=response.json()["id"])
    assert (run.kind, run.status, run.progress) == ("logreg", "pending", 0)
    for callback in callbacks:
        callback()
    assert sent() == [("quantum.models.train", [run.id])]


def test_it_starts_an_evolution_run_for_staff(sent, settings, django_capture_on_commit_callbacks):
    settings.TRADING_SYMBOLS = ["BTCUSDT"]
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(staff=True).post(
            "/api/strategy/runs/", {"family": "ma_cross", "symbol": "btcusdt"}, format="json"
        )
    assert response.status_code == 201
    run = EvolutionRun.objects.get(id=response.json()["id"])
    assert (run.family, run.symbol, run.status) == ("ma_cross", "BTCUSDT", "pending")
    assert sent() == [("quantum.strategy.evolve", [run.id])]


def test_it_refuses_traders_and_bad_input(sent, settings):
    settings.TRADING_SYMBOLS = ["BTCUSDT"]
    trader = _client(staff=False)
    assert trader.post("/api/models/train/", {"kind": "hgb"}, format="json").status_code == 403
    body = {"family": "ma_cross", "symbol": "BTCUSDT"}
    assert trader.post("/api/strategy/runs/", body, format="json").status_code == 403
    assert trader.get("/api/strategy/runs/").status_code == 200  # reads stay open to users
    staff = _client(staff=True)
    assert staff.post("/api/models/train/", {"kind": "svm"}, format="json").status_code == 400
    bad = {"family": "ma_cross", "symbol": "DOGEUSDT"}
    assert staff.post("/api/strategy/runs/", bad, format="json").status_code == 400
    assert not TrainingRun.objects.exists() and not EvolutionRun.objects.exists() and sent() == []
