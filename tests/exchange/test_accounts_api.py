"""GET /api/accounts/: the desk's accounts for the pages' picker, never their credentials; the
PnL endpoints read every active one when none is asked for."""

import pytest
from rest_framework.test import APIClient

from apps.exchange import services

pytestmark = pytest.mark.django_db

KEY, SECRET = "k" * 24 + "KEYEND", "s" * 40 + "SECRETEND"


def _add(name: str, *, paper: bool = True):
    return services.account_add(
        name=name, base_url="http://127.0.0.1:9", api_key=KEY, api_secret=SECRET, paper=paper
    )


@pytest.fixture
def api(django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("trader", password="x" * 12))
    return client


def test_it_lists_every_account_masked(api):
    first = _add("desk-a")
    _add("desk-b", paper=False)
    services.account_active_set(account_id=first.id, active=False)
    response = api.get("/api/accounts/")
    assert response.status_code == 200
    body = response.json()
    assert [(a["name"], a["venue"], a["is_active"]) for a in body["accounts"]] == [
        ("desk-a", "paper", False),
        ("desk-b", "binance", True),
    ]
    assert set(body) == {"accounts"}  # no single default: the default is every active one
    assert KEY not in response.content.decode() and SECRET not in response.content.decode()
    assert "encrypted" not in response.content.decode()
    assert body["accounts"][0]["api_key_hint"] == first.api_key_hint
    # the PnL endpoints read every active account: desk-a is inactive, so desk-b alone
    assert (
        api.get("/api/rl-dashboard/").json()["message"]
        == "No successful poll of account desk-b yet."
    )


def test_no_account_and_anonymous_is_refused(api):
    assert api.get("/api/accounts/").json() == {"accounts": []}
    assert APIClient().get("/api/accounts/").status_code in (401, 403)
