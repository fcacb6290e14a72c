"""Session login for the dashboard (token auth is DRF's: `manage.py drf_create_token USER`)."""

from django.contrib.auth import authenticate, login, logout
from django.middleware.csrf import get_token
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView


class LoginInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class MeOutput(serializers.Serializer):
    """Who the session is; `is_staff` decides whether the dashboard offers the desk controls."""

    username = serializers.CharField()
    is_staff = serializers.BooleanField()


def _me(user) -> dict:
    return {"username": user.get_username(), "is_staff": user.is_staff}


class LoginView(APIView):
    """Failed logins count towards django-axes' lockout (per username and address, 429 until the
    cool-off); every attempt counts towards the per-address rate (API_LOGIN_RATE, 429)."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=LoginInput,
        responses={
            200: MeOutput,
            429: OpenApiResponse(description="Too many attempts or locked out; see Retry-After"),
        },
    )
    def post(self, request: Request) -> Response:
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        # Django's request, not DRF's wrapper: axes flags a lockout on the request it is given,
        # and its middleware reads the flag from Django's.
        user = authenticate(request._request, **data.validated_data)
        if user is None:
            return Response(
                {"detail": "Invalid username or password."}, status=status.HTTP_400_BAD_REQUEST
            )
        login(request, user)
        return Response(_me(user))


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses={200: MeOutput})
    def get(self, request: Request) -> Response:
        return Response(_me(request.user))


class CsrfView(APIView):
    """Hands the SPA a CSRF token (and cookie) before it logs in."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: inline_serializer("Csrf", {"csrf_token": serializers.CharField()})}
    )
    def get(self, request: Request) -> Response:
        return Response({"csrf_token": get_token(request)})
