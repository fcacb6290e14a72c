"""API of the RL context: the agent's state and its rewards (read-only, from selectors)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.rl import selectors
from apps.rl.api.serializers import (
    AgentOutput,
    CalibrationPageOutput,
    CalibrationsInput,
    RewardOutput,
    RewardsInput,
)


class AgentView(APIView):
    @extend_schema(responses={200: AgentOutput})
    def get(self, request: Request) -> Response:
        state = selectors.agent_state()
        state["stats"] = {s: selectors.reward_stats_get(symbol=s) for s in settings.TRADING_SYMBOLS}
        return Response(AgentOutput(state).data)


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
        runs = selectors.calibration_effects(runs=list(qs[: params.validated_data["limit"]]))
        page = {"count": qs.count(), "results": runs}
        return Response(CalibrationPageOutput(page).data)
