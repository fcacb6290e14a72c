from django.urls import path

from apps.ops.api.views import HealthView, LiveView, PortMapView

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("health/live", LiveView.as_view(), name="health-live"),
    path("ops/ports/", PortMapView.as_view(), name="ops-ports"),
]
