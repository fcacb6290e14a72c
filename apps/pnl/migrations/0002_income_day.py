"""IncomeDay: the income ledger rolled up per account, UTC day, symbol and type (docs/pnl.md),
backfilled here from the rows already stored. From then on services.income_rows_store keeps it
in the transaction of each income page."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, Sum

DAY_MS = 86_400_000
BATCH = 2_000


def income_days_backfill(apps, schema_editor):
    """One IncomeDay per (account, UTC day, symbol, income_type) of the ledger: Σ amount_e8 and
    the row count, grouped in SQL (integers: exact on every backend). The day is
    time_ms // DAY_MS, as the ingestion computes it (times are after the epoch, so SQL's
    truncating division is the floor)."""
    from datetime import date, timedelta

    IncomeRow = apps.get_model("pnl", "IncomeRow")
    IncomeDay = apps.get_model("pnl", "IncomeDay")
    epoch = date(1970, 1, 1)
    grouped = (
        IncomeRow.objects.annotate(
            day_index=ExpressionWrapper(F("time_ms") / DAY_MS, output_field=BigIntegerField())
        )
        .values("account_id", "day_index", "symbol", "income_type")
        .annotate(e8=Sum("amount_e8"), n=Count("id"))
        .order_by()
    )
    batch = []
    for row in grouped.iterator(chunk_size=BATCH):
        batch.append(
            IncomeDay(
                account_id=row["account_id"],
                day=epoch + timedelta(days=row["day_index"]),
                symbol=row["symbol"],
                income_type=row["income_type"],
                amount_e8=row["e8"],
                row_count=row["n"],
            )
        )
        if len(batch) == BATCH:
            IncomeDay.objects.bulk_create(batch)
            batch = []
    IncomeDay.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0001_initial"),
        ("pnl", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="IncomeDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("symbol", models.CharField(blank=True, max_length=32)),
                ("income_type", models.CharField(max_length=32)),
                ("amount_e8", models.BigIntegerField()),
                ("row_count", models.PositiveIntegerField()),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="exchange.exchangeaccount",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("account", "day", "symbol", "income_type"),
                        name="pnl_incomeday_once",
                    )
                ],
            },
        ),
        migrations.RunPython(income_days_backfill, migrations.RunPython.noop),
    ]
