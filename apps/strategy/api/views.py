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
from apps.strategy.models import EvolutionRun, StrategyEvent, StrategyVersion, VersionStatus


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


class VersionsInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=VersionStatus.choices, required=False)


class VersionsView(ListAPIView):
    serializer_class = VersionOutput

    def get_queryset(self):
        params = VersionsInput(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.versions_list(status=params.validated_data.get("status"))[:200]

    @extend_schema(parameters=[VersionsInput])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TradedSymbolField(serializers.ChoiceField):
    """One of TRADING_SYMBOLS, case-insensitive."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=settings.TRADING_SYMBOLS, **kwargs)
        self.error_messages["invalid_choice"] = f"not a traded symbol: {settings.TRADING_SYMBOLS}"

    def to_internal_value(self, data):
        return super().to_internal_value(str(data).upper())


class RunInput(serializers.Serializer):
    family = serializers.ChoiceField(choices=sorted(FAMILIES))
    # EvolutionRun.seed is a 32-bit signed column on PostgreSQL: a bigger seed cannot be stored.
    seed = serializers.IntegerField(required=False, default=1, min_value=0, max_value=2**31 - 1)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Built per instance: the traded symbols are settings read when the request is served,
        # and the schema (built from an instance too) lists them as the field's enum.
        self.fields["symbol"] = TradedSymbolField()


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
