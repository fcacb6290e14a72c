"""API of the strategy context: versions with their audit trail, evolution runs (progress)."""

from rest_framework import serializers
from rest_framework.generics import ListAPIView

from apps.strategy import selectors
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


class RunsView(ListAPIView):
    serializer_class = RunOutput

    def get_queryset(self):
        return selectors.runs_list()[:100]
