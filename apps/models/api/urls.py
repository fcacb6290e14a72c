"""Every URL of the intelligence contexts (models, rl, strategy), included once by apps.api."""

from django.urls import path

from apps.models.api.views import ModelsView, PredictionsView, RegimesView, TrainView
from apps.rl.api.views import AgentView, CalibrationsView, RewardsView
from apps.strategy.api.views import RunsView, VersionsView

urlpatterns = [
    path("models/", ModelsView.as_view(), name="models"),
    path("models/train/", TrainView.as_view(), name="models-train"),
    path("models/predictions/", PredictionsView.as_view(), name="models-predictions"),
    path("regimes/", RegimesView.as_view(), name="regimes"),
    path("rl/agent/", AgentView.as_view(), name="rl-agent"),
    path("rl/rewards/", RewardsView.as_view(), name="rl-rewards"),
    path("rl/calibrations/", CalibrationsView.as_view(), name="rl-calibrations"),
    path("strategy/versions/", VersionsView.as_view(), name="strategy-versions"),
    path("strategy/runs/", RunsView.as_view(), name="strategy-runs"),
]
