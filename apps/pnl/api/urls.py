from django.urls import path

from apps.pnl.api.views import (
    DailyView,
    DashboardView,
    EquityView,
    HistoryView,
    LedgerCheckView,
)

urlpatterns = [
    path("rl-dashboard/", DashboardView.as_view(), name="rl-dashboard"),
    path("rl-dashboard/history/<str:symbol>/", HistoryView.as_view(), name="rl-dashboard-history"),
    path("pnl/daily/", DailyView.as_view(), name="pnl-daily"),
    path("pnl/equity/", EquityView.as_view(), name="pnl-equity"),
    path("pnl/ledger-check/", LedgerCheckView.as_view(), name="pnl-ledger-check"),
]
