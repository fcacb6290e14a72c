"""API of the strategy context: versions with their audit trail, evolution runs (progress)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from apps.models.api.views import IsStaffToWrite
from apps.strategy import selectors, services
from apps.strategy.backtest import FAMILIES
from apps.strategy.models import EvolutionRun, StrategyEvent, StrategyVersion


class EventOutput(serializers.ModelSerializer):
    class Meta:
        model = StrategyEvent
        fields = ["action", "from_status", "to_status", "replaced", "actor", "reason", "created_at"]


class VersionOutput(serializers.ModelSerializer):
    events = EventOutput(many=True)

    class Meta:
        model = StrategyVersion
        fields = [
            "id",
            "family",
            "params",
            "status",
            "search_score",
            "holdout_score",
            "evolution_run",
            "created_at",
            "events",
        ]


class RunOutput(serializers.ModelSerializer):
    class Meta:
        model = EvolutionRun
        fields = [
            "id",
            "family",
            "symbol",
            "status",
            "progress",
            "generation",
            "generations",
            "population",
            "best_score",
            "best_params",
            "holdout_score",
            "history",
            "search_bars",
            "holdout_bars",
            "result",
            "error",
            "created_at",
            "finished_at",
        ]


class VersionsView(ListAPIView):
    serializer_class = VersionOutput

    def get_queryset(self):
        return selectors.versions_list(status=self.request.query_params.get("status"))[:200]


class RunInput(serializers.Serializer):
    family = serializers.ChoiceField(choices=sorted(FAMILIES))
    symbol = serializers.CharField(max_length=32)
    seed = serializers.IntegerField(required=False, default=1)

    def validate_symbol(self, value: str) -> str:
        value = value.upper()
        if value not in settings.TRADING_SYMBOLS:
            raise serializers.ValidationError(f"not a traded symbol: {settings.TRADING_SYMBOLS}")
        return value


class RunsView(ListAPIView):
    """GET: evolution runs with progress. POST (staff) {"family", "symbol", "seed"?}: a pending
    EvolutionRun, handed to the research queue once committed."""

    serializer_class = RunOutput
    permission_classes = [IsStaffToWrite]

    def get_queryset(self):
        return selectors.runs_list()[:100]

    @extend_schema(request=RunInput, responses={201: RunOutput})
    def post(self, request: Request) -> Response:
        data = RunInput(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.evolution_run_create(**data.validated_data)
        return Response(RunOutput(run).data, status=status.HTTP_201_CREATED)
