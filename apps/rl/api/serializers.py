"""Input and output serializers of the rl API (the views in views.py use them)."""

from rest_framework import serializers

from apps.api.fields import symbol_filter
from apps.rl.models import CalibrationRun, Reward, RLAlert


class CalibrationOutput(serializers.ModelSerializer):
    before = serializers.DictField(help_text="the fitted parameters before the run")
    after = serializers.DictField(help_text="the fitted parameters after the run")
    changes = serializers.DictField(
        child=serializers.ListField(),
        help_text="parameter -> [before, after, why], only the parameters that moved",
    )

    class Meta:
        model = CalibrationRun
        fields = ["id", "rewards_used", "before", "after", "changes", "created_at"]


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
