"""Input and output serializers of the strategy API (the views in views.py use them)."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.strategy.backtest import FAMILIES
from apps.strategy.models import EvolutionRun, StrategyEvent, StrategyVersion, VersionStatus


# A string in the schema, not an enum of today's TRADING_SYMBOLS: the generated client types
# (frontend/src/api/schema.d.ts) must not change with a deployment's configuration.
@extend_schema_field(OpenApiTypes.STR)
class TradedSymbolField(serializers.ChoiceField):
    """One of TRADING_SYMBOLS, case-insensitive."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=settings.TRADING_SYMBOLS, **kwargs)
        self.error_messages["invalid_choice"] = f"not a traded symbol: {settings.TRADING_SYMBOLS}"

    def to_internal_value(self, data):
        return super().to_internal_value(str(data).upper())


class EventOutput(serializers.ModelSerializer):
    class Meta:
        model = StrategyEvent
        fields = [
            "action",
            "from_status",
            "to_status",
            "replaced",
            "actor",
            "reason",
            "detail",
            "created_at",
        ]


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
            "validation",
            "live_check",
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
            "stage",
            "generation",
            "generations",
            "population",
            "best_score",
            "best_params",
            "holdout_score",
            "history",
            "folds",
            "validation",
            "search_bars",
            "holdout_bars",
            "result",
            "error",
            "created_at",
            "finished_at",
        ]


class VersionsInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=VersionStatus.choices, required=False)


class RunInput(serializers.Serializer):
    family = serializers.ChoiceField(choices=sorted(FAMILIES))
    # EvolutionRun.seed is a 32-bit signed column on PostgreSQL: a bigger seed cannot be stored.
    seed = serializers.IntegerField(required=False, default=1, min_value=0, max_value=2**31 - 1)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Built per instance: the traded symbols are settings read when the request is served,
        # and the schema (built from an instance too) lists them as the field's enum.
        self.fields["symbol"] = TradedSymbolField()


class NowSymbolOutput(serializers.Serializer):
    symbol = serializers.CharField()
    source = serializers.CharField(
        help_text="the signal source the loop uses for the symbol now: strategy:<family>,"
        " ensemble, rule or a configured path"
    )
    strategy_version = serializers.IntegerField(allow_null=True)
    why = serializers.CharField()


class NowModelOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    weight = serializers.FloatField()
    verdict = serializers.CharField(allow_null=True)


class NowModelsOutput(serializers.Serializer):
    live = NowModelOutput(many=True)
    weights = serializers.CharField(help_text="INTEL_ENSEMBLE_WEIGHTS: significance or manual")
    history_ready = serializers.BooleanField(
        help_text="every traded symbol has INTEL_BOOTSTRAP_BARS klines stored: the first"
        " training and evolution start by themselves"
    )
    history_bars = serializers.DictField(child=serializers.IntegerField())
    history_needed = serializers.IntegerField()


class NowStrategyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    family = serializers.CharField()
    params = serializers.JSONField()


class NowStrategiesOutput(serializers.Serializer):
    active = NowStrategyOutput(many=True)
    promotion = serializers.CharField(help_text="STRATEGY_PROMOTION: auto or manual")


class NowOutput(serializers.Serializer):
    symbols = NowSymbolOutput(many=True)
    models = NowModelsOutput()
    strategies = NowStrategiesOutput()
