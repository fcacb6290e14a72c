"""API of the RL context: the agent's state and its rewards (read-only, from selectors)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.fields import symbol_filter
from apps.rl import selectors
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


class AgentView(APIView):
    @extend_schema(responses={200: AgentOutput})
    def get(self, request: Request) -> Response:
        state = selectors.agent_state()
        state["stats"] = {s: selectors.reward_stats_get(symbol=s) for s in settings.TRADING_SYMBOLS}
        return Response(AgentOutput(state).data)


class RewardsInput(serializers.Serializer):
    symbol = symbol_filter()


class RewardsView(ListAPIView):
    serializer_class = RewardOutput

    def get_queryset(self):
        params = RewardsInput(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.rewards_list(symbol=params.validated_data.get("symbol"))[:500]

    @extend_schema(parameters=[RewardsInput])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CalibrationsView(APIView):
    """The calibrator's history: each run's rewards used, parameters before/after, and why."""

    @extend_schema(parameters=[CalibrationsInput], responses={200: CalibrationPageOutput})
    def get(self, request: Request) -> Response:
        params = CalibrationsInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = selectors.calibrations_list()
        page = {"count": qs.count(), "results": qs[: params.validated_data["limit"]]}
        return Response(CalibrationPageOutput(page).data)
