"""Hostile bodies and numbers get a 400 (or 413) that says what is wrong, never a 500: the
bounded JSON parser (apps/api/parsers.py) and the bounds of the input serializers."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.api.parsers import json_depth

pytestmark = pytest.mark.django_db

DEEP = b"[" * 1000 + b"]" * 1000


@pytest.fixture
def staff() -> APIClient:
    user = get_user_model().objects.create_user(
        "chief", password="a-long-password-1", is_staff=True
    )
    client = APIClient()
    client.force_authenticate(user)
    return client


def _post_raw(client: APIClient, url: str, body: bytes):
    return client.generic("POST", url, body, content_type="application/json")


def test_it_refuses_deep_json_on_the_anonymous_login():
    response = _post_raw(APIClient(), "/api/auth/login/", DEEP)
    assert response.status_code == 400
    assert "nested deeper than 20 levels" in response.json()["detail"]


@pytest.mark.parametrize("url", ["/api/trading/desk/", "/api/models/train/", "/api/strategy/runs/"])
def test_it_refuses_deep_json_on_staff_endpoints(staff, url):
    body = b'{"reason": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    response = _post_raw(staff, url, body)
    assert response.status_code == 400, response.content
    assert "nested deeper" in response.json()["detail"]


def test_it_refuses_a_body_over_the_size_limit_before_parsing_it(staff, settings):
    settings.API_JSON_MAX_BYTES = 1000
    body = b'{"reason": "' + b"x" * 2000 + b'"}'
    response = _post_raw(staff, "/api/trading/desk/", body)
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body exceeds 1000 bytes."}


def test_it_still_takes_ordinary_json(staff):
    response = staff.post("/api/trading/desk/", {"mode": "halt", "reason": "[{]}"})
    assert response.status_code == 200, response.content
    assert response.json()["reason"] == "[{]}"


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert json_depth(b'{"a": "[[[[{{{{\\"]]]]", "b": [1, {"c": []}]}') == 4
    assert json_depth(b"42") == 0


def test_it_refuses_a_seed_the_database_cannot_store(staff, settings):
    settings.TRADING_SYMBOLS = ["BTCUSDT"]
    body = {"family": "ma_cross", "symbol": "BTCUSDT", "seed": 2**63}
    response = staff.post("/api/strategy/runs/", body)
    assert response.status_code == 400, response.content
    assert "seed" in response.json()
    body["seed"] = 2**31 - 1
    assert staff.post("/api/strategy/runs/", body).status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        f"/api/pnl/daily/?account={2**63}",
        f"/api/rl-dashboard/?account={2**63}",
        f"/api/models/predictions/?model={2**64}",
    ],
)
def test_it_refuses_ids_past_the_database_integer(staff, url):
    response = staff.get(url)
    assert response.status_code == 400, response.content


def test_the_schema_shows_the_bounds(staff):
    schema = staff.get("/api/schema/?format=json").json()
    seed = schema["components"]["schemas"]["RunInput"]["properties"]["seed"]
    assert (seed["minimum"], seed["maximum"]) == (0, 2**31 - 1)
    login = schema["paths"]["/api/auth/login/"]["post"]["responses"]
    assert {"400", "413"} <= set(login)
