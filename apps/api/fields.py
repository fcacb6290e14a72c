"""Input fields the API's query filters share."""

from rest_framework import serializers

from apps.exchange.models import ExchangeAccount

# The database's largest id: a bigger number would overflow its integer, not just miss.
MAX_ID = 2**63 - 1


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


class AccountField(serializers.CharField):
    """`all` or an exchange account's id: validated to the account itself (None for `all`), so
    an id that names no account is refused with the field's 400 before any figure is read."""

    def __init__(self, *, help_text: str, **kwargs) -> None:
        super().__init__(required=False, help_text=help_text, **kwargs)

    def to_internal_value(self, data) -> ExchangeAccount | None:
        text = super().to_internal_value(data).strip()
        if text.lower() == "all":
            return None
        if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
            raise serializers.ValidationError(
                f'An account is "all" or an account id (a positive integer), not {text!r}.'
            )
        account = ExchangeAccount.objects.filter(id=int(text)).first()
        if account is None:
            raise serializers.ValidationError(
                f"No exchange account with id {text} (GET /api/accounts/ lists them; "
                '"all" aggregates every active one).'
            )
        return account
