from django.contrib import admin

from apps.strategy.models import (
    EvolutionRun,
    StrategyChoice,
    StrategyEvent,
    StrategyOutcome,
    StrategyVersion,
)


@admin.register(StrategyVersion)
class StrategyVersionAdmin(admin.ModelAdmin):
    list_display = ("id", "family", "status", "params", "search_score", "holdout_score")
    list_filter = ("family", "status")


@admin.register(StrategyEvent)
class StrategyEventAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "version",
        "action",
        "from_status",
        "to_status",
        "actor",
        "reason",
    )
    list_filter = ("action",)


@admin.register(StrategyOutcome)
class StrategyOutcomeAdmin(admin.ModelAdmin):
    list_display = ("time_ms", "version", "symbol", "regime", "pnl", "reward")
    list_filter = ("regime", "symbol")


@admin.register(StrategyChoice)
class StrategyChoiceAdmin(admin.ModelAdmin):
    list_display = ("created_at", "symbol", "regime", "version", "reason")


@admin.register(EvolutionRun)
class EvolutionRunAdmin(admin.ModelAdmin):
    list_display = ("id", "family", "symbol", "status", "progress", "best_score", "holdout_score")
    list_filter = ("status", "family")
