"""Reads of the exchange context."""

from apps.exchange.models import ExchangeAccount


def account_default() -> ExchangeAccount | None:
    """The account whose rewards the PnL poll publishes for the RL monitor: the first active
    one (the dashboard's default is every active account, aggregated)."""
    return ExchangeAccount.objects.filter(is_active=True).order_by("id").first()


def accounts_active() -> list[ExchangeAccount]:
    """The accounts an aggregate reads ("all accounts", the dashboard's default), by id."""
    return list(ExchangeAccount.objects.filter(is_active=True).order_by("id"))
