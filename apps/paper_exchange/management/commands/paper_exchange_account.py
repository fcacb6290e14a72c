"""`paper_exchange_account create NAME --balance 10000 [--db PATH] [--json]`, `list`, and
`reissue NAME [--db PATH] [--json]` (a new key and secret; the secret is printed once)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.paper_exchange.config import default_db_path
from apps.paper_exchange.services import (
    AccountExists,
    AccountMissing,
    NewKeys,
    account_create,
    account_keys_reissue,
    account_list,
)


class Command(BaseCommand):
    help = "Create or list paper-exchange accounts (the API secret is printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a funded account")
        create.add_argument("name")
        create.add_argument("--balance", default="10000", help="initial USDT deposit")
        create.add_argument("--db", type=Path, default=None)
        create.add_argument("--json", action="store_true", help="machine-readable output")
        reissue = sub.add_parser("reissue", help="a new API key and secret for an account")
        reissue.add_argument("name")
        reissue.add_argument("--db", type=Path, default=None)
        reissue.add_argument("--json", action="store_true", help="machine-readable output")
        listing = sub.add_parser("list", help="list accounts")
        listing.add_argument("--db", type=Path, default=None)
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        db_path = opts["db"] or default_db_path()
        if opts["action"] == "create":
            try:
                balance = Decimal(opts["balance"])
            except InvalidOperation:
                raise CommandError("--balance must be a number") from None
            if not balance.is_finite() or balance < 0:
                raise CommandError("--balance must be a non-negative number")
            try:
                account = account_create(db_path=db_path, name=opts["name"], balance=balance)
            except AccountExists:
                raise CommandError(f"account {opts['name']!r} already exists") from None
            self._issued(account, f"{account.balance} USDT", as_json=opts["json"])
            return
        if opts["action"] == "reissue":
            try:
                keys = account_keys_reissue(db_path=db_path, name=opts["name"])
            except AccountMissing:
                raise CommandError(f"no account {opts['name']!r} on the venue") from None
            self._issued(keys, "new key pair; the old key stops working", as_json=opts["json"])
            return
        rows = account_list(db_path=db_path)
        if opts["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            pending = "" if row["deposited"] else f" (deposit {row['deposit']} pending)"
            self.stdout.write(
                f"{row['id']:>4} {row['name']:<20} {row['api_key'][:12]}... "
                f"wallet {row['wallet']}{pending}"
            )

    def _issued(self, keys: NewKeys, what: str, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(keys.as_dict()))
            return
        self.stdout.write(
            f"account {keys.id} {keys.name}: {what}\n"
            f"API key:    {keys.api_key}\n"
            f"API secret: {keys.api_secret}\n"
            "The secret is shown once; store it in the desk's exchange account."
        )
