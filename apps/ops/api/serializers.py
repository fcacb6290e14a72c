"""Output serializers of the ops API: they declare the answers' shapes in the OpenAPI schema
(the dashboard's types are generated from it)."""

from rest_framework import serializers


class PortOutput(serializers.Serializer):
    service = serializers.CharField()
    bind = serializers.CharField()
    port = serializers.IntegerField()
    exposure = serializers.CharField(help_text='"loopback only" or "NETWORK"')
    what = serializers.CharField()
    listening = serializers.BooleanField()
    holder = serializers.CharField(allow_null=True, help_text="the process listening, if known")
    ours = serializers.BooleanField(help_text="the listener is this desk's own service")
    conflict = serializers.CharField(allow_null=True)


class PortsOutput(serializers.Serializer):
    ports = PortOutput(many=True)
