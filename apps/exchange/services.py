"""Writes of the exchange context: accounts, their credentials and their polling schedule."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.exchange import crypto
from apps.exchange.models import ExchangeAccount, VenueKind

logger = logging.getLogger(__name__)

# The task is named, not imported: exchange sits below pnl and workers in the import graph.
POLL_TASK = "quantum.pnl.poll_account"


def poll_task_name(account: ExchangeAccount) -> str:
    return f"pnl: poll account {account.name}"


@transaction.atomic
def account_add(
    *, name: str, base_url: str, api_key: str, api_secret: str, paper: bool = False
) -> ExchangeAccount:
    if not api_key or not api_secret:
        raise ValueError("both the API key and the API secret are required")
    account = ExchangeAccount.objects.create(
        name=name,
        base_url=base_url.rstrip("/"),
        venue=VenueKind.PAPER if paper else VenueKind.BINANCE,
        api_key_encrypted=crypto.encrypt(api_key),
        api_secret_encrypted=crypto.encrypt(api_secret),
        api_key_hint=crypto.mask(api_key),
    )
    account_schedule_sync(account=account)
    logger.info("exchange account %s added (%s, key %s)", name, account.venue, account.api_key_hint)
    return account


@transaction.atomic
def account_active_set(*, account_id: int, active: bool) -> ExchangeAccount:
    """Activate or deactivate an account; its polling schedule follows."""
    account = ExchangeAccount.objects.select_for_update().get(id=account_id)
    account.is_active = active
    account.save(update_fields=["is_active", "updated_at"])
    account_schedule_sync(account=account)
    return account


def account_schedule_sync(*, account: ExchangeAccount) -> PeriodicTask:
    """The account's beat entry: a poll every PNL_POLL_INTERVAL_SECONDS, dropped (expires) if it
    could not start within one interval, enabled exactly while the account is active."""
    every = settings.PNL_POLL_INTERVAL_SECONDS
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=every, period=IntervalSchedule.SECONDS
    )
    kwargs = json.dumps({"account_id": account.id})
    # The entry is named after the account: a renamed account's entry under its old name would
    # go on polling it (twice per interval, and still after a deactivation).
    PeriodicTask.objects.filter(task=POLL_TASK, kwargs=kwargs).exclude(
        name=poll_task_name(account)
    ).delete()
    task, _ = PeriodicTask.objects.update_or_create(
        name=poll_task_name(account),
        defaults={
            "task": POLL_TASK,
            "interval": interval,
            "kwargs": kwargs,
            "expire_seconds": every,
            "enabled": account.is_active,
            "description": f"PnL tracker for exchange account {account.name} ({account.venue})",
        },
    )
    return task


@transaction.atomic
def account_credentials_set(*, account_id: int, api_key: str, api_secret: str) -> ExchangeAccount:
    """A new key pair for an account (a key rotated on the exchange): encrypted as `account_add`
    stores them; the next poll signs with it."""
    if not api_key or not api_secret:
        raise ValueError("both the API key and the API secret are required")
    account = ExchangeAccount.objects.select_for_update().get(id=account_id)
    account.api_key_encrypted = crypto.encrypt(api_key)
    account.api_secret_encrypted = crypto.encrypt(api_secret)
    account.api_key_hint = crypto.mask(api_key)
    account.save(
        update_fields=["api_key_encrypted", "api_secret_encrypted", "api_key_hint", "updated_at"]
    )
    logger.info("exchange account %s has a new key %s", account.name, account.api_key_hint)
    return account


def account_keys_rotate() -> int:
    """Re-encrypt every account's credentials with the first FIELD_ENCRYPTION_KEYS key."""
    rotated = 0
    for account_id in ExchangeAccount.objects.values_list("id", flat=True):
        with transaction.atomic():
            account = ExchangeAccount.objects.select_for_update().get(id=account_id)
            account.api_key_encrypted = crypto.rotate(account.api_key_encrypted)
            account.api_secret_encrypted = crypto.rotate(account.api_secret_encrypted)
            account.save(update_fields=["api_key_encrypted", "api_secret_encrypted", "updated_at"])
            rotated += 1
    return rotated


class PaperAccountError(Exception):
    pass


def _venue_command(args: list[str], *, venue_db: Path | None, refused: str) -> dict:
    """The paper venue's own `paper_exchange_account` command, its JSON answer. The venue is
    another system: it is reached the way an operator reaches an exchange, never imported."""
    argv = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "paper_exchange_account"]
    argv += [*args, "--json"]
    if venue_db is not None:
        argv += ["--db", str(venue_db)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise PaperAccountError(f"{refused}: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout)


def paper_account_ensure(
    *, name: str, base_url: str, balance: str = "10000", venue_db: Path | None = None
) -> tuple[ExchangeAccount, bool]:
    """The default funded paper account, created on the venue and registered here, once.
    Returns (account, created)."""
    existing = ExchangeAccount.objects.filter(name=name).first()
    if existing is not None:
        return existing, False
    created = _venue_command(
        ["create", name, "--balance", balance],
        venue_db=venue_db,
        refused=(
            f"the paper venue refused to create {name!r} (an account of that name on the venue "
            "whose secret the desk lost must be re-issued with `exchange_account reissue_paper`, "
            "or given another name)"
        ),
    )
    account = account_add(
        name=name,
        base_url=base_url,
        api_key=created["api_key"],
        api_secret=created["api_secret"],
        paper=True,
    )
    return account, True


def paper_account_reissue(
    *, name: str, venue_db: Path | None = None
) -> tuple[ExchangeAccount, str]:
    """A new key pair for the paper account `name`, issued by the venue and stored here
    (encrypted); the old key stops working. Returns (account, the new secret): the caller
    shows the secret once."""
    account = ExchangeAccount.objects.filter(name=name, venue=VenueKind.PAPER).first()
    if account is None:
        raise PaperAccountError(
            f"no paper account {name!r} on the desk (see exchange_account list)"
        )
    keys = _venue_command(
        ["reissue", name],
        venue_db=venue_db,
        refused=f"the paper venue refused to re-issue {name!r}",
    )
    with transaction.atomic():
        account = ExchangeAccount.objects.select_for_update().get(id=account.id)
        account.api_key_encrypted = crypto.encrypt(keys["api_key"])
        account.api_secret_encrypted = crypto.encrypt(keys["api_secret"])
        account.api_key_hint = crypto.mask(keys["api_key"])
        account.save(
            update_fields=[
                "api_key_encrypted",
                "api_secret_encrypted",
                "api_key_hint",
                "updated_at",
            ]
        )
    logger.info("paper account %s: keys re-issued (key %s)", name, account.api_key_hint)
    return account, keys["api_secret"]
