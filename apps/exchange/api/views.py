"""The exchange API: the desk's accounts, for the pages' account picker."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.exchange.api.serializers import AccountsOutput
from apps.exchange.models import ExchangeAccount
from apps.exchange.selectors import account_default


class AccountListView(APIView):
    @extend_schema(responses={200: AccountsOutput})
    def get(self, request: Request) -> Response:
        default = account_default()
        answer = {
            "accounts": ExchangeAccount.objects.order_by("id"),
            "default": default.id if default else None,
        }
        return Response(AccountsOutput(answer).data)
