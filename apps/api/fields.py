"""Input fields the API's query filters share."""

from rest_framework import serializers


def symbol_filter(
    help_text: str = "Exact symbol, e.g. BTCUSDT (case-insensitive).",
) -> serializers.Field:
    """An optional symbol filter: 2-32 letters or digits, so nothing else reaches a query."""
    return serializers.RegexField(
        r"^[A-Za-z0-9]{2,32}$",
        required=False,
        allow_blank=True,
        help_text=help_text,
        error_messages={"invalid": "A symbol is 2-32 letters or digits, e.g. BTCUSDT."},
    )
