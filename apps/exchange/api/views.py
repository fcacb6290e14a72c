"""The exchange API: the desk's accounts, for the pages' account picker."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.exchange.api.serializers import AccountsOutput
from apps.exchange.models import ExchangeAccount


class AccountListView(APIView):
    @extend_schema(responses={200: AccountsOutput})
    def get(self, request: Request) -> Response:
        answer = {"accounts": ExchangeAccount.objects.order_by("id")}
        return Response(AccountsOutput(answer).data)
