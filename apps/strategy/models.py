"""Strategies: versions with a lifecycle and an audit trail, outcomes per strategy x regime
(memory), the brain's picks, and evolution runs with visible progress."""

from django.db import models

MONEY = {"max_digits": 28, "decimal_places": 8}


class VersionStatus(models.TextChoices):
    CANDIDATE = "candidate"
    ACTIVE = "active"
    RETIRED = "retired"


class StrategyVersion(models.Model):
    family = models.CharField(max_length=32, help_text="ma_cross, mean_revert")
    params = models.JSONField()
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.CANDIDATE
    )
    search_score = models.FloatField(null=True, blank=True)
    holdout_score = models.FloatField(null=True, blank=True)
    evolution_run = models.ForeignKey(
        "EvolutionRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    validation = models.JSONField(
        default=dict,
        blank=True,
        help_text="walk-forward, deflated Sharpe, hold-out and the incumbent's figures"
        " (docs/intelligence.md)",
    )
    live_check = models.JSONField(
        default=dict,
        blank=True,
        help_text="the last live check of an active version against the one it replaced",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.family} v{self.id} {self.params} ({self.status})"


class StrategyEvent(models.Model):
    """Audit trail of strategy ops: every status change, who, why, and what it replaced."""

    version = models.ForeignKey(StrategyVersion, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(
        max_length=16, help_text="promote, retire, rollback, review (an automatic judgement)"
    )
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    replaced = models.ForeignKey(
        StrategyVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    detail = models.JSONField(
        default=dict, blank=True, help_text="the figures and the test behind an automatic decision"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.action} v{self.version_id} {self.from_status}->{self.to_status}"


class StrategyOutcome(models.Model):
    """One closed trade's outcome attributed to the strategy version and regime it ran under."""

    version = models.ForeignKey(StrategyVersion, on_delete=models.CASCADE, related_name="outcomes")
    trade = models.OneToOneField(
        "pnl.Trade",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="strategy_outcome",
        help_text="the closed trade of the ledger it came from (once per trade)",
    )
    symbol = models.CharField(max_length=32)
    regime = models.CharField(max_length=16)
    pnl = models.DecimalField(**MONEY)
    reward = models.FloatField()
    time_ms = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["version", "regime"], name="strategy_outcome_vr")]

    def __str__(self) -> str:
        return f"v{self.version_id} {self.regime} {self.reward:+.4f}"


class StrategyChoice(models.Model):
    """What the brain picked for a symbol, from which regime and memory, and why."""

    symbol = models.CharField(max_length=32)
    regime = models.CharField(max_length=16)
    version = models.ForeignKey(
        StrategyVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scores = models.JSONField(default=dict)
    reason = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.symbol} {self.regime} -> {self.version_id}"


class EvolutionRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        OK = "ok"
        ERROR = "error"

    family = models.CharField(max_length=32)
    symbol = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0, help_text="percent")
    stage = models.CharField(max_length=64, blank=True, help_text="fold or search, generation")
    generation = models.PositiveSmallIntegerField(default=0)
    generations = models.PositiveSmallIntegerField()
    population = models.PositiveSmallIntegerField()
    seed = models.IntegerField(default=1)
    search_bars = models.PositiveIntegerField(default=0)
    holdout_bars = models.PositiveIntegerField(default=0)
    best_score = models.FloatField(null=True, blank=True, help_text="best search score so far")
    best_params = models.JSONField(default=dict, blank=True)
    holdout_score = models.FloatField(null=True, blank=True, help_text="best, on unseen bars")
    history = models.JSONField(default=list, blank=True, help_text="best score per generation")
    folds = models.JSONField(
        default=list, blank=True, help_text="walk-forward folds so far: train/test bars and scores"
    )
    validation = models.JSONField(default=dict, blank=True, help_text="as the version's")
    result = models.ForeignKey(
        StrategyVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"evolve {self.family} {self.symbol} {self.status} {self.progress}%"
