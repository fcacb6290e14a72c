"""Trading API: one operation per view. Reads for any authenticated user; changing the desk
(mode, kill switch, flatten) needs a staff user."""

from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.trading import selectors, services
from apps.trading.api.serializers import DeskIn, DeskOut, IntentOut, OrderOut, PositionOut
from apps.trading.models import ExchangeOrder, Position

MAX_ROWS = 500


def _limit(request: Request, default: int = 100) -> int:
    try:
        return max(1, min(MAX_ROWS, int(request.query_params.get("limit", default))))
    except ValueError:
        return default


class IntentListView(APIView):
    def get(self, request: Request) -> Response:
        qs = selectors.intents_list(
            symbol=request.query_params.get("symbol"), state=request.query_params.get("state")
        ).select_related("account")
        rows = IntentOut(qs[: _limit(request)], many=True).data
        return Response({"count": qs.count(), "results": rows})


class OrderListView(APIView):
    def get(self, request: Request) -> Response:
        qs = ExchangeOrder.objects.select_related("account")
        if symbol := request.query_params.get("symbol"):
            qs = qs.filter(symbol=symbol.upper())
        rows = OrderOut(qs[: _limit(request)], many=True).data
        return Response({"count": qs.count(), "results": rows})


class PositionListView(APIView):
    def get(self, request: Request) -> Response:
        qs = Position.objects.select_related("account").exclude(amount=0)
        return Response({"count": qs.count(), "results": PositionOut(qs, many=True).data})


class IsStaffToWrite(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return bool(request.user and request.user.is_staff)


def _desk_out() -> dict:
    desk = selectors.desk_get()
    return DeskOut(
        {
            "mode": desk.mode,
            "kill_switch": desk.kill_switch,
            "reason": desk.reason,
            "changed_by": desk.changed_by.get_username() if desk.changed_by else None,
            "changed_at": desk.changed_at,
            "equity": desk.equity,
            "equity_peak": desk.equity_peak,
            "day_start_equity": desk.day_start_equity,
            "policy": selectors.policy_get(),
        }
    ).data


class DeskView(APIView):
    permission_classes = [IsStaffToWrite]

    def get(self, request: Request) -> Response:
        return Response(_desk_out())

    def post(self, request: Request) -> Response:
        data = DeskIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "mode" in values or "kill_switch" in values:
            services.desk_set(
                mode=values.get("mode"),
                kill_switch=values.get("kill_switch"),
                reason=values["reason"],
                user=request.user,
            )
        flattened = []
        if values["flatten"]:
            flattened = [i.id for i in services.desk_flatten(reason="flatten", user=request.user)]
        return Response({**_desk_out(), "flatten_intents": flattened})
