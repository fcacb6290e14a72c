"""The venue's accounts in the admin: listed without secrets, created with the secret shown once."""

import re

import pytest
from django.test import Client

from apps.paper_exchange.services import account_create, account_list

pytestmark = pytest.mark.django_db

URL = "/admin/paper_exchange/paperaccount/"


@pytest.fixture
def venue_db(tmp_path, monkeypatch):
    path = tmp_path / "venue.sqlite3"
    monkeypatch.setenv("PAPER_EXCHANGE_DB", str(path))
    return path


def test_it_lists_accounts_with_masked_keys(admin_client, venue_db):
    from decimal import Decimal

    account = account_create(db_path=venue_db, name="alpha", balance=Decimal("500"))
    page = admin_client.get(URL).content.decode()
    assert "alpha" in page
    assert f"{account.api_key[:4]}…{account.api_key[-4:]}" in page
    assert account.api_key not in page and account.api_secret not in page


def test_it_creates_a_funded_account_and_shows_the_secret_once(admin_client, venue_db):
    response = admin_client.post(f"{URL}add/", {"name": "bravo", "balance": "2500"})
    page = response.content.decode()
    assert "no-cache" in response["Cache-Control"]
    key = re.search(r'id="api-key">([0-9a-f]{64})<', page).group(1)
    secret = re.search(r'id="api-secret">([0-9a-f]{64})<', page).group(1)
    (row,) = account_list(db_path=venue_db)
    assert (row["name"], row["api_key"], row["deposit"]) == ("bravo", key, "2500")
    assert secret not in admin_client.get(URL).content.decode()


def test_it_refuses_a_duplicate_name_and_changes_nothing(admin_client, venue_db):
    admin_client.post(f"{URL}add/", {"name": "charlie", "balance": "10"})
    page = admin_client.post(f"{URL}add/", {"name": "charlie", "balance": "10"}).content.decode()
    assert "An account of that name exists on the venue." in page
    assert len(account_list(db_path=venue_db)) == 1


def test_it_is_for_staff_only(venue_db):
    client = Client()  # anonymous (this folder's `client` fixture is a python-binance client)
    assert client.get(URL).status_code == 302  # to the admin login
    assert client.post(f"{URL}add/", {"name": "delta", "balance": "1"}).status_code == 302
    assert not venue_db.exists() or account_list(db_path=venue_db) == []
