"""API of the models context: read-only, one operation per view, data from selectors."""

from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.models import selectors
from apps.models.models import ModelVersion, Prediction, RegimeObservation, TrainingRun


class TrainingRunOutput(serializers.ModelSerializer):
    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "stage",
            "model_version",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ModelOutput(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "kind",
            "status",
            "weight",
            "params",
            "metrics",
            "live_metrics",
            "artifact_sha256",
            "created_at",
            "status_changed_at",
        ]


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


class ModelsView(APIView):
    def get(self, request: Request) -> Response:
        return Response(
            {
                "models": ModelOutput(selectors.models_list()[:100], many=True).data,
                "training_runs": TrainingRunOutput(
                    selectors.training_runs_list()[:20], many=True
                ).data,
            }
        )


class PredictionsView(ListAPIView):
    serializer_class = PredictionOutput

    def get_queryset(self):
        params = self.request.query_params
        model = params.get("model")
        return selectors.predictions_list(
            symbol=params.get("symbol"), model_id=int(model) if model and model.isdigit() else None
        )[:500]


class RegimesView(APIView):
    def get(self, request: Request) -> Response:
        from django.conf import settings

        symbol = request.query_params.get("symbol")
        history = selectors.regimes_list(symbol=symbol)[:200] if symbol else []
        return Response(
            {
                "latest": RegimeOutput(
                    selectors.regimes_latest(symbols=settings.TRADING_SYMBOLS), many=True
                ).data,
                "history": RegimeOutput(history, many=True).data,
            }
        )
