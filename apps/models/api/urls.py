from django.urls import path

from apps.models.api.views import ModelsView, PredictionsView, RegimesView, TrainView

urlpatterns = [
    path("models/", ModelsView.as_view(), name="models"),
    path("models/train/", TrainView.as_view(), name="models-train"),
    path("models/predictions/", PredictionsView.as_view(), name="models-predictions"),
    path("regimes/", RegimesView.as_view(), name="regimes"),
]
