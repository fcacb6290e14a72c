from django.urls import path

from apps.exchange.api.views import AccountListView

urlpatterns = [path("accounts/", AccountListView.as_view(), name="accounts")]
