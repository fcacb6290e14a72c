"""IncomeDay read through a covering index in (symbol, type, day) order: a window's sums
are one index range read in GROUP BY order, no table lookups, no sort."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0001_initial"),
        ("pnl", "0002_income_day"),
    ]

    # The key in (account, symbol, income_type, day) order first, then the old one goes.
    operations = [
        migrations.AddIndex(
            model_name="incomeday",
            index=models.Index(
                fields=["account", "symbol", "income_type", "day", "amount_e8", "row_count"],
                name="pnl_incomeday_sums",
            ),
        ),
        migrations.AddConstraint(
            model_name="incomeday",
            constraint=models.UniqueConstraint(
                fields=("account", "symbol", "income_type", "day"), name="pnl_incomeday_key"
            ),
        ),
        migrations.RemoveConstraint(
            model_name="incomeday",
            name="pnl_incomeday_once",
        ),
    ]
