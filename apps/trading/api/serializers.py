"""Output and input serializers of the trading API: no logic, Decimals as strings."""

from rest_framework import serializers

from apps.trading.models import DeskMode, ExchangeOrder, Position, PositionIntent, RiskPolicy


class IntentOut(serializers.ModelSerializer):
    account = serializers.CharField(source="account.name")

    class Meta:
        model = PositionIntent
        fields = [
            "id",
            "account",
            "symbol",
            "side",
            "action",
            "quantity",
            "leverage",
            "reduce_only",
            "reason",
            "confidence",
            "signal",
            "reference_price",
            "risk_verdict",
            "risk_reason",
            "state",
            "client_order_id",
            "order_id",
            "executed_qty",
            "avg_price",
            "realized_pnl",
            "error_code",
            "error_message",
            "attempts",
            "created_at",
            "submitted_at",
            "finished_at",
        ]


class OrderOut(serializers.ModelSerializer):
    account = serializers.CharField(source="account.name")

    class Meta:
        model = ExchangeOrder
        fields = [
            "order_id",
            "account",
            "symbol",
            "client_order_id",
            "intent",
            "side",
            "type",
            "status",
            "orig_qty",
            "executed_qty",
            "avg_price",
            "reduce_only",
            "external",
            "update_time",
        ]


class PositionOut(serializers.ModelSerializer):
    account = serializers.CharField(source="account.name")

    class Meta:
        model = Position
        fields = [
            "account",
            "symbol",
            "amount",
            "entry_price",
            "mark_price",
            "unrealized_pnl",
            "leverage",
            "entries",
            "take_profit",
            "stop_loss",
            "trailing_pct",
            "best_price",
            "trailing_stop",
            "opened_at",
            "updated_at",
        ]


class PolicyOut(serializers.ModelSerializer):
    effective_max_leverage = serializers.IntegerField(read_only=True)
    min_confidence = serializers.DecimalField(max_digits=6, decimal_places=4, read_only=True)

    class Meta:
        model = RiskPolicy
        exclude = ["id"]


class DeskOut(serializers.Serializer):
    mode = serializers.CharField()
    kill_switch = serializers.BooleanField()
    reason = serializers.CharField()
    changed_by = serializers.CharField(allow_null=True)
    changed_at = serializers.DateTimeField(allow_null=True)
    equity = serializers.DecimalField(max_digits=28, decimal_places=8, allow_null=True)
    equity_peak = serializers.DecimalField(max_digits=28, decimal_places=8, allow_null=True)
    day_start_equity = serializers.DecimalField(max_digits=28, decimal_places=8, allow_null=True)
    policy = PolicyOut()


class DeskIn(serializers.Serializer):
    mode = serializers.ChoiceField(choices=DeskMode.choices, required=False)
    kill_switch = serializers.BooleanField(required=False)
    flatten = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
