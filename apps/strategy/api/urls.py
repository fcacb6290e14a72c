from django.urls import path

from apps.strategy.api.views import NowView, RunsView, VersionsView

urlpatterns = [
    path("strategy/versions/", VersionsView.as_view(), name="strategy-versions"),
    path("strategy/runs/", RunsView.as_view(), name="strategy-runs"),
    path("intelligence/now/", NowView.as_view(), name="intelligence-now"),
]
