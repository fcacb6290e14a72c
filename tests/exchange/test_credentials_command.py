"""`manage.py exchange_account credentials NAME [--secret]`: the paper account's API key (and,
asked for, its secret) decrypted from the encrypted store for one print, never logged."""

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.exchange import services
from apps.exchange.models import ExchangeAccount

pytestmark = pytest.mark.django_db

KEY, SECRET = "k" * 24 + "KEYEND", "s" * 40 + "SECRETEND"


@pytest.fixture
def account():
    return services.account_add(
        name="paper-desk-creds", base_url="http://127.0.0.1:9", api_key=KEY, api_secret=SECRET
    )


def _run(*args) -> str:
    out = StringIO()
    call_command("exchange_account", "credentials", *args, stdout=out)
    return out.getvalue()


def test_shows_the_key_and_keeps_the_secret_unless_asked(account, caplog):
    caplog.set_level(logging.DEBUG)
    shown = _run(account.name)
    assert f"API key:    {KEY}" in shown
    assert SECRET not in shown and "add --secret" in shown
    # encrypted at rest: neither is in the row as stored
    row = ExchangeAccount.objects.get(id=account.id)
    assert KEY not in row.api_key_encrypted and SECRET not in row.api_secret_encrypted
    assert SECRET not in caplog.text and KEY not in caplog.text


def test_prints_the_secret_when_asked_and_never_logs_it(account, caplog):
    caplog.set_level(logging.DEBUG)
    shown = _run(account.name, "--secret")
    assert f"API secret: {SECRET}" in shown and f"API key:    {KEY}" in shown
    assert SECRET not in caplog.text and KEY not in caplog.text


def test_an_unknown_account_is_refused():
    with pytest.raises(CommandError, match="no account 'nope'"):
        _run("nope")


def test_a_key_that_no_longer_decrypts_is_said_plainly(account, settings):
    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="no configured FIELD_ENCRYPTION_KEYS key"):
        _run(account.name, "--secret")
