from django.contrib import admin

from apps.models.models import ModelEvent, ModelVersion, Prediction, RegimeObservation, TrainingRun


@admin.register(RegimeObservation)
class RegimeObservationAdmin(admin.ModelAdmin):
    list_display = ("symbol", "regime", "as_of_ms", "stats", "created_at")
    list_filter = ("regime", "symbol")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "weight", "metrics", "live_metrics", "created_at")
    list_filter = ("kind", "status")
    readonly_fields = ("artifact_path", "artifact_sha256")


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
