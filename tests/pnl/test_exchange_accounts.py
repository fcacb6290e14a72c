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


def test_the_command_deactivates_and_activates_an_account_and_its_poll(capsys):
    account_add(name="desk-a", base_url="http://h", api_key=KEY, api_secret=SECRET)
    call_command("exchange_account", "deactivate", "desk-a")
    assert "deactivated desk-a" in capsys.readouterr().out
    assert not ExchangeAccount.objects.get(name="desk-a").is_active
    assert not PeriodicTask.objects.get(name="pnl: poll account desk-a").enabled
    call_command("exchange_account", "activate", "desk-a")
    assert ExchangeAccount.objects.get(name="desk-a").is_active
    assert PeriodicTask.objects.get(name="pnl: poll account desk-a").enabled
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no account 'nope'"):
        call_command("exchange_account", "deactivate", "nope")


def test_the_command_gives_an_account_a_new_key_pair_from_the_environment(monkeypatch, capsys):
    from django.core.management.base import CommandError

    account = account_add(name="live", base_url="http://h", api_key=KEY, api_secret=SECRET)
    new_key, new_secret = "NeWk" + "n" * 56 + "Ey99", "N3wS3cr3t" * 6
    monkeypatch.delenv("BINANCE_API_KEY", raising=False)
    with pytest.raises(CommandError, match="BINANCE_API_KEY"):
        call_command("exchange_account", "rekey", "live")
    monkeypatch.setenv("BINANCE_API_KEY", new_key)
    monkeypatch.setenv("BINANCE_API_SECRET", new_secret)
    call_command("exchange_account", "rekey", "live")
    out = capsys.readouterr().out
    assert "live now signs with key NeWk…Ey99" in out and new_secret not in out
    account.refresh_from_db()
    assert crypto.decrypt(account.api_key_encrypted) == new_key
    assert crypto.decrypt(account.api_secret_encrypted) == new_secret
    assert new_key not in _raw_row(account.id) and new_secret not in _raw_row(account.id)
    with pytest.raises(CommandError, match="no account 'nope'"):
        call_command("exchange_account", "rekey", "nope")


def test_a_renamed_account_keeps_one_poll(admin_client):
    url = "https://fapi.binance.com"
    account = account_add(name="desk-a", base_url=url, api_key=KEY, api_secret=SECRET)
    form = {"name": "desk-z", "venue": "binance", "base_url": url, "is_active": "on"}
    page = admin_client.post(f"/admin/exchange/exchangeaccount/{account.id}/change/", form)
    assert page.status_code == 302, page.context["adminform"].form.errors
    polls = PeriodicTask.objects.filter(task="quantum.pnl.poll_account")
    assert [(t.name, json.loads(t.kwargs)) for t in polls] == [
        ("pnl: poll account desk-z", {"account_id": account.id})
    ]


def test_the_admin_activates_and_deactivates_many_accounts_with_their_polls(admin_client):
    accounts = [
        account_add(name=f"desk-{n}", base_url="http://h", api_key=KEY, api_secret=SECRET)
        for n in range(3)
    ]
    chosen = [str(a.id) for a in accounts[:2]]
    url = "/admin/exchange/exchangeaccount/"
    page = admin_client.post(url, {"action": "deactivate", "_selected_action": chosen}, follow=True)
    assert [str(m) for m in page.context["messages"]] == [
        "deactivated 2 account(s): desk-0, desk-1"
    ]
    enabled = dict(PeriodicTask.objects.values_list("name", "enabled"))
    assert enabled == {
        "pnl: poll account desk-0": False,
        "pnl: poll account desk-1": False,
        "pnl: poll account desk-2": True,
    }
    admin_client.post(url, {"action": "activate", "_selected_action": chosen[:1]})
    assert PeriodicTask.objects.get(name="pnl: poll account desk-0").enabled
    assert admin_client.get(url, {"q": "desk-2"}).content.decode().count("desk-2") >= 1
