from django.contrib import admin

from apps.pnl.models import (
    AccountSnapshot,
    IncomeCursor,
    IncomeRow,
    LedgerCheck,
    PollRun,
    Trade,
)


@admin.register(IncomeRow)
class IncomeRowAdmin(admin.ModelAdmin):
    list_display = ("time", "account", "income_type", "symbol", "amount", "tran_id", "trade_id")
    list_filter = ("income_type", "account")
    search_fields = ("symbol", "tran_id", "trade_id")
    date_hierarchy = "time"


@admin.register(PollRun)
class PollRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "account",
        "status",
        "attempt",
        "rows_ingested",
        "pages",
        "http_calls",
        "http_ms",
        "duration_ms",
        "error",
    )
    list_filter = ("status", "account")


@admin.register(Trade)
class TradeAdmin(admin.ModelAdmin):
    list_display = (
        "time",
        "account",
        "symbol",
        "side",
        "qty",
        "realized_pnl",
        "commission",
        "published_at",
    )
    list_filter = ("account", "symbol")


@admin.register(LedgerCheck)
class LedgerCheckAdmin(admin.ModelAdmin):
    # Written by the check only: an edit here would fake the exchange's verdict.
    list_display = ("account", "status", "checked_at", "http_calls", "duration_ms", "error_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


admin.site.register(IncomeCursor)
admin.site.register(AccountSnapshot)
