from django.urls import path

from apps.trading.api.live import LiveView
from apps.trading.api.views import (
    DeskView,
    IntentListView,
    OrderListView,
    PositionListView,
    SymbolChartView,
)

urlpatterns = [
    path("live/", LiveView.as_view(), name="live"),
    path("trading/intents/", IntentListView.as_view(), name="trading-intents"),
    path("trading/orders/", OrderListView.as_view(), name="trading-orders"),
    path("trading/positions/", PositionListView.as_view(), name="trading-positions"),
    path("trading/desk/", DeskView.as_view(), name="trading-desk"),
    path(
        "trading/symbols/<str:symbol>/chart/",
        SymbolChartView.as_view(),
        name="trading-symbol-chart",
    ),
]
