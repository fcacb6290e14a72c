"""Input and output serializers of the models API (the views in views.py use them)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.api.fields import symbol_filter
from apps.models import selectors
from apps.models.models import ModelKind, ModelVersion, Prediction, RegimeObservation, TrainingRun


class TrainingRunOutput(serializers.ModelSerializer):
    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "stage",
            "folds",
            "model_version",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        # output only: every field is always sent (the schema marks them required)
        read_only_fields = fields


# The hold-out report (apps/models/evaluation.py) as the schema describes it: a stored JSON, so
# every key is optional (versions trained before base rates were kept carry only some).
def _floats(**kw) -> serializers.ListField:
    return serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2, **kw)


class HoldoutBaselineOutput(serializers.Serializer):
    accuracy = serializers.FloatField()
    brier = serializers.FloatField()
    log_loss = serializers.FloatField(
        allow_null=True, help_text="null: unbounded (a sure forecast that is ever wrong)"
    )
    p_up = serializers.FloatField(required=False)


class BestBaseOutput(serializers.Serializer):
    name = serializers.CharField()
    accuracy = serializers.FloatField()


class LogLossVsOutput(serializers.Serializer):
    baseline = serializers.CharField()
    diff = serializers.FloatField()
    ci = _floats()


class HoldoutReportOutput(serializers.Serializer):
    n = serializers.IntegerField(required=False)
    n_effective = serializers.FloatField(required=False)
    accuracy = serializers.FloatField(required=False)
    accuracy_ci = _floats(required=False)
    ci_level = serializers.FloatField(required=False)
    brier = serializers.FloatField(required=False)
    brier_skill = serializers.FloatField(required=False)
    log_loss = serializers.FloatField(required=False)
    base_rate_up = serializers.FloatField(required=False)
    baselines = serializers.DictField(child=HoldoutBaselineOutput(), required=False)
    best_base = BestBaseOutput(required=False)
    edge = serializers.BooleanField(required=False)
    log_loss_vs = LogLossVsOutput(required=False)
    probability_skill = serializers.BooleanField(required=False)
    verdict = serializers.ChoiceField(choices=["edge", "no edge"], required=False)


@extend_schema_field(HoldoutReportOutput)
class HoldoutReportField(serializers.JSONField):
    """ModelVersion.metrics as stored, described in the schema by HoldoutReportOutput."""


class ModelOutput(serializers.ModelSerializer):
    metrics = HoldoutReportField(help_text="hold-out metrics at training time")
    verdict = serializers.SerializerMethodField(
        help_text="hold-out verdict: 'edge' when the accuracy interval's lower bound is above the"
        " best base rate (always-up, always-down, coin flip; metrics.baselines), else 'no edge';"
        " 'not evaluated' for versions trained before base rates were stored"
    )

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "kind",
            "status",
            "weight",
            "params",
            "metrics",
            "verdict",
            "live_metrics",
            "artifact_sha256",
            "created_at",
            "status_changed_at",
        ]
        # output only: every field is always sent (the schema marks them required)
        read_only_fields = fields

    def get_verdict(self, version: ModelVersion) -> str:
        return selectors.model_verdict(version=version)


class PredictionOutput(serializers.ModelSerializer):
    class Meta:
        model = Prediction
        fields = [
            "id",
            "model_version",
            "symbol",
            "as_of_ms",
            "horizon",
            "prob_up",
            "direction",
            "price",
            "scored_at",
            "outcome_up",
            "correct",
            "brier",
            "pnl",
        ]


class RegimeOutput(serializers.ModelSerializer):
    class Meta:
        model = RegimeObservation
        fields = ["symbol", "regime", "as_of_ms", "stats", "created_at"]


class ModelsOutput(serializers.Serializer):
    models = ModelOutput(many=True)
    training_runs = TrainingRunOutput(many=True)


class RegimesInput(serializers.Serializer):
    symbol = symbol_filter("Symbol whose history to list (newest 200).")


class PredictionsInput(serializers.Serializer):
    symbol = symbol_filter()
    # A bigger id cannot exist and would overflow the database's integer.
    model = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class RegimesOutput(serializers.Serializer):
    latest = RegimeOutput(many=True, help_text="the latest regime of every traded symbol")
    history = RegimeOutput(many=True, help_text="the symbol's history; empty without ?symbol=")


class TrainInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ModelKind.choices)
