"""API of the RL context: the agent's state and its rewards (read-only, from selectors)."""

from django.conf import settings
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.rl import selectors
from apps.rl.models import CalibrationRun, Reward, RLAlert


class CalibrationOutput(serializers.ModelSerializer):
    class Meta:
        model = CalibrationRun
        fields = ["id", "rewards_used", "before", "after", "changes", "created_at"]


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


class AgentView(APIView):
    def get(self, request: Request) -> Response:
        state = selectors.agent_state()
        state["stats"] = {s: selectors.reward_stats_get(symbol=s) for s in settings.TRADING_SYMBOLS}
        return Response(AgentOutput(state).data)


class RewardsView(ListAPIView):
    serializer_class = RewardOutput

    def get_queryset(self):
        return selectors.rewards_list(symbol=self.request.query_params.get("symbol"))[:500]
