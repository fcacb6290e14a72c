"""Market data kept durably: klines (unique per symbol, interval and open time) and the
cross-exchange alarms. Live marks and funding live in Redis streams and keys."""

from django.db import models

MONEY = {"max_digits": 28, "decimal_places": 8}


class Kline(models.Model):
    symbol = models.CharField(max_length=32)
    interval = models.CharField(max_length=8)
    open_time_ms = models.BigIntegerField()
    open_time = models.DateTimeField()
    open = models.DecimalField(**MONEY)
    high = models.DecimalField(**MONEY)
    low = models.DecimalField(**MONEY)
    close = models.DecimalField(**MONEY)
    volume = models.DecimalField(max_digits=32, decimal_places=8)
    close_time_ms = models.BigIntegerField()

    class Meta:
        ordering = ["symbol", "interval", "open_time_ms"]
        constraints = [
            models.UniqueConstraint(
                fields=["symbol", "interval", "open_time_ms"], name="market_kline_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.interval} {self.open_time} c={self.close}"


class CrossExchangeAlarm(models.Model):
    """The venue's price diverged from the reference venue's by more than the threshold."""

    symbol = models.CharField(max_length=32)
    price = models.DecimalField(**MONEY)
    reference_price = models.DecimalField(**MONEY)
    basis = models.DecimalField(**MONEY, help_text="price - reference price")
    divergence_bps = models.DecimalField(max_digits=12, decimal_places=4)
    threshold_bps = models.DecimalField(max_digits=12, decimal_places=4)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.symbol} {self.divergence_bps} bps at {self.created_at}"
