"""The intelligence API: authenticated, read-only, shapes the dashboard relies on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.models.models import RegimeObservation
from apps.rl import services as rl
from apps.strategy.models import EvolutionRun, StrategyVersion
from apps.strategy.services import version_promote

pytestmark = pytest.mark.django_db

URLS = [
    "/api/models/",
    "/api/models/predictions/",
    "/api/regimes/",
    "/api/rl/agent/",
    "/api/rl/rewards/",
    "/api/strategy/versions/",
    "/api/strategy/runs/",
    "/api/intelligence/now/",
]


@pytest.fixture
def client() -> APIClient:
    user = get_user_model().objects.create_user("ops", password="a-long-password-1")
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.parametrize("url", URLS)
def test_it_refuses_anonymous_callers(url):
    assert APIClient().get(url).status_code in (401, 403)


def test_it_shows_every_part(client, redis_client):
    RegimeObservation.objects.create(
        symbol="BTCUSDT", regime="trend_up", as_of_ms=60_000, stats={"vol_ratio": 1.1}
    )
    decision = rl.size_decide(
        symbol="BTCUSDT",
        confidence=Decimal("0.8"),
        regime="trend_up",
        vol_ratio=1.1,
        base_notional=Decimal("200"),
    )
    rl.arm_update(context=decision.context, multiplier=decision.multiplier, reward=0.1)
    version = StrategyVersion.objects.create(family="ma_cross", params={"fast": 9, "slow": 21})
    version_promote(version_id=version.id, actor="ops")
    EvolutionRun.objects.create(
        family="ma_cross",
        symbol="BTCUSDT",
        generations=8,
        population=16,
        progress=37,
        generation=3,
        best_score=1.5,
    )
    for url in URLS:
        assert client.get(url).status_code == 200, url

    agent = client.get("/api/rl/agent/").json()
    assert agent["hard_cap"] == "1000.00000000" and agent["contexts"][0]["arms"][0]["n"] == 1
    assert agent["contexts"][0]["best_multiplier"] == "0.50"
    regimes = client.get("/api/regimes/?symbol=BTCUSDT").json()
    assert regimes["latest"][0]["regime"] == "trend_up" and len(regimes["history"]) == 1
    runs = client.get("/api/strategy/runs/").json()
    assert runs[0]["progress"] == 37 and runs[0]["best_score"] == 1.5
    versions = client.get("/api/strategy/versions/").json()
    assert versions[0]["status"] == "active" and versions[0]["events"][0]["action"] == "promote"
