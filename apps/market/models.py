"""Market data kept durably: klines (unique per symbol, interval and open time), the funding rate
per symbol and funding time, the cross-exchange basis per check, and the cross-exchange alarms.
Live marks also go to Redis streams and keys. Funding and basis rows are the model features'
history (apps/models/features.py joins them to kline times, last known value)."""

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


class FundingRate(models.Model):
    """The funding rate of a symbol for one funding time (premiumIndex's lastFundingRate and
    nextFundingTime), as last observed at `observed_ms`: every publish updates the row of the
    coming funding time, so the rate a settlement used is the last value before it. Features
    join a row by its funding time (apps.market.selectors.funding_history)."""

    symbol = models.CharField(max_length=32)
    funding_time_ms = models.BigIntegerField()
    rate = models.DecimalField(max_digits=20, decimal_places=10)
    observed_ms = models.BigIntegerField(help_text="venue time of the last reading")

    class Meta:
        ordering = ["symbol", "funding_time_ms"]
        constraints = [
            models.UniqueConstraint(
                fields=["symbol", "funding_time_ms"], name="market_funding_once"
            )
        ]
        indexes = [models.Index(fields=["symbol", "observed_ms"], name="market_funding_obs")]

    def __str__(self) -> str:
        return f"{self.symbol} {self.funding_time_ms} {self.rate}"


class BasisObservation(models.Model):
    """One cross-exchange check of a symbol: price here vs the reference venue's."""

    symbol = models.CharField(max_length=32)
    time_ms = models.BigIntegerField()
    price = models.DecimalField(**MONEY)
    reference_price = models.DecimalField(**MONEY)
    basis = models.DecimalField(**MONEY, help_text="price - reference price")
    basis_bps = models.DecimalField(
        max_digits=12, decimal_places=4, help_text="signed: basis / reference x 10,000"
    )

    class Meta:
        ordering = ["symbol", "time_ms"]
        indexes = [models.Index(fields=["symbol", "time_ms"], name="market_basis_st")]

    def __str__(self) -> str:
        return f"{self.symbol} {self.time_ms} {self.basis_bps} bps"
