"""Django serves the built SPA: index for / and SPA routes, hashed assets with long caching,
and a clear 503 when the bundle was never built."""

import pytest

pytestmark = pytest.mark.django_db


def test_index_and_spa_routes_serve_the_built_page(client, frontend_dist):
    for route in ("/", "/positions", "/pnl", "/health", "/login"):
        response = client.get(route)
        assert response.status_code == 200, route
        assert response["Content-Type"].startswith("text/html")
        assert response["Cache-Control"] == "no-cache"
        body = b"".join(response.streaming_content)
        assert b'<div id="root">' in body
        assert b"/assets/" in body


def test_assets_are_served_with_immutable_caching(client, frontend_dist):
    asset = next((frontend_dist / "assets").glob("*.js"))
    response = client.get(f"/assets/{asset.name}")
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    assert client.get("/assets/nope-123.js").status_code == 404


def test_api_and_missing_files_are_not_swallowed_by_the_spa(client, frontend_dist):
    assert client.get("/api/auth/me/").status_code == 403  # JSON API, not index.html
    assert client.get("/favicon.svg").status_code == 404  # a file name: never the SPA
    assert client.post("/").status_code == 405  # GET only


def test_favicon_is_served(client, frontend_dist):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert response["Content-Type"] in {"image/vnd.microsoft.icon", "image/x-icon"}
    assert "max-age" in response["Cache-Control"]
    index = b"".join(client.get("/").streaming_content)
    assert b'rel="icon" href="/favicon.ico"' in index


def test_missing_build_is_a_clear_503(client, settings, tmp_path):
    settings.FRONTEND_DIST_DIR = tmp_path / "no-dist"
    response = client.get("/positions")
    assert response.status_code == 503
    assert b"frontend not built: run make frontend" in response.content
