from celery import current_app as celery_app  # the project's app, set up by quantum_project
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.ops.api.serializers import HealthOutput, PortsOutput
from apps.ops.ports import exposure, port_map
from apps.ops.selectors import stack_health


class HealthView(APIView):
    """Health of every part: database, Redis, a worker per queue, beat, exchange. 503 when any
    part is down, naming it in `down`."""

    @extend_schema(responses={200: HealthOutput, 503: HealthOutput})
    def get(self, request: Request) -> Response:
        health = stack_health(celery_app)
        return Response(health, status=503 if health["down"] else 200)


class LiveView(APIView):
    """Liveness probe for supervisors: answers while the web process serves, nothing else."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: inline_serializer("Live", {"status": serializers.CharField()})})
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class PortMapView(APIView):
    """The port map: every service's address, exposure, and who listens there now."""

    @extend_schema(responses={200: PortsOutput})
    def get(self, request: Request) -> Response:
        rows = [
            {
                "service": row.service,
                "bind": row.bind,
                "port": row.port,
                "exposure": exposure(row.bind),
                "what": row.what,
                "listening": row.listening,
                "holder": row.holder,
                "ours": row.ours,
                "conflict": row.conflict,
            }
            for row in port_map()
        ]
        return Response({"ports": rows})
