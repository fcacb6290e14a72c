from django.contrib import admin

from apps.market.models import CrossExchangeAlarm, Kline


@admin.register(Kline)
class KlineAdmin(admin.ModelAdmin):
    list_display = ("symbol", "interval", "open_time", "open", "high", "low", "close", "volume")
    list_filter = ("symbol", "interval")


@admin.register(CrossExchangeAlarm)
class CrossExchangeAlarmAdmin(admin.ModelAdmin):
    list_display = ("created_at", "symbol", "price", "reference_price", "basis", "divergence_bps")
    list_filter = ("symbol",)
