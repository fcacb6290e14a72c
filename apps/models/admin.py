from django.contrib import admin

from apps.models import selectors
from apps.models.models import ModelEvent, ModelVersion, Prediction, RegimeObservation, TrainingRun


@admin.register(RegimeObservation)
class RegimeObservationAdmin(admin.ModelAdmin):
    list_display = ("symbol", "regime", "as_of_ms", "stats", "created_at")
    list_filter = ("regime", "symbol")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "weight",
        "holdout_accuracy",
        "best_base_rate",
        "holdout_log_loss",
        "holdout_brier_skill",
        "verdict",
        "walk_forward",
        "weight_rule",
        "live_metrics",
        "created_at",
    )
    list_filter = ("kind", "status")
    readonly_fields = ("artifact_path", "artifact_sha256")

    # The hold-out figures beside the base rates they must beat (apps.models.evaluation), so an
    # accuracy is never read without the one "always up/down" would have scored.
    @admin.display(description="hold-out accuracy (95 % CI)")
    def holdout_accuracy(self, obj: ModelVersion) -> str:
        m = obj.metrics
        ci = m.get("accuracy_ci")
        return f"{m.get('accuracy')} [{ci[0]}, {ci[1]}]" if ci else str(m.get("accuracy", "-"))

    @admin.display(description="best base rate")
    def best_base_rate(self, obj: ModelVersion) -> str:
        best = obj.metrics.get("best_base")
        return f"{best['accuracy']} ({best['name']})" if best else "-"

    @admin.display(description="log loss (coin flip 0.69315)")
    def holdout_log_loss(self, obj: ModelVersion) -> str:
        return str(obj.metrics.get("log_loss", "-"))

    @admin.display(description="Brier skill (vs 0.25)")
    def holdout_brier_skill(self, obj: ModelVersion) -> str:
        return str(obj.metrics.get("brier_skill", "-"))

    @admin.display(description="verdict")
    def verdict(self, obj: ModelVersion) -> str:
        return selectors.model_verdict(version=obj)

    @admin.display(description="walk-forward accuracy (best base; folds with edge)")
    def walk_forward(self, obj: ModelVersion) -> str:
        wf = obj.metrics.get("walk_forward")
        if not wf:
            return "-"
        return (
            f"{wf['accuracy_mean']} ({wf['best_base_mean']}; "
            f"{wf['folds_with_edge']}/{len(wf['folds'])})"
        )

    @admin.display(description="weight rule (excess, p)")
    def weight_rule(self, obj: ModelVersion) -> str:
        # The live rule once the supervisor has judged the model, else the hold-out's.
        rule = obj.live_metrics.get("weight_rule") or obj.metrics.get("weight_rule")
        if not rule:
            return "-"
        return f"{rule['weight']} ({rule['excess']:+}, p {rule['p_value']})"


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "progress", "stage", "model_version", "created_at")
    list_filter = ("status", "kind")


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = ("id", "model_version", "symbol", "as_of_ms", "prob_up", "correct", "pnl")
    list_filter = ("symbol", "correct")


@admin.register(ModelEvent)
class ModelEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "model_version", "action", "detail")
    list_filter = ("action",)
