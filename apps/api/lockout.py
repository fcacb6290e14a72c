"""What a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE): 429 with Retry-After, as
JSON `{"detail": ...}` on the API (what the SPA's login form shows), as text on the admin."""

from axes.helpers import get_cool_off, get_lockout_message
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


def client_address(request: HttpRequest) -> str:
    """The address a login attempt counts against: the peer, or behind the TLS proxy the last
    X-Forwarded-For entry, which the proxy appends (anything before it is the client's to say)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.TLS_PROXY and forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    message = get_lockout_message()
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    cool_off = get_cool_off(request)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
