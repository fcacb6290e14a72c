"""`exchange_account add NAME --base-url URL [--paper]` (key and secret from the environment:
BINANCE_API_KEY / BINANCE_API_SECRET, never argv), `rekey NAME` (a new key pair, from the same
environment), `list`, `deactivate NAME`, `activate NAME`,
`rotate_keys`, `ensure_paper NAME --base-url URL [--balance 10000]`, `reissue_paper NAME` (a new
key pair from the venue, the secret printed once), `credentials NAME [--secret]`
(the account's API key; with --secret its secret too, decrypted for this one print and never
logged)."""

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from apps.exchange import crypto, services
from apps.exchange.models import ExchangeAccount


class Command(BaseCommand):
    help = "Manage the desk's exchange accounts (credentials are encrypted at rest)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register an account; key/secret from the environment")
        add.add_argument("name")
        add.add_argument("--base-url", required=True)
        add.add_argument("--paper", action="store_true", help="the venue is the paper exchange")
        sub.add_parser(
            "rekey", help="a new key pair for an account; key/secret from the environment"
        ).add_argument("name")
        sub.add_parser("list")
        for action in ("deactivate", "activate"):
            sub.add_parser(action).add_argument("name")
        sub.add_parser("rotate_keys", help="re-encrypt credentials with the first key")
        paper = sub.add_parser(
            "ensure_paper", help="create a funded paper-venue account and register it, once"
        )
        paper.add_argument("name", nargs="?", default="paper-desk")
        paper.add_argument("--base-url", required=True)
        paper.add_argument("--balance", default="10000")
        paper.add_argument("--venue-db", type=Path, default=None)
        reissue = sub.add_parser(
            "reissue_paper", help="a new key and secret for a paper account (secret shown once)"
        )
        reissue.add_argument("name", nargs="?", default="paper-desk")
        reissue.add_argument("--venue-db", type=Path, default=None)
        creds = sub.add_parser(
            "credentials", help="show an account's API key (and, with --secret, its secret)"
        )
        creds.add_argument("name", nargs="?", default="paper-desk")
        creds.add_argument(
            "--secret", action="store_true", help="print the API secret too (to this terminal)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "add":
            key, secret = self._env_credentials()
            try:
                account = services.account_add(
                    name=opts["name"],
                    base_url=opts["base_url"],
                    api_key=key,
                    api_secret=secret,
                    paper=opts["paper"],
                )
            except IntegrityError:
                raise CommandError(f"account {opts['name']!r} already exists") from None
            self.stdout.write(f"added {account.name} ({account.venue}) key {account.api_key_hint}")
        elif action == "list":
            for account in ExchangeAccount.objects.all():
                state = "active" if account.is_active else "inactive"
                self.stdout.write(
                    f"{account.id:>4} {account.name:<24} {account.venue:<8} {state:<8} "
                    f"{account.base_url} key {account.api_key_hint}"
                )
        elif action == "rekey":
            key, secret = self._env_credentials()
            account = self._account(opts["name"])
            account = services.account_credentials_set(
                account_id=account.id, api_key=key, api_secret=secret
            )
            self.stdout.write(f"{account.name} now signs with key {account.api_key_hint}")
        elif action in ("deactivate", "activate"):
            account = self._account(opts["name"])
            services.account_active_set(account_id=account.id, active=action == "activate")
            self.stdout.write(f"{action}d {account.name}")
        elif action == "rotate_keys":
            self.stdout.write(f"re-encrypted {services.account_keys_rotate()} account(s)")
        elif action == "ensure_paper":
            try:
                account, created = services.paper_account_ensure(
                    name=opts["name"],
                    base_url=opts["base_url"],
                    balance=opts["balance"],
                    venue_db=opts["venue_db"],
                )
            except services.PaperAccountError as exc:
                raise CommandError(str(exc)) from None
            verb = "created and registered" if created else "already registered"
            self.stdout.write(f"paper account {account.name} {verb} (key {account.api_key_hint})")
        elif action == "reissue_paper":
            try:
                account, secret = services.paper_account_reissue(
                    name=opts["name"], venue_db=opts["venue_db"]
                )
            except services.PaperAccountError as exc:
                raise CommandError(str(exc)) from None
            self._credentials(account.name, show_secret=False)
            self.stdout.write(f"API secret: {secret}")
            self.stdout.write(
                "A new key pair: the old key stops working. The secret is shown once here "
                "(`credentials --secret` shows it again); keep it out of shell history and logs."
            )
        elif action == "credentials":
            self._credentials(opts["name"], show_secret=opts["secret"])

    @staticmethod
    def _env_credentials() -> tuple[str, str]:
        key = os.environ.get("BINANCE_API_KEY", "")
        secret = os.environ.get("BINANCE_API_SECRET", "")
        if not key or not secret:
            raise CommandError("set BINANCE_API_KEY and BINANCE_API_SECRET in the environment")
        return key, secret

    @staticmethod
    def _account(name: str) -> ExchangeAccount:
        account = ExchangeAccount.objects.filter(name=name).first()
        if account is None:
            raise CommandError(f"no account {name!r} (`exchange_account list` shows them)")
        return account

    def _credentials(self, name: str, *, show_secret: bool) -> None:
        """Decrypted here for this print only: stdout, never the log (the key is a credential
        too, so it is printed only in this command's answer)."""
        account = self._account(name)
        try:
            api_key = crypto.decrypt(account.api_key_encrypted)
            api_secret = crypto.decrypt(account.api_secret_encrypted) if show_secret else None
        except crypto.DecryptionFailed as exc:
            raise CommandError(f"account {name!r}: {exc}") from None
        self.stdout.write(f"account {account.name} ({account.venue}) at {account.base_url}")
        self.stdout.write(f"API key:    {api_key}")
        if api_secret is None:
            self.stdout.write(
                "API secret: encrypted at rest; add --secret to print it (to this terminal only)"
            )
        else:
            self.stdout.write(f"API secret: {api_secret}")
            self.stdout.write("Keep it out of shell history, logs and tickets.")
