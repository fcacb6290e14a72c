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
    list_display = (
        "id",
        "family",
        "status",
        "params",
        "search_score",
        "deflated_sharpe",
        "walk_forward",
        "holdout_score",
        "live",
    )
    list_filter = ("family", "status")

    # The validation beside the scores (docs/intelligence.md, "Strategies"): a search score is
    # never read without what it is worth out of sample and after the search's luck.
    @admin.display(description="deflated Sharpe (P > SR0)")
    def deflated_sharpe(self, obj: StrategyVersion) -> str:
        d = obj.validation.get("deflated")
        return f"{d['dsr']} (SR0 {d['sr0_score']}, {d['trials']} trials)" if d else "-"

    @admin.display(description="walk-forward (vs incumbent)")
    def walk_forward(self, obj: StrategyVersion) -> str:
        wf = obj.validation.get("walk_forward")
        if not wf:
            return "-"
        inc = (obj.validation.get("incumbent") or {}).get("walk_forward")
        vs = f" vs {inc['score']}" if inc else " vs flat 0"
        return f"{wf['score']} +- {wf['score_se']}{vs}"

    @admin.display(description="live check")
    def live(self, obj: StrategyVersion) -> str:
        return obj.live_check.get("status", "-")


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
