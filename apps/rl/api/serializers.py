"""Input and output serializers of the rl API (the views in views.py use them)."""

from rest_framework import serializers

from apps.api.fields import symbol_filter
from apps.rl import figures as rl_figures
from apps.rl.models import CalibrationRun, Reward, RLAlert


class FigureOutput(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="null over no reward")
    n = serializers.IntegerField(help_text="rewards it is computed over")
    se = serializers.FloatField(allow_null=True, help_text="standard error (mean_reward only)")


class EffectOutput(serializers.Serializer):
    parameter = serializers.CharField()
    before = serializers.FloatField()
    after = serializers.FloatField()
    why = serializers.CharField(allow_blank=True)
    figure = serializers.ChoiceField(
        choices=[rl_figures.ROBUST_SIGMA, rl_figures.MEAN_REWARD],
        help_text="what the parameter was fitted from (docs/intelligence.md)",
    )
    at_change = FigureOutput(
        allow_null=True, help_text="the figure over the rewards the calibrator read"
    )
    since = FigureOutput(help_text="the same figure over the trades closed since")
    since_until_ms = serializers.IntegerField(
        allow_null=True, help_text="'since' ends where the next calibration read; null: now"
    )


class CalibrationOutput(serializers.ModelSerializer):
    before = serializers.DictField(help_text="the fitted parameters before the run")
    after = serializers.DictField(help_text="the fitted parameters after the run")
    changes = serializers.DictField(
        child=serializers.ListField(),
        help_text="parameter -> [before, after, why], only the parameters that moved",
    )
    effects = EffectOutput(
        many=True,
        read_only=True,
        help_text="each change with the figure it acted on and the same figure since",
    )

    class Meta:
        model = CalibrationRun
        fields = [
            "id",
            "rewards_used",
            "before",
            "after",
            "changes",
            "through_ms",
            "effects",
            "created_at",
        ]


class CalibrationsInput(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False,
        default=50,
        min_value=1,
        max_value=500,
        help_text="Runs to return, newest first (1-500, default 50); `count` is all.",
    )


class CalibrationPageOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="every calibration run on record")
    results = CalibrationOutput(many=True)


class AlertOutput(serializers.ModelSerializer):
    class Meta:
        model = RLAlert
        fields = ["symbol", "kind", "value", "threshold", "created_at"]


class ArmOutput(serializers.Serializer):
    multiplier = serializers.DecimalField(max_digits=6, decimal_places=2)
    n = serializers.IntegerField()
    mean = serializers.FloatField()
    std = serializers.FloatField()
    value = serializers.FloatField()


class ContextOutput(serializers.Serializer):
    context = serializers.CharField()
    best_multiplier = serializers.DecimalField(max_digits=6, decimal_places=2)
    arms = ArmOutput(many=True)


class AgentOutput(serializers.Serializer):
    epsilon = serializers.FloatField()
    risk_aversion = serializers.FloatField()
    reward_clip = serializers.FloatField()
    multipliers = serializers.ListField(child=serializers.CharField())
    version = serializers.IntegerField()
    hard_cap = serializers.DecimalField(max_digits=28, decimal_places=8)
    hard_cap_source = serializers.CharField()
    contexts = ContextOutput(many=True)
    decisions = serializers.IntegerField()
    rewards = serializers.IntegerField()
    last_calibration = CalibrationOutput(allow_null=True)
    open_alerts = AlertOutput(many=True)
    stats = serializers.DictField()


class RewardOutput(serializers.ModelSerializer):
    class Meta:
        model = Reward
        fields = [
            "id",
            "trade",
            "symbol",
            "time_ms",
            "realized_pnl",
            "commission",
            "funding",
            "net_pnl",
            "risk_unit",
            "reward",
            "context",
            "multiplier",
        ]


class RewardsInput(serializers.Serializer):
    symbol = symbol_filter()
