"""Guessing passwords stops working: after AXES_FAILURE_LIMIT failures for one username from one
address, the API login and the admin answer 429 (even to the right password) until the cool-off;
the API login also allows only API_LOGIN_RATE attempts per address, whatever the username."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password-1"


@pytest.fixture
def boss(settings):
    return get_user_model().objects.create_user(
        "boss", password=PASSWORD, is_staff=True, is_superuser=True
    )


def _api_login(client: APIClient, username: str, password: str):
    return client.post("/api/auth/login/", {"username": username, "password": password})


def test_it_locks_the_api_login_after_the_failure_limit(boss, settings):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _api_login(client, "boss", "wrong").status_code == 400
    locked = _api_login(client, "boss", "wrong")
    assert locked.status_code == 429
    assert "too many login attempts" in locked.json()["detail"].lower()
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    # The right password no longer helps from here; another user is not locked by it.
    assert _api_login(client, "boss", PASSWORD).status_code == 429
    get_user_model().objects.create_user("alice", password=PASSWORD)
    assert _api_login(client, "alice", PASSWORD).status_code == 200


def test_it_throttles_api_logins_from_one_address_across_usernames(boss):
    client = APIClient()
    answers = [_api_login(client, f"guess{i}", "wrong").status_code for i in range(11)]
    assert answers[:10] == [400] * 10  # API_LOGIN_RATE's default: 10 a minute
    assert answers[10] == 429
    assert _api_login(client, "boss", PASSWORD).status_code == 429


def test_it_locks_the_admin_login_after_the_failure_limit(boss, client, settings):
    form = {"username": "boss", "password": "wrong", "next": "/admin/"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/admin/login/", form).status_code == 200  # the form, with an error
    locked = client.post("/admin/login/", form)
    assert locked.status_code == 429
    assert "Retry-After" in locked
    form["password"] = PASSWORD
    assert client.post("/admin/login/", form).status_code == 429
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_a_success_before_the_limit_starts_the_count_again(boss, settings):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _api_login(client, "boss", "wrong")
    assert _api_login(client, "boss", PASSWORD).status_code == 200
    assert _api_login(client, "boss", "wrong").status_code == 400
