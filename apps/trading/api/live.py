"""GET /api/live/: the dashboard's live feed as server-sent events (apps.trading.live), for a
session (or token) like every API endpoint. At most LIVE_MAX_STREAMS per web process; one more
answers 503 with Retry-After and the page keeps polling (docs/frontend.md, docs/operations.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.db import connections
from django.http import JsonResponse, StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.trading.live import FeedsExhausted, FeedSlot, live_frames


class EventStreamRenderer(BaseRenderer):
    """Lets a browser's EventSource (Accept: text/event-stream) through content negotiation; an
    error answer (401/403) is its JSON body."""

    media_type = "text/event-stream"
    format = "event-stream"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return json.dumps(data).encode()


class _FeedResponse(StreamingHttpResponse):
    """Gives the feed's slot back when the server closes the response, which it always does,
    even when the browser left before the first frame was written."""

    def __init__(self, frames: Iterator[str], slot: FeedSlot) -> None:
        super().__init__(frames, content_type="text/event-stream")
        self._slot: FeedSlot | None = slot
        self["Cache-Control"] = "no-cache"
        self["X-Accel-Buffering"] = "no"  # a proxy must not hold frames back

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._slot is not None:
                self._slot.__exit__(None, None, None)
                self._slot = None


def _frames(last_event_id: str | None) -> Iterator[str]:
    # The request's database work is done (auth, session): give its connection back rather
    # than hold one per open feed for hours.
    connections.close_all()
    yield from live_frames(last_event_id=last_event_id)


# One event as an SSE client parses the stream (the schema of each event, not of the body):
# `data` is a JSON document whose shape depends on `event` (apps/trading/live.py).
SSE_EVENT = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "enum": ["hello", "mark", "trading"]},
        "data": {"type": "string", "description": "JSON: the event's fields"},
        "id": {"type": "string", "description": "stream positions, sent back as Last-Event-ID"},
        "retry": {"type": "integer", "description": "reconnect delay, ms"},
    },
}


class LiveView(APIView):
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(
        summary="Live feed (server-sent events): marks and the desk's trading events",
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                response=SSE_EVENT, description="server-sent events"
            ),
            503: OpenApiResponse(description="every feed of this process is taken; poll"),
        },
    )
    def get(self, request: Request):
        slot = FeedSlot()
        try:
            slot.__enter__()
        except FeedsExhausted:
            answer = JsonResponse({"detail": "live feeds exhausted: poll"}, status=503)
            answer["Retry-After"] = "10"
            return answer
        last = request.headers.get("Last-Event-ID") or request.query_params.get("last_event_id")
        return _FeedResponse(_frames(last), slot)
