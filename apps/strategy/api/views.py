"""API of the strategy context: versions with their audit trail, evolution runs (progress)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.permissions import IsStaffToWrite
from apps.strategy import selectors, services
from apps.strategy.api.serializers import (
    NowOutput,
    RunInput,
    RunOutput,
    VersionOutput,
    VersionsInput,
)


class VersionsView(ListAPIView):
    serializer_class = VersionOutput

    def get_queryset(self):
        params = VersionsInput(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.versions_list(status=params.validated_data.get("status"))[:200]

    @extend_schema(parameters=[VersionsInput])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


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


class NowView(APIView):
    """GET: what the desk trades with right now per traded symbol, and why."""

    @extend_schema(responses={200: NowOutput})
    def get(self, request: Request) -> Response:
        now = selectors.intelligence_now(symbols=settings.TRADING_SYMBOLS)
        return Response(NowOutput(now).data)
