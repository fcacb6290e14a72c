from django.contrib import admin

from apps.exchange.models import ExchangeAccount


@admin.register(ExchangeAccount)
class ExchangeAccountAdmin(admin.ModelAdmin):
    """Credentials are set with `manage.py exchange_account add` (from the environment), never
    typed into a web form; the admin shows the key masked and the secret not at all."""

    list_display = ("name", "venue", "base_url", "is_active", "api_key_hint", "updated_at")
    list_filter = ("venue", "is_active")
    fields = ("name", "venue", "base_url", "is_active", "api_key_hint", "created_at", "updated_at")
    readonly_fields = ("api_key_hint", "created_at", "updated_at")

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        from apps.exchange.services import account_schedule_sync

        super().save_model(request, obj, form, change)
        # Deactivating here must stop the polling too.
        account_schedule_sync(account=obj)
