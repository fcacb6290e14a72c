"""The PnL API: one operation per view; figures come from apps.pnl.selectors."""

import re

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.exchange.models import ExchangeAccount
from apps.exchange.selectors import accounts_active
from apps.pnl import selectors
from apps.pnl.api import serializers as s

SYMBOL_RE = re.compile(r"^[A-Za-z0-9]{2,32}$")


def _input(serializer_class, request: Request) -> dict:
    data = serializer_class(data=request.query_params)
    data.is_valid(raise_exception=True)  # 400 with the field and what is wrong with it
    return data.validated_data


def _accounts(account: ExchangeAccount | None) -> ExchangeAccount | list[ExchangeAccount]:
    """The account asked for, or (None: "all", the default) every active account."""
    return accounts_active() if account is None else account


class DashboardView(APIView):
    @extend_schema(parameters=[s.WindowInput], responses={200: s.DashboardOutput})
    def get(self, request: Request) -> Response:
        params = _input(s.WindowInput, request)
        chosen = _accounts(params.get("account"))
        if isinstance(chosen, list):
            board = selectors.dashboard_all_get(accounts=chosen, window=params["window"])
        else:
            board = selectors.dashboard_get(account=chosen, window=params["window"])
        return Response(s.DashboardOutput(board).data)


class HistoryView(APIView):
    @extend_schema(parameters=[s.WindowInput], responses={200: s.HistoryOutput})
    def get(self, request: Request, symbol: str) -> Response:
        if not SYMBOL_RE.match(symbol):
            raise ValidationError({"symbol": ["A symbol is 2-32 letters or digits, e.g. BTCUSDT."]})
        params = _input(s.WindowInput, request)
        chosen, window = _accounts(params.get("account")), params["window"]
        if isinstance(chosen, list):
            history = selectors.history_all_get(accounts=chosen, symbol=symbol, window=window)
        else:
            history = selectors.history_get(account=chosen, symbol=symbol, window=window)
        return Response(s.HistoryOutput(history).data)


class DailyView(APIView):
    @extend_schema(parameters=[s.DailyInput], responses={200: s.DailyOutput})
    def get(self, request: Request) -> Response:
        params = _input(s.DailyInput, request)
        chosen = _accounts(params.get("account"))
        if isinstance(chosen, list):
            daily = selectors.daily_all_get(accounts=chosen, days=params["days"])
        else:
            daily = selectors.daily_get(account=chosen, days=params["days"])
        return Response(s.DailyOutput({"days": daily}).data)


class EquityView(APIView):
    @extend_schema(parameters=[s.WindowInput], responses={200: s.EquityOutput})
    def get(self, request: Request) -> Response:
        params = _input(s.WindowInput, request)
        chosen = _accounts(params.get("account"))
        if isinstance(chosen, list):
            equity = selectors.equity_all_get(accounts=chosen, window=params["window"])
        else:
            equity = selectors.equity_get(account=chosen, window=params["window"])
        return Response(s.EquityOutput({"points": equity}).data)


class LedgerCheckView(APIView):
    @extend_schema(
        parameters=[s.LedgerCheckInput],
        responses={200: s.LedgerCheckOutput},
    )
    def get(self, request: Request) -> Response:
        params = _input(s.LedgerCheckInput, request)
        chosen = _accounts(params.get("account"))
        if isinstance(chosen, list):
            state = selectors.ledger_check_all_get(accounts=chosen)
        else:
            state = selectors.ledger_check_get(account=chosen)
        return Response(s.LedgerCheckOutput(state).data)
