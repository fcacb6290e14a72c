"""Reads of the exchange context."""

from apps.exchange.models import ExchangeAccount


def account_default() -> ExchangeAccount | None:
    """The account the dashboard reads when none is asked for: the first active one."""
    return ExchangeAccount.objects.filter(is_active=True).order_by("id").first()
