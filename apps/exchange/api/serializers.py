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
    accounts = AccountOutput(many=True)
    default = serializers.IntegerField(
        allow_null=True,
        help_text="the account the PnL endpoints read when none is asked for (the first active)",
    )
