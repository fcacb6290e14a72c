"""Exchange accounts: where the desk trades and which credentials it signs with."""

from django.db import models


class VenueKind(models.TextChoices):
    BINANCE = "binance", "Binance USD-M"
    PAPER = "paper", "Paper exchange"


class ExchangeAccount(models.Model):
    name = models.SlugField(max_length=64, unique=True)
    venue = models.CharField(max_length=16, choices=VenueKind.choices, default=VenueKind.BINANCE)
    base_url = models.URLField(max_length=255, help_text="e.g. https://fapi.binance.com")
    is_active = models.BooleanField(default=True)
    # Fernet ciphertexts (apps.exchange.crypto); the plaintexts never touch the database.
    api_key_encrypted = models.TextField(editable=False)
    api_secret_encrypted = models.TextField(editable=False)
    # A masked form of the key (`abcd…wxyz`) for the admin and logs: no decryption needed.
    api_key_hint = models.CharField(max_length=16, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paper(self) -> bool:
        return self.venue == VenueKind.PAPER
