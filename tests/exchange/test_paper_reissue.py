"""`manage.py exchange_account reissue_paper NAME`: the running paper venue issues a new key pair,
the desk stores it encrypted and prints the secret once; the old key stops working at the
venue and the account (its wallet, its position) carries on under the new one."""

import logging
from io import StringIO

import pytest
from binance.exceptions import BinanceAPIException
from django.core.management import CommandError, call_command

from apps.exchange import crypto
from apps.exchange.models import ExchangeAccount
from tests.support.paper_exchange import (
    PaperExchange,
    binance_client,
    desk_account,
    market,
    position,
    wallet,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    exchange = PaperExchange(tmp_path_factory.mktemp("reissue-venue"))
    exchange.start()
    yield exchange
    exchange.stop()


def _reissue(name: str, venue: PaperExchange) -> str:
    out = StringIO()
    call_command(
        "exchange_account", "reissue_paper", name, "--venue-db", str(venue.db_path), stdout=out
    )
    return out.getvalue()


def test_the_new_keys_trade_the_same_account_and_the_old_key_is_refused(venue, caplog):
    caplog.set_level(logging.DEBUG)
    account, created = desk_account(venue, "reissue")
    old = venue.client(created)
    market(old, "BTCUSDT", "BUY", "0.002")
    balance, held = wallet(old), position(old, "BTCUSDT")

    shown = _reissue(account.name, venue)

    account = ExchangeAccount.objects.get(id=account.id)
    key = crypto.decrypt(account.api_key_encrypted)
    secret = crypto.decrypt(account.api_secret_encrypted)
    assert (key, secret) != (created["api_key"], created["api_secret"])
    assert f"API key:    {key}" in shown and shown.count(secret) == 1
    assert secret not in caplog.text and key not in caplog.text
    assert account.api_key_hint == crypto.mask(key)
    new = binance_client(venue.base_url, key, secret)
    assert wallet(new) == balance  # the same account: its wallet and position
    assert position(new, "BTCUSDT")["positionAmt"] == held["positionAmt"]
    with pytest.raises(BinanceAPIException) as refused:
        old.futures_account()
    assert refused.value.code == -2015


def test_an_unknown_or_live_account_is_refused_and_nothing_changes(venue):
    with pytest.raises(CommandError, match="no paper account 'nope'"):
        _reissue("nope", venue)
    account, _ = desk_account(venue, "live")
    ExchangeAccount.objects.filter(id=account.id).update(venue="binance")
    before = ExchangeAccount.objects.get(id=account.id).api_key_encrypted
    with pytest.raises(CommandError, match="no paper account"):
        _reissue(account.name, venue)
    assert ExchangeAccount.objects.get(id=account.id).api_key_encrypted == before
