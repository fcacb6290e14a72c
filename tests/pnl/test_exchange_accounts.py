"""Exchange accounts: credentials encrypted at rest, key rotation, the command, the admin, the
polling schedule that follows the account."""

import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import PeriodicTask

from apps.exchange import crypto
from apps.exchange.models import ExchangeAccount
from apps.exchange.services import account_active_set, account_add

pytestmark = pytest.mark.django_db
KEY, SECRET = "AbCd" + "k" * 56 + "WxYz", "S3cr3t" * 10


def _raw_row(account_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM exchange_exchangeaccount WHERE id = %s", [account_id])
        return repr(cursor.fetchone())


def test_it_stores_credentials_encrypted_and_only_a_masked_key(settings):
    account = account_add(
        name="live", base_url="https://fapi.binance.com", api_key=KEY, api_secret=SECRET
    )
    row = _raw_row(account.id)
    assert KEY not in row and SECRET not in row
    assert account.api_key_hint == "AbCd…WxYz"
    assert crypto.decrypt(account.api_secret_encrypted) == SECRET


def test_it_rotates_to_a_new_first_key_and_then_reads_without_the_old_one(settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    account = account_add(name="live", base_url="https://x.test", api_key=KEY, api_secret=SECRET)
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("exchange_account", "rotate_keys")
    settings.FIELD_ENCRYPTION_KEYS = [new]
    account.refresh_from_db()
    assert crypto.decrypt(account.api_secret_encrypted) == SECRET
    settings.FIELD_ENCRYPTION_KEYS = [old]
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(account.api_secret_encrypted)


def test_it_adds_an_account_from_the_environment_never_argv(monkeypatch, capsys):
    monkeypatch.setenv("BINANCE_API_KEY", KEY)
    monkeypatch.setenv("BINANCE_API_SECRET", SECRET)
    call_command(
        "exchange_account", "add", "paper-1", "--base-url", "http://127.0.0.1:8030", "--paper"
    )
    out = capsys.readouterr().out
    assert SECRET not in out and KEY not in out and "AbCd…WxYz" in out
    account = ExchangeAccount.objects.get(name="paper-1")
    assert account.is_paper and account.is_active


def test_it_refuses_to_add_without_credentials(monkeypatch):
    from django.core.management.base import CommandError

    monkeypatch.delenv("BINANCE_API_KEY", raising=False)
    with pytest.raises(CommandError, match="BINANCE_API_KEY"):
        call_command("exchange_account", "add", "x", "--base-url", "http://h")


def test_it_schedules_a_15s_poll_that_follows_the_account():
    account = account_add(name="desk", base_url="http://h", api_key=KEY, api_secret=SECRET)
    task = PeriodicTask.objects.get(name="pnl: poll account desk")
    assert task.task == "quantum.pnl.poll_account"
    assert json.loads(task.kwargs) == {"account_id": account.id}
    assert task.interval.every == 15 and task.expire_seconds == 15 and task.enabled
    account_active_set(account_id=account.id, active=False)
    assert not PeriodicTask.objects.get(name="pnl: poll account desk").enabled


def test_it_shows_the_admin_a_masked_key_and_never_the_secret(admin_client):
    account = account_add(name="desk", base_url="http://h", api_key=KEY, api_secret=SECRET)
    page = admin_client.get(f"/admin/exchange/exchangeaccount/{account.id}/change/").content
    listing = admin_client.get("/admin/exchange/exchangeaccount/").content
    for html in (page, listing):
        assert "AbCd…WxYz".encode() in html
        assert KEY.encode() not in html and SECRET.encode() not in html
        assert account.api_secret_encrypted.encode() not in html
