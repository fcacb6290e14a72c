"""The API hub: each app's api/ urls under /api/, the auth endpoints and the OpenAPI schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from apps.api.auth import CsrfView, LoginView, LogoutView, MeView

urlpatterns = [
    path("auth/csrf/", CsrfView.as_view(), name="auth-csrf"),
    path("auth/login/", LoginView.as_view(), name="auth-login"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", MeView.as_view(), name="auth-me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include("apps.ops.api.urls")),
    path("", include("apps.exchange.api.urls")),
    path("", include("apps.pnl.api.urls")),
    path("", include("apps.trading.api.urls")),
    path("", include("apps.models.api.urls")),
    path("", include("apps.rl.api.urls")),
    path("", include("apps.strategy.api.urls")),
]
