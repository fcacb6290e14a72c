"""Equity marks: the account's margin balance, its peak and the UTC day's first balance, which
the drawdown and daily-loss limits of the risk policy are measured from (docs/trading.md)."""

from __future__ import annotations

from django.db import transaction

from apps.core.timeutil import utcnow
from apps.exchange.models import ExchangeAccount
from apps.exchange.reports import AccountReport
from apps.trading import selectors
from apps.trading.models import DeskState


def equity_note(*, account: ExchangeAccount, state: AccountReport) -> None:
    """Equity marks for the drawdown and daily-loss limits (one desk: the sum would be the
    right figure for several accounts; we keep the trading account's)."""
    equity = state.margin_balance
    today = utcnow().date()
    with transaction.atomic():
        desk = DeskState.objects.select_for_update().get(pk=selectors.desk_get().pk)
        desk.equity = equity
        desk.equity_peak = max(desk.equity_peak or equity, equity)
        if desk.day != today or desk.day_start_equity is None:
            desk.day, desk.day_start_equity = today, equity
        desk.save(update_fields=["equity", "equity_peak", "day", "day_start_equity"])
