"""Output and input serializers of the trading API: no logic, Decimals as strings."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from apps.api.fields import AccountField
from apps.trading.models import (
    DeskMode,
    ExchangeOrder,
    IntentState,
    Position,
    PositionIntent,
    RiskPolicy,
    Side,
)

# Binance USD-M order statuses (GET /fapi/v1/allOrders), the values ExchangeOrder.status takes.
ORDER_STATUSES = [
    "NEW",
    "PARTIALLY_FILLED",
    "FILLED",
    "CANCELED",
    "EXPIRED",
    "EXPIRED_IN_MATCH",
    "REJECTED",
]
MAX_ROWS = 500


class UpperChoiceField(serializers.ChoiceField):
    """A choice matched case-insensitively; a wrong value's 400 lists the allowed ones."""

    def __init__(self, choices, **kwargs) -> None:
        allowed = ", ".join(str(c[0] if isinstance(c, tuple) else c) for c in choices)
        kwargs.setdefault("help_text", f"One of {allowed} (case-insensitive).")
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(choices, **kwargs)
        self.error_messages["invalid_choice"] = f'"{{input}}" is not one of {allowed}.'

    def to_internal_value(self, data):
        value = str(data).strip().upper()
        if value == "" and self.allow_blank:
            return ""
        if value not in self.choice_strings_to_values:
            self.fail("invalid_choice", input=data)  # quotes what was sent, as sent
        return self.choice_strings_to_values[value]


def _symbol_field(*, required: bool = False) -> serializers.RegexField:
    return serializers.RegexField(
        r"^[A-Za-z0-9]{2,32}$",
        required=required,
        allow_blank=not required,
        help_text="Exact symbol, e.g. BTCUSDT (case-insensitive).",
        error_messages={"invalid": "A symbol is 2-32 letters or digits, e.g. BTCUSDT."},
    )


def _limit_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        default=100,
        min_value=1,
        max_value=MAX_ROWS,
        help_text=f"Rows to return, newest first (1-{MAX_ROWS}, default 100); `count` is all.",
    )


ACCOUNT_HELP = 'An exchange account id, or "all" (the default): every account\'s rows.'


class IntentFilterIn(serializers.Serializer):
    symbol = _symbol_field()
    side = UpperChoiceField(Side.choices)
    state = UpperChoiceField(IntentState.choices)
    limit = _limit_field()
    account = AccountField(help_text=ACCOUNT_HELP)


class OrderFilterIn(serializers.Serializer):
    symbol = _symbol_field()
    side = UpperChoiceField(Side.choices)
    status = UpperChoiceField(ORDER_STATUSES)
    limit = _limit_field()
    account = AccountField(help_text=ACCOUNT_HELP)


class PositionFilterIn(serializers.Serializer):
    account = AccountField(help_text=ACCOUNT_HELP)


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
    backstop_price = serializers.DecimalField(
        max_digits=28,
        decimal_places=8,
        read_only=True,
        allow_null=True,
        help_text="trigger (mark) of the working exchange-side backstop; null if none",
    )

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
            "backstop_price",
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


class DeskChangeOut(DeskOut):
    flatten_intents = serializers.ListField(
        child=serializers.IntegerField(), help_text="ids of the reduce-only intents flatten made"
    )


class IntentPageOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="rows matching the filters on the server")
    results = IntentOut(many=True)


class OrderPageOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="rows matching the filters on the server")
    results = OrderOut(many=True)


class PositionPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    results = PositionOut(many=True)


MAX_CANDLES = 1500


class SymbolChartIn(serializers.Serializer):
    symbol = _symbol_field(required=True)
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_CANDLES,
        help_text=f"Candles to return, the newest (1-{MAX_CANDLES}); default MARKET_KLINE_HISTORY.",
    )


class CandleOut(serializers.Serializer):
    time_ms = serializers.IntegerField(
        source="open_time_ms", help_text="open time, ms since the epoch (UTC)"
    )
    open = serializers.DecimalField(max_digits=28, decimal_places=8)
    high = serializers.DecimalField(max_digits=28, decimal_places=8)
    low = serializers.DecimalField(max_digits=28, decimal_places=8)
    close = serializers.DecimalField(max_digits=28, decimal_places=8)
    volume = serializers.DecimalField(max_digits=32, decimal_places=8)


def _level(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=28, decimal_places=8, allow_null=True, help_text=f"{help_text}; null if none"
    )


class ChartPositionOut(serializers.Serializer):
    account = serializers.CharField(source="account.name")
    amount = serializers.DecimalField(
        max_digits=28, decimal_places=10, help_text="signed: + long, - short"
    )
    entry_price = serializers.DecimalField(max_digits=28, decimal_places=8)
    mark_price = serializers.DecimalField(max_digits=28, decimal_places=8)
    take_profit = _level("take profit")
    stop_loss = _level("stop loss")
    trailing_stop = _level("trailing stop")
    backstop_price = _level("trigger (mark) of the working exchange-side backstop")


class ChartFillOut(serializers.Serializer):
    intent_id = serializers.IntegerField(source="id")
    account = serializers.CharField(source="account.name")
    time = serializers.DateTimeField(
        source="filled_at", help_text="when the desk recorded the fill (finished, else submitted)"
    )
    side = serializers.CharField()
    action = serializers.CharField()
    reason = serializers.CharField()
    price = serializers.DecimalField(
        source="avg_price", max_digits=28, decimal_places=8, help_text="average fill price"
    )
    qty = serializers.DecimalField(
        source="executed_qty", max_digits=28, decimal_places=10, help_text="executed quantity"
    )


class SymbolChartOut(serializers.Serializer):
    symbol = serializers.CharField()
    interval = serializers.CharField(help_text="the klines' interval (MARKET_KLINE_INTERVAL)")
    traded = serializers.BooleanField(help_text="the symbol is in TRADING_SYMBOLS")
    candles = CandleOut(many=True, help_text="the desk's stored closed klines, oldest first")
    positions = ChartPositionOut(
        many=True, help_text="open positions in the symbol (one per account), with their levels"
    )
    fills = ChartFillOut(
        many=True,
        help_text="the desk's fills since the first candle (all, without candles), oldest first, "
        "the newest 200 at most",
    )


# The detail of a refused or failed desk change (409: a cycle holds the account).
ErrorOut = inline_serializer("FlattenError", {"detail": serializers.CharField()})
# A symbol the desk neither trades nor has any record of (404).
UnknownSymbolOut = inline_serializer("UnknownSymbol", {"detail": serializers.CharField()})
