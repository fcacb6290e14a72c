"""The API authenticates by session and by token; anonymous requests get nothing."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password="s3cret-pass-1")


def test_it_logs_in_with_a_session_and_out_again(alice):
    client = APIClient(enforce_csrf_checks=True)
    token = client.get("/api/auth/csrf/").json()["csrf_token"]
    response = client.post(
        "/api/auth/login/",
        {"username": "alice", "password": "s3cret-pass-1"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    assert response.json() == {"username": "alice", "is_staff": False}
    assert client.get("/api/auth/me/").json()["username"] == "alice"
    token = client.cookies["csrftoken"].value
    assert client.post("/api/auth/logout/", HTTP_X_CSRFTOKEN=token).status_code == 204
    assert client.get("/api/auth/me/").status_code == 403


def test_it_refuses_a_wrong_password_without_saying_which_part_was_wrong(alice):
    response = APIClient().post(
        "/api/auth/login/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid username or password."}


def test_a_token_from_drf_create_token_authenticates(alice, capsys):
    call_command("drf_create_token", "alice")
    key = capsys.readouterr().out.split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/auth/me/").json()["username"] == "alice"


def test_the_schema_needs_authentication(alice):
    assert APIClient().get("/api/schema/").status_code in (401, 403)
    client = APIClient()
    client.force_authenticate(alice)
    assert client.get("/api/schema/").status_code == 200


def test_the_admin_user_can_log_in_to_the_admin(client, monkeypatch):
    monkeypatch.setenv("DJANGO_ADMIN_USER", "boss")
    monkeypatch.setenv("DJANGO_ADMIN_PASSWORD", "a-long-admin-pass")
    call_command("ensure_admin")
    # Through the login form: django-axes watches logins that come with a request.
    login = client.post("/admin/login/", {"username": "boss", "password": "a-long-admin-pass"})
    assert login.status_code == 302, login.content
    assert client.get("/admin/").status_code == 200
