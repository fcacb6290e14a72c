"""The income ledger and what the tracker records around it (docs/pnl.md, docs/figures.md).

Money is Decimal with 8 places (USDT's precision on Binance). IncomeRow also keeps the amount in
integer units of 1e-8 (`amount_e8`): SQLite stores DECIMAL columns as 15-digit REALs, so a SQL
SUM over Decimals is float arithmetic there; a SUM over integers is exact on every backend.
"""

from django.db import models

from apps.exchange.models import ExchangeAccount

MONEY = {"max_digits": 28, "decimal_places": 8}
QTY = {"max_digits": 28, "decimal_places": 10}


class IncomeRow(models.Model):
    """One row of GET /fapi/v1/income, stored once: unique by (account, tranId, incomeType)."""

    account = models.ForeignKey(ExchangeAccount, on_delete=models.PROTECT, related_name="+")
    tran_id = models.BigIntegerField()
    income_type = models.CharField(max_length=32)
    symbol = models.CharField(max_length=32, blank=True)
    amount = models.DecimalField(**MONEY)
    amount_e8 = models.BigIntegerField()
    asset = models.CharField(max_length=16)
    info = models.CharField(max_length=255, blank=True)
    trade_id = models.CharField(max_length=64, blank=True)
    time = models.DateTimeField()
    time_ms = models.BigIntegerField()
    ingested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "tran_id", "income_type"], name="pnl_income_once"
            )
        ]
        indexes = [
            models.Index(fields=["account", "time_ms"], name="pnl_income_acct_time"),
            models.Index(
                fields=["account", "income_type", "time_ms"], name="pnl_income_acct_type_time"
            ),
            models.Index(fields=["account", "trade_id"], name="pnl_income_acct_trade"),
            # a symbol's funding between two of its closed trades (Trade.funding)
            models.Index(
                fields=["account", "symbol", "income_type", "time_ms"], name="pnl_income_symbol"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.income_type} {self.symbol} {self.amount} @{self.time_ms}"


class IncomeDay(models.Model):
    """The income ledger rolled up per account, UTC day (of the row's venue time), symbol and
    income type: the exact sum of `amount_e8` and the number of rows. Written in the same
    transaction as the IncomeRows it counts (services.income_rows_store), so it always equals
    the ledger; backfilled by migration 0002. The dashboard reads it (docs/figures.md)."""

    account = models.ForeignKey(ExchangeAccount, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    symbol = models.CharField(max_length=32, blank=True)
    income_type = models.CharField(max_length=32)
    amount_e8 = models.BigIntegerField()
    row_count = models.PositiveIntegerField()

    class Meta:
        # Symbol and type before the day: a window's GROUP BY symbol, type reads the covering
        # index in order, with no table lookups and no sort (EXPLAIN in docs/pnl.md).
        constraints = [
            models.UniqueConstraint(
                fields=["account", "symbol", "income_type", "day"], name="pnl_incomeday_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["account", "symbol", "income_type", "day", "amount_e8", "row_count"],
                name="pnl_incomeday_sums",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.income_type} {self.symbol} {self.amount_e8}e-8 x{self.row_count}"


class IncomeCursor(models.Model):
    """Every income row of the account with time < cursor_ms is in the ledger."""

    account = models.OneToOneField(
        ExchangeAccount, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    cursor_ms = models.BigIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.account_id}: before {self.cursor_ms}"


class LedgerVersion(models.Model):
    """Bumped in the transaction of every change to the account's ledger (income rows, their
    daily rollup, trades): with the latest snapshot's id it names one state of the figures, so
    a computed dashboard can be reused until either changes (apps.pnl.selectors)."""

    account = models.OneToOneField(
        ExchangeAccount, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.account_id}: v{self.version}"


class PollRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        OK = "ok"
        ERROR = "error"
        ABANDONED = "abandoned"  # its worker died mid-poll (found by the next poll)

    account = models.ForeignKey(ExchangeAccount, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    error = models.TextField(blank=True)
    attempt = models.PositiveIntegerField(default=1)
    rows_ingested = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    trades_published = models.PositiveIntegerField(default=0)
    http_calls = models.PositiveIntegerField(default=0)
    http_ms = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    used_weight_1m = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "-started_at"], name="pnl_pollrun_recent")]

    def __str__(self) -> str:
        return f"poll {self.account_id} {self.started_at:%Y-%m-%d %H:%M:%S} {self.status}"


class AccountSnapshot(models.Model):
    """Totals of one GET /fapi/v2/account, at the exchange's time and ours."""

    account = models.ForeignKey(ExchangeAccount, on_delete=models.CASCADE, related_name="+")
    taken_at = models.DateTimeField(help_text="desk wall clock when the poll stored it")
    exchange_time = models.DateTimeField(help_text="the venue's clock (GET /fapi/v1/time)")
    wallet_balance = models.DecimalField(**MONEY)
    margin_balance = models.DecimalField(**MONEY)
    available_balance = models.DecimalField(**MONEY)
    unrealized_pnl = models.DecimalField(**MONEY)
    initial_margin = models.DecimalField(**MONEY)
    maint_margin = models.DecimalField(**MONEY)
    num_positions = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["account", "exchange_time"], name="pnl_acctsnap_time")]

    def __str__(self) -> str:
        return f"{self.account_id} @ {self.exchange_time:%Y-%m-%d %H:%M:%S}"


class PositionSnapshot(models.Model):
    """One open position in one AccountSnapshot (symbols with positionAmt 0 are not stored)."""

    snapshot = models.ForeignKey(
        AccountSnapshot, on_delete=models.CASCADE, related_name="positions"
    )
    symbol = models.CharField(max_length=32)
    position_amt = models.DecimalField(**QTY)
    entry_price = models.DecimalField(**MONEY)
    mark_price = models.DecimalField(**MONEY)
    unrealized_pnl = models.DecimalField(**MONEY)
    initial_margin = models.DecimalField(**MONEY)
    notional = models.DecimalField(**MONEY)
    leverage = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["symbol", "snapshot"], name="pnl_possnap_symbol")]

    def __str__(self) -> str:
        return f"{self.symbol} {self.position_amt}"


class Trade(models.Model):
    """A closed trade: one REALIZED_PNL income row (one reducing fill), with the commission of
    the COMMISSION rows sharing its tradeId. See docs/figures.md."""

    account = models.ForeignKey(ExchangeAccount, on_delete=models.CASCADE, related_name="+")
    tran_id = models.BigIntegerField(help_text="tranId of the REALIZED_PNL row")
    trade_id = models.CharField(max_length=64, blank=True)
    symbol = models.CharField(max_length=32)
    time = models.DateTimeField()
    time_ms = models.BigIntegerField()
    realized_pnl = models.DecimalField(**MONEY)
    commission = models.DecimalField(default=0, **MONEY)
    funding = models.DecimalField(default=0, **MONEY)
    # From GET /fapi/v1/userTrades (best effort, see docs/pnl.md): empty until enriched.
    side = models.CharField(max_length=8, blank=True, help_text="side of the position closed")
    qty = models.DecimalField(null=True, blank=True, **QTY)
    entry_price = models.DecimalField(null=True, blank=True, **MONEY)
    exit_price = models.DecimalField(null=True, blank=True, **MONEY)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "tran_id"], name="pnl_trade_once")
        ]
        indexes = [
            models.Index(fields=["account", "published_at"], name="pnl_trade_unpublished"),
            models.Index(fields=["account", "trade_id"], name="pnl_trade_tradeid"),
            # the previous closed trade of a symbol (its funding interval starts there)
            models.Index(fields=["account", "symbol", "time_ms"], name="pnl_trade_symbol_time"),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.realized_pnl} @{self.time_ms}"


class LedgerCheck(models.Model):
    """The last check of the account's ledger and positions against the exchange's own records
    (services.ledger_verify; defined in docs/figures.md, "Checked against the exchange"). One
    row per account, replaced by each completed check; a check that failed (the venue down, a
    bad payload) records only `error` and `error_at`, so the last comparison stays as it was."""

    class Status(models.TextChoices):
        MATCH = "match"
        DIFFERS = "differs"

    account = models.OneToOneField(
        ExchangeAccount, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True, help_text="desk clock")
    status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    # income compared: rows with since_ms <= time < until_ms (until: the ledger's cursor)
    since_ms = models.BigIntegerField(null=True, blank=True)
    until_ms = models.BigIntegerField(null=True, blank=True)
    snapshot_time = models.DateTimeField(
        null=True, blank=True, help_text="venue time of the snapshot whose positions were compared"
    )
    # JSON of the figures both sides gave, decimal strings (services.LedgerVerdict)
    income = models.JSONField(default=list)
    positions = models.JSONField(default=list)
    differences = models.JSONField(default=list)
    unsettled = models.JSONField(default=list, help_text="symbols traded since the snapshot")
    http_calls = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.account_id}: {self.status or 'never'} @ {self.checked_at}"
