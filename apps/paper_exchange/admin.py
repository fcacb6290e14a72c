"""The venue's accounts in the admin: a list (no secrets) and a form that creates a funded
account and shows its API key and secret once, like `manage.py paper_exchange_account create`."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from apps.paper_exchange.config import default_db_path
from apps.paper_exchange.models import PaperAccount
from apps.paper_exchange.services import AccountExists, account_create, account_list


class PaperAccountForm(forms.Form):
    name = forms.RegexField(regex=r"^[A-Za-z0-9_.-]{1,64}$", max_length=64)
    balance = forms.DecimalField(
        min_value=Decimal("0"), max_digits=20, decimal_places=8, initial=Decimal("10000")
    )


def _masked(api_key: str) -> str:
    return f"{api_key[:4]}…{api_key[-4:]}"


@admin.register(PaperAccount)
class PaperAccountAdmin(admin.ModelAdmin):
    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("", view(self.changelist_view), name="paper_exchange_paperaccount_changelist"),
            path("add/", view(self.add_view), name="paper_exchange_paperaccount_add"),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        db_path = default_db_path()
        rows = account_list(db_path=db_path) if db_path.exists() else []
        for row in rows:
            row["api_key"] = _masked(row["api_key"])
        context = {
            **self.admin_site.each_context(request),
            "title": "Paper exchange accounts",
            "opts": self.model._meta,
            "accounts": rows,
            "db_path": db_path,
        }
        return TemplateResponse(request, "admin/paper_exchange/accounts.html", context)

    @method_decorator(never_cache)  # the page that shows a secret must not be kept by any cache
    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = PaperAccountForm(request.POST or None)
        created = None
        if request.method == "POST" and form.is_valid():
            try:
                created = account_create(
                    db_path=default_db_path(),
                    name=form.cleaned_data["name"],
                    balance=form.cleaned_data["balance"],
                )
            except AccountExists:
                form.add_error("name", "An account of that name exists on the venue.")
        context = {
            **self.admin_site.each_context(request),
            "title": "Create a paper exchange account",
            "opts": self.model._meta,
            "form": form,
            "created": created,
        }
        return TemplateResponse(request, "admin/paper_exchange/add_account.html", context)
