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


# GET /api/health/ (apps.ops.selectors.stack_health). A part that failed its check answers
# {"ok": false, "error": ...} alone, so every field but `ok` is optional.
def _opt(field_class, **kw):
    return field_class(required=False, **kw)


class ComponentOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    latency_ms = _opt(serializers.FloatField, help_text="the check's own time")
    error = _opt(serializers.CharField)


class DatabaseHealthOutput(ComponentOutput):
    vendor = _opt(serializers.CharField)


class BeatHealthOutput(ComponentOutput):
    last_tick = _opt(serializers.DateTimeField, allow_null=True)
    age_seconds = _opt(serializers.FloatField, allow_null=True)


class ExchangeHealthOutput(ComponentOutput):
    url = _opt(serializers.CharField)


class EventsHealthOutput(ComponentOutput):
    connections = _opt(
        serializers.DictField,
        child=serializers.DictField(),
        help_text="per websocket connection: state, last_event_age_seconds, reconnects",
    )
    groups = _opt(
        serializers.ListField,
        child=serializers.DictField(),
        help_text="per reactor group: stream, pending, lag",
    )


class RoundTripOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    error = _opt(serializers.CharField)
    round_trip_ms = _opt(serializers.IntegerField, allow_null=True)
    last_round_trip_age_seconds = _opt(serializers.FloatField, allow_null=True)


class QueueHealthOutput(RoundTripOutput):
    workers = serializers.ListField(child=serializers.CharField(), help_text="its consumers")


class WorkerHealthOutput(RoundTripOutput):
    stuck = _opt(serializers.BooleanField, help_text="answers the control channel, runs nothing")
    busy = _opt(serializers.IntegerField, help_text="tasks running while its probe waits")
    queues = _opt(serializers.ListField, child=serializers.CharField())
    probed = _opt(serializers.BooleanField)
    probe_pending_seconds = _opt(serializers.FloatField, allow_null=True)
    restarts = _opt(serializers.IntegerField)
    last_restart = _opt(serializers.DateTimeField, allow_null=True)


class LoopHealthOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    error = _opt(serializers.CharField)
    interval_seconds = _opt(serializers.FloatField)
    last_completed = _opt(serializers.DateTimeField, allow_null=True)
    age_seconds = _opt(serializers.FloatField)
    stale_after_seconds = _opt(serializers.FloatField)
    completed = _opt(serializers.IntegerField)
    skipped = _opt(serializers.IntegerField)
    failed = _opt(serializers.IntegerField)
    skips_in_a_row = _opt(serializers.IntegerField)
    max_skips_in_a_row = _opt(serializers.IntegerField)


class HealthComponentsOutput(serializers.Serializer):
    database = DatabaseHealthOutput()
    redis = ComponentOutput()
    queues = serializers.DictField(child=QueueHealthOutput())
    workers = serializers.DictField(child=WorkerHealthOutput())
    beat = BeatHealthOutput()
    exchange = ExchangeHealthOutput()
    events = EventsHealthOutput()
    loops = serializers.DictField(child=LoopHealthOutput())


class HealthOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "down"])
    down = serializers.ListField(
        child=serializers.CharField(), help_text='parts down: "redis", "queue:<name>", ...'
    )
    checked_at = serializers.DateTimeField()
    components = HealthComponentsOutput()
