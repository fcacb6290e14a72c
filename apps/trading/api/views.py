"""Trading API: one operation per view. Reads for any authenticated user; changing the desk
(mode, kill switch, flatten) needs a staff user."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import APIException, NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.permissions import IsStaffToWrite
from apps.core.locks import LockHeld
from apps.trading import selectors, services
from apps.trading.api import serializers as s


class DeskBusy(APIException):
    status_code = 409
    default_detail = "a trading cycle holds the account's positions: try the flatten again"
    default_code = "desk_busy"


def _params(serializer_class, query) -> dict:
    data = serializer_class(data=query)
    data.is_valid(raise_exception=True)  # 400 naming the field and what it accepts
    return data.validated_data


class IntentListView(APIView):
    @extend_schema(parameters=[s.IntentFilterIn], responses={200: s.IntentPageOut})
    def get(self, request: Request) -> Response:
        params = _params(s.IntentFilterIn, request.query_params)
        qs = selectors.intents_list(
            symbol=params.get("symbol"),
            side=params.get("side"),
            state=params.get("state"),
            account=params.get("account"),
        )
        page = {"count": qs.count(), "results": qs[: params["limit"]]}
        return Response(s.IntentPageOut(page).data)


class OrderListView(APIView):
    @extend_schema(parameters=[s.OrderFilterIn], responses={200: s.OrderPageOut})
    def get(self, request: Request) -> Response:
        params = _params(s.OrderFilterIn, request.query_params)
        qs = selectors.orders_list(
            symbol=params.get("symbol"),
            side=params.get("side"),
            status=params.get("status"),
            account=params.get("account"),
        )
        page = {"count": qs.count(), "results": qs[: params["limit"]]}
        return Response(s.OrderPageOut(page).data)


class PositionListView(APIView):
    @extend_schema(parameters=[s.PositionFilterIn], responses={200: s.PositionPageOut})
    def get(self, request: Request) -> Response:
        params = _params(s.PositionFilterIn, request.query_params)
        qs = selectors.positions_open(account=params.get("account"))
        return Response(s.PositionPageOut({"count": qs.count(), "results": qs}).data)


class SymbolChartView(APIView):
    """One symbol's price chart: candles, the open position's levels and the desk's fills."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "symbol",
                str,
                OpenApiParameter.PATH,
                description="The symbol, e.g. BTCUSDT (2-32 letters or digits, any case).",
            ),
            OpenApiParameter(
                "limit",
                int,
                OpenApiParameter.QUERY,
                required=False,
                description=f"Candles, the newest (1-{s.MAX_CANDLES}); default "
                "MARKET_KLINE_HISTORY.",
            ),
        ],
        responses={200: s.SymbolChartOut, 404: s.UnknownSymbolOut},
    )
    def get(self, request: Request, symbol: str) -> Response:
        params = _params(s.SymbolChartIn, {**request.query_params.dict(), "symbol": symbol})
        chart = selectors.symbol_chart(
            symbol=params["symbol"],
            interval=settings.MARKET_KLINE_INTERVAL,
            count=params.get("limit") or settings.MARKET_KLINE_HISTORY,
        )
        if not chart.known:
            raise NotFound(
                f"{chart.symbol} is not traded on this desk and it has no klines, position or "
                f"fills here (traded: {', '.join(settings.TRADING_SYMBOLS)})."
            )
        return Response(s.SymbolChartOut(chart).data)


def _desk_out() -> dict:
    desk = selectors.desk_get()
    return s.DeskOut(
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

    @extend_schema(responses={200: s.DeskOut})
    def get(self, request: Request) -> Response:
        return Response(_desk_out())

    @extend_schema(request=s.DeskIn, responses={200: s.DeskChangeOut, 409: s.ErrorOut})
    def post(self, request: Request) -> Response:
        data = s.DeskIn(data=request.data)
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
            try:
                intents = services.desk_flatten(reason="flatten", user=request.user)
            except LockHeld:
                raise DeskBusy() from None
            flattened = [i.id for i in intents]
        return Response({**_desk_out(), "flatten_intents": flattened})
