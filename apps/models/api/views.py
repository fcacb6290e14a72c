"""API of the models context: read-only, one operation per view, data from selectors."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.fields import symbol_filter
from apps.models import selectors, services
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


class IsStaffToWrite(permissions.BasePermission):
    """Reads for any signed-in user; starting research work is for staff."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return bool(request.user and request.user.is_staff)


class TrainInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ModelKind.choices)


class TrainView(APIView):
    """POST /api/models/train/ {"kind": "hgb" | "logreg"}: a pending TrainingRun, handed to the
    research queue once committed; its progress shows on GET /api/models/."""

    permission_classes = [IsStaffToWrite]

    @extend_schema(request=TrainInput, responses={201: TrainingRunOutput})
    def post(self, request: Request) -> Response:
        data = TrainInput(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.training_run_create(kind=data.validated_data["kind"])
        return Response(TrainingRunOutput(run).data, status=status.HTTP_201_CREATED)


class ModelsView(APIView):
    @extend_schema(responses={200: ModelsOutput})
    def get(self, request: Request) -> Response:
        board = {
            "models": selectors.models_list()[:100],
            "training_runs": selectors.training_runs_list()[:20],
        }
        return Response(ModelsOutput(board).data)


class PredictionsView(ListAPIView):
    serializer_class = PredictionOutput

    def get_queryset(self):
        params = PredictionsInput(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.predictions_list(
            symbol=params.validated_data.get("symbol"), model_id=params.validated_data.get("model")
        )[:500]

    @extend_schema(parameters=[PredictionsInput])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RegimesView(APIView):
    @extend_schema(parameters=[RegimesInput], responses={200: RegimesOutput})
    def get(self, request: Request) -> Response:
        params = RegimesInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        symbol = params.validated_data.get("symbol")
        regimes = {
            "latest": selectors.regimes_latest(symbols=settings.TRADING_SYMBOLS),
            "history": selectors.regimes_list(symbol=symbol)[:200] if symbol else [],
        }
        return Response(RegimesOutput(regimes).data)
