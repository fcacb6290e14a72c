from django.contrib import admin

from apps.rl.models import AgentConfig, ArmStat, CalibrationRun, Reward, RLAlert, SizingDecision


@admin.register(AgentConfig)
class AgentConfigAdmin(admin.ModelAdmin):
    list_display = ("id", "epsilon", "risk_aversion", "reward_clip", "version", "updated_at")


@admin.register(ArmStat)
class ArmStatAdmin(admin.ModelAdmin):
    list_display = ("context", "multiplier", "n", "mean", "m2", "updated_at")
    list_filter = ("multiplier",)


@admin.register(SizingDecision)
class SizingDecisionAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "symbol",
        "context",
        "multiplier",
        "explored",
        "notional",
        "capped",
    )
    list_filter = ("symbol", "explored", "capped")


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = ("time_ms", "symbol", "net_pnl", "risk_unit", "reward", "multiplier", "context")
    list_filter = ("symbol",)


@admin.register(CalibrationRun)
class CalibrationRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "rewards_used", "changes", "figures", "through_ms")


@admin.register(RLAlert)
class RLAlertAdmin(admin.ModelAdmin):
    list_display = ("created_at", "symbol", "kind", "value", "threshold", "cleared_at")
    list_filter = ("kind", "symbol")
