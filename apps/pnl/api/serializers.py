"""Input and output serializers of the PnL API. Money is a decimal string (8 places)."""

from rest_framework import serializers

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


def _money(**kw) -> serializers.CharField:
    return serializers.CharField(help_text="USDT, decimal string", **kw)


class SymbolOutput(serializers.Serializer):
    symbol = serializers.CharField()
    side = serializers.CharField(help_text='"LONG", "SHORT" or "" (no open position)')
    position_size = serializers.CharField(help_text="signed quantity, decimal string")
    entry_price = _money()
    mark_price = _money()
    leverage = serializers.IntegerField()
    notional = _money()
    initial_margin = _money()
    unrealized_pnl = _money()
    unrealized_pct = serializers.CharField()
    realized_pnl = _money()
    realized_pct = serializers.CharField()
    total_pnl = _money()
    realized_trades = serializers.IntegerField()
    commission = _money()
    funding = _money()
    reward = serializers.CharField()


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
    status = serializers.ChoiceField(choices=["ok", "no_data", "stale"])
    message = serializers.CharField()
    window = serializers.CharField()
    window_start = serializers.DateTimeField(allow_null=True)
    as_of = serializers.DateTimeField(allow_null=True)
    poll_age_seconds = serializers.IntegerField(allow_null=True)
    symbols_tracked = serializers.IntegerField()
    symbols = SymbolOutput(many=True)
    best_performer = serializers.CharField(allow_null=True)
    best_reward = serializers.CharField(allow_null=True)
    avg_reward = serializers.CharField(allow_null=True)
    totals = TotalsOutput()


class HistoryPointOutput(serializers.Serializer):
    time = serializers.DateTimeField()
    unrealized_pnl = _money()
    realized_pnl = _money()
    total_pnl = _money()
    reward = serializers.CharField()


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
