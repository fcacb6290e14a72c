from django.contrib import admin, messages

from apps.core.locks import LockHeld
from apps.trading import services
from apps.trading.models import (
    Backstop,
    DeskEvent,
    DeskState,
    ExchangeOrder,
    Position,
    PositionIntent,
    RiskPolicy,
)


@admin.register(PositionIntent)
class PositionIntentAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "account",
        "symbol",
        "action",
        "side",
        "quantity",
        "reason",
        "confidence",
        "risk_verdict",
        "state",
        "client_order_id",
        "executed_qty",
        "avg_price",
        "realized_pnl",
        "error_code",
    )
    list_filter = ("state", "symbol", "reason", "risk_verdict", "account")
    search_fields = ("client_order_id", "symbol", "risk_reason", "error_message")
    # The PIL is a log: it is read here, never edited by hand.
    readonly_fields = [f.name for f in PositionIntent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExchangeOrder)
class ExchangeOrderAdmin(admin.ModelAdmin):
    list_display = (
        "order_id",
        "account",
        "symbol",
        "side",
        "type",
        "status",
        "orig_qty",
        "executed_qty",
        "avg_price",
        "client_order_id",
        "intent",
        "external",
        "update_time",
    )
    list_filter = ("status", "symbol", "external", "account")
    search_fields = ("client_order_id", "order_id")


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = (
        "symbol",
        "account",
        "amount",
        "entry_price",
        "mark_price",
        "unrealized_pnl",
        "take_profit",
        "stop_loss",
        "trailing_stop",
        "updated_at",
    )


@admin.register(Backstop)
class BackstopAdmin(admin.ModelAdmin):
    """Read-only: the desk places and withdraws backstops itself (docs/trading.md)."""

    list_display = (
        "id",
        "symbol",
        "account",
        "side",
        "trigger_price",
        "entry_price",
        "status",
        "algo_id",
        "order_id",
        "intent",
        "error_code",
        "updated_at",
    )
    list_filter = ("status", "symbol", "account")
    readonly_fields = [f.name for f in Backstop._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RiskPolicy)
class RiskPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "tier",
        "max_positions_total",
        "max_entries_per_symbol",
        "max_exposure_total",
        "max_exposure_per_symbol",
        "max_leverage",
        "max_daily_loss",
        "max_drawdown_pct",
    )

    def has_add_permission(self, request) -> bool:
        return not RiskPolicy.objects.exists()  # a singleton

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DeskState)
class DeskStateAdmin(admin.ModelAdmin):
    list_display = ("mode", "kill_switch", "reason", "changed_by", "changed_at", "equity")
    fields = ("mode", "kill_switch", "reason")
    actions = ["flatten"]

    def has_add_permission(self, request) -> bool:
        return not DeskState.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        # Through the service, so the change is audited like one made through the API.
        services.desk_set(
            mode=obj.mode, kill_switch=obj.kill_switch, reason=obj.reason, user=request.user
        )

    @admin.action(description="Flatten: close every position reduce-only")
    def flatten(self, request, queryset) -> None:
        try:
            intents = services.desk_flatten(reason="flatten", user=request.user)
        except LockHeld as exc:
            self.message_user(request, f"Not flattened, try again: {exc}", messages.ERROR)
            return
        self.message_user(request, f"{len(intents)} close intents created", messages.WARNING)


@admin.register(DeskEvent)
class DeskEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "user", "detail")
    readonly_fields = ("created_at", "action", "user", "detail")
