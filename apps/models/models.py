"""Durable records of the desk's intelligence: regimes, model versions, training runs,
predictions with their scores, and the supervisor's decisions.

Scores (probabilities, Brier, weights) are floats: statistics, never money. Money-like
attributions (PnL a prediction would have earned on the unit notional) are Decimal.
"""

from django.db import models

MONEY = {"max_digits": 28, "decimal_places": 8}


class RegimeObservation(models.Model):
    """The meta regime of a symbol as of one closed kline (old meta_regime service)."""

    symbol = models.CharField(max_length=32)
    regime = models.CharField(max_length=16)
    as_of_ms = models.BigIntegerField(help_text="open time of the last closed kline judged")
    stats = models.JSONField(default=dict, help_text="vol_ratio, trend_score, sigma")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of_ms"]
        constraints = [
            models.UniqueConstraint(fields=["symbol", "as_of_ms"], name="regime_once_per_bar")
        ]
        indexes = [models.Index(fields=["symbol", "-as_of_ms"], name="regime_symbol_recent")]

    def __str__(self) -> str:
        return f"{self.symbol} {self.regime} @{self.as_of_ms}"


class ModelKind(models.TextChoices):
    LOGREG = "logreg", "logistic regression"
    HGB = "hgb", "histogram gradient boosting"


class ModelStatus(models.TextChoices):
    LIVE = "live"
    DEMOTED = "demoted"


class ModelVersion(models.Model):
    """One trained model: its artifact (joblib under VAR_DIR/models, sha256-checked on load),
    hold-out metrics from training, and live metrics and weight from the supervisor."""

    kind = models.CharField(max_length=16, choices=ModelKind.choices)
    params = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict, help_text="hold-out metrics at training time")
    live_metrics = models.JSONField(default=dict, help_text="supervisor: rolling live scores")
    weight = models.FloatField(default=1.0, help_text="ensemble weight from measured skill")
    artifact_path = models.CharField(max_length=255)
    artifact_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=ModelStatus.choices, default=ModelStatus.LIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} v{self.id} ({self.status})"


class TrainingRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        OK = "ok"
        ERROR = "error"

    kind = models.CharField(max_length=16, choices=ModelKind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0, help_text="percent")
    stage = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    folds = models.JSONField(
        default=list, blank=True, help_text="walk-forward folds so far: sizes and scores"
    )
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"train {self.kind} #{self.id} {self.status} {self.progress}%"


class Prediction(models.Model):
    """One live prediction, scored once the market has moved `horizon` bars past it."""

    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="predictions"
    )
    symbol = models.CharField(max_length=32)
    as_of_ms = models.BigIntegerField(help_text="open time of the last closed kline used")
    horizon = models.PositiveSmallIntegerField()
    prob_up = models.FloatField()
    direction = models.SmallIntegerField(help_text="+1 / -1: the side the model favours")
    price = models.DecimalField(**MONEY, help_text="close of the as_of kline")
    created_at = models.DateTimeField(auto_now_add=True)
    # Filled by the scorer.
    scored_at = models.DateTimeField(null=True, blank=True)
    outcome_up = models.BooleanField(null=True, blank=True)
    correct = models.BooleanField(null=True, blank=True)
    brier = models.FloatField(null=True, blank=True)
    pnl = models.DecimalField(
        null=True, blank=True, **MONEY, help_text="direction x move x unit notional (USDT)"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_version", "symbol", "as_of_ms"], name="prediction_once_per_bar"
            )
        ]
        indexes = [models.Index(fields=["scored_at", "symbol"], name="prediction_unscored")]

    def __str__(self) -> str:
        return f"{self.model_version_id} {self.symbol} p={self.prob_up:.3f} @{self.as_of_ms}"


class ModelEvent(models.Model):
    """Audit of the supervisor: demotions, weight changes, supersessions."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=32)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.model_version_id}"
