from django.urls import path

from apps.rl.api.views import AgentView, CalibrationsView, RewardsView

urlpatterns = [
    path("rl/agent/", AgentView.as_view(), name="rl-agent"),
    path("rl/rewards/", RewardsView.as_view(), name="rl-rewards"),
    path("rl/calibrations/", CalibrationsView.as_view(), name="rl-calibrations"),
]
