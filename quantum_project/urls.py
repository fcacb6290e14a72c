from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("apps.api.urls")),
]

# --- Frontend: the built React dashboard (apps/api/spa.py); last, after every other route. ---
from apps.api import spa  # noqa: E402

urlpatterns += spa.urlpatterns
