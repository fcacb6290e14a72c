from django.contrib import admin

from apps.exchange.models import ExchangeAccount


@admin.register(ExchangeAccount)
class ExchangeAccountAdmin(admin.ModelAdmin):
    """Credentials are set with `manage.py exchange_account add` (from the environment), never
    typed into a web form; the admin shows the key masked and the secret not at all."""

    list_display = ("name", "venue", "base_url", "is_active", "api_key_hint", "updated_at")
    list_filter = ("venue", "is_active")
    search_fields = ("name", "base_url")
    actions = ("activate", "deactivate")
    fields = ("name", "venue", "base_url", "is_active", "api_key_hint", "created_at", "updated_at")
    readonly_fields = ("api_key_hint", "created_at", "updated_at")

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Activate the selected accounts (their polls start)")
    def activate(self, request, queryset) -> None:
        self._active_set(request, queryset, active=True)

    @admin.action(description="Deactivate the selected accounts (their polls stop)")
    def deactivate(self, request, queryset) -> None:
        self._active_set(request, queryset, active=False)

    def _active_set(self, request, queryset, *, active: bool) -> None:
        from apps.exchange.services import account_active_set

        # through the service, one account at a time: each one's beat entry follows it
        names = [
            account_active_set(account_id=i, active=active).name
            for i in queryset.values_list("id", flat=True)
        ]
        verb = "activated" if active else "deactivated"
        self.message_user(request, f"{verb} {len(names)} account(s): {', '.join(names)}")

    def save_model(self, request, obj, form, change) -> None:
        from apps.exchange.services import account_schedule_sync

        super().save_model(request, obj, form, change)
        # Deactivating here must stop the polling too.
        account_schedule_sync(account=obj)
