"""Every route under /api/ refuses an anonymous GET (401/403), found by walking the URL
resolver, so no future endpoint ships open. Only the liveness probe and the two steps of
logging in answer without a user."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

OPEN = {"/api/health/live", "/api/auth/login/", "/api/auth/csrf/"}
# A sample value per path converter, so a route with parameters can be requested too.
SAMPLES = {"str": "BTCUSDT", "int": "1", "slug": "x", "uuid": "0" * 32, "path": "x"}
CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _routes(patterns, prefix: str = "") -> list[str]:
    routes = []
    for p in patterns:
        assert isinstance(p.pattern, RoutePattern), (
            f"{prefix}{p.pattern} is a regex route: teach this walker to build its URL"
        )
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            routes += _routes(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            routes.append(route)
    return routes


def api_urls() -> list[str]:
    api = [r for r in get_resolver().url_patterns if str(r.pattern) == "api/"]
    assert len(api) == 1, "the API is included once, under api/"
    urls = _routes(api[0].url_patterns, "/api/")
    return sorted(CONVERTER.sub(lambda m: SAMPLES[m["conv"] or "str"], u) for u in urls)


def test_it_finds_every_api_route_and_the_open_ones_still_exist():
    urls = api_urls()
    assert len(urls) >= 20
    for url in ("/api/trading/intents/", "/api/rl/calibrations/", "/api/schema/"):
        assert url in urls
    assert OPEN <= set(urls), "an open route was renamed: update OPEN"


@pytest.mark.parametrize("url", [u for u in api_urls() if u not in OPEN])
def test_it_refuses_an_anonymous_get(url):
    status = APIClient().get(url).status_code
    assert status in (401, 403), f"{url} answered an anonymous GET with {status}"
