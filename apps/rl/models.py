"""The sizing agent's durable state: its parameters, one statistic per (context, arm), every
decision and every reward, the calibrator's runs and the monitor's alerts.

Rewards and arm statistics are floats (scores); the PnL they come from stays Decimal.
"""

from django.db import models

from apps.pnl.models import Trade

MONEY = {"max_digits": 28, "decimal_places": 8}
MULT = {"max_digits": 6, "decimal_places": 2}


class AgentConfig(models.Model):
    """Singleton (pk=1): what the calibrator fits. `version` counts calibrations."""

    epsilon = models.FloatField(help_text="exploration rate of the epsilon-greedy policy")
    risk_aversion = models.FloatField(help_text="value of an arm = mean - risk_aversion x var")
    reward_clip = models.FloatField(default=1.0, help_text="rewards are clipped to +- this")
    multipliers = models.JSONField(help_text="the arms: size multipliers as decimal strings")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"agent v{self.version} eps={self.epsilon:.3f}"


class ArmStat(models.Model):
    """Welford running mean / variance of the rewards of one multiplier in one context."""

    context = models.CharField(max_length=64)
    multiplier = models.DecimalField(**MULT)
    n = models.PositiveIntegerField(default=0)
    mean = models.FloatField(default=0.0)
    m2 = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["context", "multiplier"]
        constraints = [
            models.UniqueConstraint(fields=["context", "multiplier"], name="rl_arm_once")
        ]

    def __str__(self) -> str:
        return f"{self.context} x{self.multiplier} n={self.n} mean={self.mean:.4f}"


class SizingDecision(models.Model):
    symbol = models.CharField(max_length=32)
    context = models.CharField(max_length=64)
    multiplier = models.DecimalField(**MULT)
    explored = models.BooleanField(default=False)
    confidence = models.DecimalField(max_digits=6, decimal_places=4)
    regime = models.CharField(max_length=16, blank=True)
    base_notional = models.DecimalField(**MONEY)
    notional = models.DecimalField(**MONEY, help_text="base x multiplier, within the hard cap")
    cap = models.DecimalField(**MONEY)
    capped = models.BooleanField(default=False)
    leverage = models.PositiveIntegerField(default=1)
    time_ms = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["symbol", "time_ms"], name="rl_decision_symbol_time")]

    def __str__(self) -> str:
        return f"{self.symbol} x{self.multiplier} ({self.context})"


class Reward(models.Model):
    """One closed trade of the ledger turned into a reward, once (unique per trade)."""

    trade = models.OneToOneField(Trade, on_delete=models.CASCADE, related_name="rl_reward")
    decision = models.OneToOneField(
        SizingDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="reward"
    )
    symbol = models.CharField(max_length=32)
    time_ms = models.BigIntegerField()
    realized_pnl = models.DecimalField(**MONEY)
    commission = models.DecimalField(**MONEY)
    funding = models.DecimalField(**MONEY)
    net_pnl = models.DecimalField(**MONEY, help_text="realized + commission + funding")
    risk_unit = models.DecimalField(**MONEY, help_text="initial margin of a 1.0x position")
    reward = models.FloatField(help_text="net_pnl / risk_unit, clipped")
    context = models.CharField(max_length=64, blank=True)
    multiplier = models.DecimalField(null=True, blank=True, **MULT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-time_ms", "-id"]
        indexes = [models.Index(fields=["symbol", "-time_ms"], name="rl_reward_symbol_time")]

    def __str__(self) -> str:
        return f"{self.symbol} {self.reward:+.4f} @{self.time_ms}"


class CalibrationRun(models.Model):
    rewards_used = models.PositiveIntegerField()
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    changes = models.JSONField(default=dict, help_text="parameter -> [before, after, why]")
    figures = models.JSONField(
        default=dict,
        help_text="changed parameter -> the figure it was fitted from over the rewards read:"
        " {value, n, se} (apps/rl/figures.py)",
    )
    through_ms = models.BigIntegerField(
        null=True, blank=True, help_text="time of the newest reward read: later trades are 'since'"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"calibration {self.created_at:%Y-%m-%d %H:%M} ({len(self.changes)} changes)"


class RLAlert(models.Model):
    symbol = models.CharField(max_length=32)
    kind = models.CharField(max_length=32)
    value = models.FloatField()
    threshold = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.symbol} {self.kind} {self.value:.4f}"
