"""Input and output serializers of the PnL API. The selectors return Decimals; money,
prices and percentages are rendered here as decimal strings of 8 places, quantities without
trailing zeros (apps.core.money.money8_str / qty_str, which the Redis live state uses too)."""

from rest_framework import serializers

from apps.core.money import money8_str, qty_str
from apps.pnl.selectors import WINDOWS

# The database's largest id: a bigger number would overflow its integer, not just miss.
MAX_ID = 2**63 - 1
WINDOW_HELP = "One of 24h, 7d, 30d, all (default 24h). Windows end at the last poll's time."


class WindowInput(serializers.Serializer):
    window = serializers.ChoiceField(choices=list(WINDOWS), default="24h", help_text=WINDOW_HELP)
    account = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Exchange account id (default: the first active account).",
    )


class DailyInput(serializers.Serializer):
    days = serializers.IntegerField(default=30, min_value=1, max_value=366)
    account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class Decimal8Field(serializers.CharField):
    """A Decimal rendered as a string of 8 places (a string field in the schema)."""

    def to_representation(self, value) -> str:
        return money8_str(value)


class QuantityField(serializers.CharField):
    def to_representation(self, value) -> str:
        return qty_str(value)


def _money(**kw) -> serializers.CharField:
    return Decimal8Field(help_text="USDT, decimal string", **kw)


def _pct(**kw) -> serializers.CharField:
    return Decimal8Field(**kw)


class SymbolOutput(serializers.Serializer):
    symbol = serializers.CharField()
    side = serializers.CharField(help_text='"LONG", "SHORT" or "" (no open position)')
    position_size = QuantityField(help_text="signed quantity, decimal string")
    entry_price = _money()
    mark_price = _money()
    leverage = serializers.IntegerField()
    notional = _money()
    initial_margin = _money()
    unrealized_pnl = _money()
    unrealized_pct = _pct()
    realized_pnl = _money()
    realized_pct = _pct()
    total_pnl = _money()
    realized_trades = serializers.IntegerField()
    commission = _money()
    funding = _money()
    reward = _pct()


class TotalsOutput(serializers.Serializer):
    wallet_balance = _money()
    equity = _money()
    available_balance = _money()
    unrealized_pnl = _money()
    realized_pnl = _money()
    total_pnl = _money()
    commission = _money()
    funding = _money()
    net_pnl = _money()
    realized_trades = serializers.IntegerField()
    initial_margin = _money()


class DashboardOutput(serializers.Serializer):
    """apps.pnl.selectors.Dashboard: its status fields and its board's figures, flat."""

    status = serializers.ChoiceField(choices=["ok", "no_data", "stale"])
    message = serializers.CharField()
    window = serializers.CharField(source="board.window")
    window_start = serializers.DateTimeField(source="board.window_start", allow_null=True)
    as_of = serializers.DateTimeField(source="board.as_of", allow_null=True)
    marks_as_of = serializers.DateTimeField(source="board.marks_as_of", allow_null=True)
    poll_age_seconds = serializers.IntegerField(allow_null=True)
    symbols_tracked = serializers.IntegerField(source="board.symbols_tracked")
    symbols = SymbolOutput(source="board.symbols", many=True)
    best_performer = serializers.CharField(source="board.best_performer", allow_null=True)
    best_reward = _pct(source="board.best_reward", allow_null=True)
    avg_reward = _pct(source="board.avg_reward", allow_null=True)
    totals = TotalsOutput(source="board.totals")


class HistoryPointOutput(serializers.Serializer):
    time = serializers.DateTimeField()
    unrealized_pnl = _money()
    realized_pnl = _money()
    total_pnl = _money()
    reward = _pct()


class HistoryOutput(serializers.Serializer):
    symbol = serializers.CharField()
    points = HistoryPointOutput(many=True)


class DayOutput(serializers.Serializer):
    date = serializers.DateField()
    realized_pnl = _money()
    commission = _money()
    funding = _money()
    net_pnl = _money()
    trades = serializers.IntegerField()


class DailyOutput(serializers.Serializer):
    days = DayOutput(many=True)


class EquityPointOutput(serializers.Serializer):
    time = serializers.DateTimeField()
    wallet_balance = _money()
    equity = _money()


class EquityOutput(serializers.Serializer):
    points = EquityPointOutput(many=True)
