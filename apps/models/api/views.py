"""API of the models context: read-only, one operation per view, data from selectors."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.permissions import IsStaffToWrite
from apps.models import selectors, services
from apps.models.api.serializers import (
    ModelsOutput,
    PredictionOutput,
    PredictionsInput,
    RegimesInput,
    RegimesOutput,
    TrainingRunOutput,
    TrainInput,
)


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
