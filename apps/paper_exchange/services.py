"""Writes done outside the server process (management commands): accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .clock import wall_ms
from .storage import Store


@dataclass(frozen=True)
class NewKeys:
    """An account's key pair as issued: the only time the secret leaves the venue's file."""

    id: int
    name: str
    api_key: str
    api_secret: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "api_key": self.api_key,
            "api_secret": self.api_secret,
        }


@dataclass(frozen=True)
class NewAccount(NewKeys):
    balance: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "balance": str(self.balance), "asset": "USDT"}


class AccountExists(Exception):
    pass


def account_create(*, db_path: Path, name: str, balance: Decimal) -> NewAccount:
    """A funded account. The secret is stored in clear in the venue's own file (mode 0600): the
    venue must recompute HMACs, as Binance does; it is a paper venue holding no real money."""
    store = Store(db_path)
    try:
        if any(row["name"] == name for row in store.account_rows()):
            raise AccountExists(name)
        api_key = secrets.token_hex(32)
        api_secret = secrets.token_hex(32)
        account_id = store.insert_account(
            name=name, api_key=api_key, api_secret=api_secret, deposit=balance, now_ms=wall_ms()
        )
    finally:
        store.close()
    return NewAccount(account_id, name, api_key, api_secret, balance)


class AccountMissing(Exception):
    pass


def account_keys_reissue(*, db_path: Path, name: str) -> NewKeys:
    """A new API key and secret for the account `name`, as Binance issues a new key pair. A
    running venue hands the account to the new key at that key's first request, and from then
    on refuses the old one (engine.Engine.account_for_key); a stopped one at its start."""
    store = Store(db_path)
    try:
        api_key, api_secret = secrets.token_hex(32), secrets.token_hex(32)
        account_id = store.set_keys(name=name, api_key=api_key, api_secret=api_secret)
    finally:
        store.close()
    if account_id is None:
        raise AccountMissing(name)
    return NewKeys(account_id, name, api_key, api_secret)


def account_list(*, db_path: Path) -> list[dict[str, Any]]:
    store = Store(db_path)
    try:
        return store.account_rows()
    finally:
        store.close()
