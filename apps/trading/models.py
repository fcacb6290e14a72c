"""The trading desk's durable state: position intents (the PIL), the orders and positions seen on
the exchange, the risk policy and the desk's mode (docs/trading.md).

Quantities and money are Decimal columns; a decision is a row before it is an order.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from apps.exchange.models import ExchangeAccount

MONEY = {"max_digits": 28, "decimal_places": 8}
QTY = {"max_digits": 28, "decimal_places": 10}
PCT = {"max_digits": 8, "decimal_places": 4}


class Side(models.TextChoices):
    BUY = "BUY"
    SELL = "SELL"


class IntentAction(models.TextChoices):
    OPEN = "OPEN"
    ADD = "ADD"
    REDUCE = "REDUCE"
    CLOSE = "CLOSE"


class IntentState(models.TextChoices):
    NEW = "NEW"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUBMITTING = "SUBMITTING"  # claimed by one executor; the order may or may not be on the venue
    SUBMITTED = "SUBMITTED"  # the venue has it, not (fully) filled yet
    FILLED = "FILLED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"  # final: the rest expired or was cancelled
    FAILED = "FAILED"


# States in which an intent may still turn into (more) exchange activity.
IN_FLIGHT_STATES = (
    IntentState.NEW,
    IntentState.APPROVED,
    IntentState.SUBMITTING,
    IntentState.SUBMITTED,
)
# States whose executed quantity is part of the position (the ledger invariant, docs/trading.md).
FILLED_STATES = (IntentState.FILLED, IntentState.PARTIALLY_FILLED, IntentState.SUBMITTED)


class PositionIntent(models.Model):
    """One decision to open, add to, reduce or close a position, logged before anything is sent.

    `client_order_id` is derived from the id (`qt-<id>-<n>`) and unique, so the venue can be
    asked "did you get this one?" after a timeout, and two executions can never be two orders.
    """

    account = models.ForeignKey(ExchangeAccount, on_delete=models.PROTECT, related_name="+")
    symbol = models.CharField(max_length=32)
    side = models.CharField(max_length=4, choices=Side.choices)
    action = models.CharField(max_length=8, choices=IntentAction.choices)
    quantity = models.DecimalField(**QTY)
    leverage = models.PositiveIntegerField(default=1)
    reduce_only = models.BooleanField(default=False)
    reason = models.CharField(max_length=64, help_text="signal, take_profit, flatten, adopted…")
    confidence = models.DecimalField(max_digits=6, decimal_places=4, default=Decimal(0))
    signal = models.JSONField(default=dict, blank=True, help_text="the signal snapshot")
    reference_price = models.DecimalField(null=True, blank=True, **MONEY)
    risk_verdict = models.CharField(max_length=16, blank=True)
    risk_reason = models.TextField(blank=True)
    state = models.CharField(
        max_length=20, choices=IntentState.choices, default=IntentState.NEW, db_index=True
    )
    client_order_id = models.CharField(max_length=36, unique=True, null=True, blank=True)
    send_seq = models.PositiveIntegerField(default=1)
    # While SUBMITTING, the executor holding the intent; a later one may take over after it.
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    order_id = models.BigIntegerField(null=True, blank=True)
    executed_qty = models.DecimalField(default=Decimal(0), **QTY)
    avg_price = models.DecimalField(null=True, blank=True, **MONEY)
    realized_pnl = models.DecimalField(null=True, blank=True, **MONEY)
    error_code = models.IntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "symbol", "state"], name="trading_intent_sym_state"),
            models.Index(fields=["state", "updated_at"], name="trading_intent_state_upd"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.action} {self.side} {self.quantity} {self.symbol} [{self.state}]"

    @property
    def signed_executed(self) -> Decimal:
        return self.executed_qty if self.side == Side.BUY else -self.executed_qty


class ExchangeOrder(models.Model):
    """An order as the exchange reports it (GET /fapi/v1/allOrders), ours or not."""

    account = models.ForeignKey(ExchangeAccount, on_delete=models.CASCADE, related_name="+")
    symbol = models.CharField(max_length=32)
    order_id = models.BigIntegerField()
    client_order_id = models.CharField(max_length=64, blank=True, db_index=True)
    intent = models.ForeignKey(
        PositionIntent, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    side = models.CharField(max_length=4)
    type = models.CharField(max_length=32)
    status = models.CharField(max_length=20)
    orig_qty = models.DecimalField(**QTY)
    executed_qty = models.DecimalField(**QTY)
    avg_price = models.DecimalField(**MONEY)
    reduce_only = models.BooleanField(default=False)
    external = models.BooleanField(default=False, help_text="placed outside the desk")
    update_time = models.DateTimeField()
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-order_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "order_id"], name="trading_order_once")
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.side} {self.orig_qty} #{self.order_id} {self.status}"


class Position(models.Model):
    """The exchange's position per symbol as last reconciled, with the exit brain's levels."""

    account = models.ForeignKey(ExchangeAccount, on_delete=models.CASCADE, related_name="+")
    symbol = models.CharField(max_length=32)
    amount = models.DecimalField(**QTY, help_text="signed: + long, - short")
    entry_price = models.DecimalField(**MONEY)
    mark_price = models.DecimalField(**MONEY)
    unrealized_pnl = models.DecimalField(**MONEY)
    leverage = models.PositiveIntegerField(default=1)
    entries = models.PositiveIntegerField(default=1, help_text="opens + adds since flat")
    take_profit = models.DecimalField(null=True, blank=True, **MONEY)
    stop_loss = models.DecimalField(null=True, blank=True, **MONEY)
    trailing_pct = models.DecimalField(null=True, blank=True, **PCT)
    best_price = models.DecimalField(null=True, blank=True, **MONEY)
    trailing_stop = models.DecimalField(null=True, blank=True, **MONEY)
    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.UniqueConstraint(fields=["account", "symbol"], name="trading_position_once")
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.amount} @ {self.entry_price}"


class RiskTier(models.TextChoices):
    CONSERVATIVE = "CONSERVATIVE"
    BALANCED = "BALANCED"
    AGGRESSIVE = "AGGRESSIVE"


# tier -> (max leverage, min confidence): domain.md's one table, not three disagreeing ones.
TIER_LIMITS: dict[str, tuple[int, Decimal]] = {
    RiskTier.CONSERVATIVE: (10, Decimal("0.75")),
    RiskTier.BALANCED: (20, Decimal("0.65")),
    RiskTier.AGGRESSIVE: (30, Decimal("0.55")),
}


class RiskPolicy(models.Model):
    """The one risk policy (a singleton row, pk=1), edited in the admin. Enforced before every
    order that adds risk; reduce-only orders are always allowed (they only take risk off)."""

    tier = models.CharField(max_length=16, choices=RiskTier.choices, default=RiskTier.BALANCED)
    max_positions_total = models.PositiveIntegerField(default=10)
    max_entries_per_symbol = models.PositiveIntegerField(
        default=3, help_text="opens + adds per symbol position (one-way mode: one position)"
    )
    max_exposure_total = models.DecimalField(default=Decimal("5000"), **MONEY)
    max_exposure_per_symbol = models.DecimalField(default=Decimal("1000"), **MONEY)
    max_leverage = models.PositiveIntegerField(
        default=20, help_text="further capped by the tier's maximum"
    )
    max_daily_loss = models.DecimalField(default=Decimal("250"), **MONEY)
    max_drawdown_pct = models.DecimalField(default=Decimal("4"), **PCT)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "risk policy"

    def __str__(self) -> str:
        return f"risk policy ({self.tier})"

    @property
    def effective_max_leverage(self) -> int:
        return min(self.max_leverage, TIER_LIMITS[self.tier][0])

    @property
    def min_confidence(self) -> Decimal:
        return TIER_LIMITS[self.tier][1]


class DeskMode(models.TextChoices):
    NORMAL = "normal"
    DEFENSIVE = "defensive"  # no new positions, no adds; exits and reductions only
    HALT = "halt"  # nothing that adds risk, at once (checked again right before each send)


class DeskState(models.Model):
    """The desk's mode and kill switch (singleton, pk=1), plus the equity marks the drawdown and
    daily-loss limits are measured from."""

    mode = models.CharField(max_length=16, choices=DeskMode.choices, default=DeskMode.NORMAL)
    kill_switch = models.BooleanField(default=False)
    reason = models.CharField(max_length=255, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    equity_peak = models.DecimalField(null=True, blank=True, **MONEY)
    day = models.DateField(null=True, blank=True)
    day_start_equity = models.DecimalField(null=True, blank=True, **MONEY)
    equity = models.DecimalField(null=True, blank=True, **MONEY)

    class Meta:
        verbose_name_plural = "desk state"

    def __str__(self) -> str:
        return f"desk {self.mode}{' KILL SWITCH' if self.kill_switch else ''}"

    @property
    def allows_new_risk(self) -> bool:
        return not self.kill_switch and self.mode == DeskMode.NORMAL


class DeskEvent(models.Model):
    """Audit trail of mode / kill switch changes and flattens."""

    action = models.CharField(max_length=32)
    detail = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.action} at {self.created_at}"


class BackstopStatus(models.TextChoices):
    PENDING = "PENDING"  # row written; the venue may or may not have the order yet
    OPEN = "OPEN"  # working on the venue
    TRIGGERED = "TRIGGERED"  # fired: the venue closed the position
    CANCELED = "CANCELED"  # withdrawn (position closed by the desk, or its entry moved)
    FAILED = "FAILED"  # refused by the venue (its code and message are kept)


LIVE_BACKSTOP_STATES = (BackstopStatus.PENDING, BackstopStatus.OPEN)


class Backstop(models.Model):
    """A wide exchange-side STOP_MARKET closePosition per open position: it closes the position
    on the venue if the desk (and so its monitor's stop loss) is down. `qb-<id>` is its
    clientAlgoId, so the venue can be asked about it after a timeout (docs/trading.md)."""

    account = models.ForeignKey(ExchangeAccount, on_delete=models.PROTECT, related_name="+")
    symbol = models.CharField(max_length=32)
    side = models.CharField(max_length=4, choices=Side.choices, help_text="the closing side")
    trigger_price = models.DecimalField(**MONEY, help_text="by the mark price")
    entry_price = models.DecimalField(**MONEY, help_text="the position's entry it was set from")
    status = models.CharField(
        max_length=12, choices=BackstopStatus.choices, default=BackstopStatus.PENDING
    )
    algo_id = models.BigIntegerField(null=True, blank=True)
    order_id = models.BigIntegerField(null=True, blank=True, help_text="the order it fired")
    intent = models.ForeignKey(
        PositionIntent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the intent that records the close it made",
    )
    error_code = models.IntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "symbol", "status"], name="trading_backstop_live")
        ]

    def __str__(self) -> str:
        return (
            f"{self.client_algo_id} {self.symbol} {self.side} @{self.trigger_price} {self.status}"
        )

    @property
    def client_algo_id(self) -> str:
        return backstop_client_id(self.id)


BACKSTOP_PREFIX = "qb-"


def backstop_client_id(backstop_id: int) -> str:
    return f"{BACKSTOP_PREFIX}{backstop_id}"


def backstop_id_from(client_id: str) -> int | None:
    """The backstop a venue order came from (its clientOrderId is the backstop's clientAlgoId)."""
    rest = client_id.removeprefix(BACKSTOP_PREFIX)
    return int(rest) if rest != client_id and rest.isdigit() else None
