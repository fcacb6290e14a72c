"""Output serializers of the exchange API: accounts, never their credentials."""

from rest_framework import serializers

from apps.exchange.models import ExchangeAccount


class AccountOutput(serializers.ModelSerializer):
    class Meta:
        model = ExchangeAccount
        # the masked key only: the ciphertexts and the plaintexts never leave the database
        fields = ["id", "name", "venue", "base_url", "is_active", "api_key_hint", "created_at"]
        read_only_fields = fields


class AccountsOutput(serializers.Serializer):
    """Every account, active or not; the PnL endpoints read every active one when no account
    is asked for (docs/figures.md, "All accounts")."""

    accounts = AccountOutput(many=True)
