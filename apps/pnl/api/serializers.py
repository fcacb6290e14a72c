"""Input and output serializers of the PnL API. The selectors return Decimals; money,
prices and percentages are rendered here as decimal strings of 8 places, quantities without
trailing zeros (apps.core.money.money8_str / qty_str, which the Redis live state uses too)."""

from rest_framework import serializers

from apps.api.fields import AccountField
from apps.core.memo import Memo
from apps.core.money import money8_str, qty_str
from apps.core.timeutil import from_ms
from apps.pnl.selectors import WINDOWS

WINDOW_HELP = "One of 24h, 7d, 30d, all (default 24h). Windows end at the last poll's time."


ACCOUNT_HELP = (
    'An exchange account id, or "all" (the default): every active account aggregated '
    '(docs/figures.md, "All accounts").'
)


class WindowInput(serializers.Serializer):
    window = serializers.ChoiceField(choices=list(WINDOWS), default="24h", help_text=WINDOW_HELP)
    account = AccountField(help_text=ACCOUNT_HELP)


class DailyInput(serializers.Serializer):
    days = serializers.IntegerField(default=30, min_value=1, max_value=366)
    account = AccountField(help_text=ACCOUNT_HELP)


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
    """One symbol's figures. The fields declare the schema; rows are rendered by symbol_row,
    which gives the same keys and strings (tests/pnl/test_dashboard_render.py holds it to
    the fields' own rendering): a board of 200 symbols is 3,400 fields per request, and DRF's
    per-field machinery was most of the dashboard's time."""

    symbol = serializers.CharField()
    account_id = serializers.IntegerField(help_text="the exchange account of the row")
    account = serializers.CharField(source="account_name", help_text="that account's name")
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

    def to_representation(self, instance) -> dict:
        return symbol_row(instance)


def symbol_row(fig) -> dict:
    """SymbolOutput's fields, rendered directly (a SymbolFigures, apps.pnl.selectors)."""
    money = money8_str
    return {
        "symbol": fig.symbol,
        "account_id": fig.account_id,
        "account": fig.account_name,
        "side": fig.side,
        "position_size": qty_str(fig.position_size),
        "entry_price": money(fig.entry_price),
        "mark_price": money(fig.mark_price),
        "leverage": int(fig.leverage),
        "notional": money(fig.notional),
        "initial_margin": money(fig.initial_margin),
        "unrealized_pnl": money(fig.unrealized_pnl),
        "unrealized_pct": money(fig.unrealized_pct),
        "realized_pnl": money(fig.realized_pnl),
        "realized_pct": money(fig.realized_pct),
        "total_pnl": money(fig.total_pnl),
        "realized_trades": int(fig.realized_trades),
        "commission": money(fig.commission),
        "funding": money(fig.funding),
        "reward": money(fig.reward),
    }


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


class BoardOutput(serializers.Serializer):
    """apps.pnl.selectors.Board: the figures of a dashboard answer."""

    window = serializers.CharField()
    window_start = serializers.DateTimeField(allow_null=True)
    as_of = serializers.DateTimeField(allow_null=True)
    marks_as_of = serializers.DateTimeField(allow_null=True)
    symbols_tracked = serializers.IntegerField()
    symbols = SymbolOutput(many=True)
    best_performer = serializers.CharField(allow_null=True)
    best_performer_account = serializers.CharField(
        allow_null=True, help_text="the account of best_performer's row"
    )
    best_reward = _pct(allow_null=True)
    avg_reward = _pct(allow_null=True)
    totals = TotalsOutput()


# A board's rendering per board key (apps.pnl.selectors.Dashboard.board_key): the key names
# every input of the board, so the dicts are shared read-only by the requests of that key.
_boards_rendered: Memo[dict] = Memo(64)


class DashboardOutput(BoardOutput):
    """apps.pnl.selectors.Dashboard: its status fields and its board's figures, flat."""

    # The status is rendered per request; the board once per board key, as a board of 200
    # symbols is 3,400 fields and every request of one second of marks has the same one.

    status = serializers.ChoiceField(choices=["ok", "no_data", "stale"])
    message = serializers.CharField()
    poll_age_seconds = serializers.IntegerField(allow_null=True)

    def to_representation(self, instance) -> dict:
        def render() -> dict:
            return BoardOutput(instance.board).data

        board = (
            _boards_rendered.get_or_compute(instance.board_key, render)
            if instance.board_key is not None
            else render()
        )
        return {
            "status": instance.status,
            "message": instance.message,
            "poll_age_seconds": instance.poll_age_seconds,
            **board,
        }


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


class LedgerCheckInput(serializers.Serializer):
    account = AccountField(help_text=ACCOUNT_HELP)


class IncomeTallyOutput(serializers.Serializer):
    income_type = serializers.CharField()
    exchange_count = serializers.IntegerField()
    exchange_sum = serializers.CharField(help_text="USDT, decimal string")
    ledger_count = serializers.IntegerField(help_text="rows in the ledger (IncomeRow)")
    ledger_sum = serializers.CharField(help_text="USDT, decimal string")
    rollup_count = serializers.IntegerField(help_text="rows counted by the daily rollup")
    rollup_sum = serializers.CharField(help_text="USDT, decimal string")


class PositionPairOutput(serializers.Serializer):
    account = serializers.CharField(help_text="the exchange account's name")
    symbol = serializers.CharField()
    snapshot_amount = serializers.CharField(help_text="signed quantity, decimal string")
    snapshot_entry = serializers.CharField()
    exchange_amount = serializers.CharField()
    exchange_entry = serializers.CharField()


class DifferenceOutput(serializers.Serializer):
    # a plain string: an enum named "kind" collides with other apps' in the OpenAPI schema
    kind = serializers.CharField(help_text='"income" or "position"')
    account = serializers.CharField(help_text="the exchange account's name")
    key = serializers.CharField(help_text="the income type or the symbol")
    figure = serializers.ChoiceField(choices=["count", "sum", "amount", "entry"])
    record = serializers.ChoiceField(
        choices=["ledger", "rollup", "snapshot"], help_text="which of our records differs"
    )
    ours = serializers.CharField()
    exchange = serializers.CharField()
    delta = serializers.CharField(help_text="ours - exchange, decimal string")


class MsDateTimeField(serializers.DateTimeField):
    """A time the model keeps in ms since the epoch (the venue's clock), as ISO 8601."""

    def to_representation(self, value: int) -> str:
        return super().to_representation(from_ms(value))


class LedgerCheckOutput(serializers.Serializer):
    """apps.pnl.selectors.LedgerCheckState; the comparison's fields are null or empty until
    the first completed check (docs/figures.md, "Checked against the exchange")."""

    status = serializers.ChoiceField(choices=["match", "differs", "never"])
    age_seconds = serializers.IntegerField(
        allow_null=True, help_text="since the last completed check"
    )
    interval_seconds = serializers.IntegerField(help_text="how often the check runs")
    checked_at = serializers.DateTimeField(source="check.checked_at", allow_null=True)
    since = MsDateTimeField(
        source="check.since_ms", allow_null=True, help_text="income compared from (venue time)"
    )
    until = MsDateTimeField(
        source="check.until_ms",
        allow_null=True,
        help_text="income compared before (the ledger's cursor, venue time)",
    )
    snapshot_time = serializers.DateTimeField(source="check.snapshot_time", allow_null=True)
    income = IncomeTallyOutput(source="check.income", many=True)
    positions = PositionPairOutput(source="check.positions", many=True)
    differences = DifferenceOutput(source="check.differences", many=True)
    unsettled = serializers.ListField(
        child=serializers.CharField(),
        source="check.unsettled",
        help_text="symbols filled since the compared snapshot: compared at the next check "
        '(for all accounts, "SYMBOL (account)")',
    )
    error = serializers.CharField(
        source="check.error", help_text="the last failed check's error, cleared by a good one"
    )
    error_at = serializers.DateTimeField(source="check.error_at", allow_null=True)
