"""Serves the built React dashboard (frontend/dist) from the Django app itself, so the SPA and
/api/ are same-origin on every port the app runs on (8025 and the frontend's 8889).

- `/assets/<file>`: Vite's content-hashed bundles, cached for a year (immutable).
- `/` and every SPA route (`/positions`, `/pnl`, ...): dist/index.html, never cached, no data
  in it; the SPA logs in through /api/auth/ and fetches everything from /api/.
- `/favicon.ico`: the desk's icon (frontend/public, copied into dist by the build), a day's cache.
- No build: `/` answers 503 "frontend not built: run make frontend".
"""

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.urls import path, re_path
from django.views.decorators.http import require_safe
from django.views.static import serve

NOT_BUILT = (
    "<!doctype html><meta charset='utf-8'><title>Quantum Trader: frontend not built</title>"
    "<h1>frontend not built: run make frontend</h1>"
    "<p>The dashboard's bundle (frontend/dist) is missing. Build it with "
    "<code>make frontend</code> (or "
    "<code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>)."
    " The API under <a href='/api/'>/api/</a> works without it.</p>"
)


def dist_dir() -> Path:
    return Path(getattr(settings, "FRONTEND_DIST_DIR", settings.BASE_DIR / "frontend" / "dist"))


@require_safe
def index(request, route: str = ""):
    index_html = dist_dir() / "index.html"
    if not index_html.is_file():
        response = HttpResponse(NOT_BUILT, status=503, content_type="text/html; charset=utf-8")
        response["Cache-Control"] = "no-store"
        response["Retry-After"] = "60"
        return response
    response = FileResponse(index_html.open("rb"), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def asset(request, path: str):
    response = serve(request, path, document_root=str(dist_dir() / "assets"))
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@require_safe
def favicon(request):
    response = serve(request, "favicon.ico", document_root=str(dist_dir()))
    response["Cache-Control"] = "public, max-age=86400"
    return response


# Appended after /api/ and /admin/ in quantum_project/urls.py. SPA routes are paths without a
# file extension outside api/, admin/, static/ and assets/; a missing file is a 404, not the SPA.
urlpatterns = [
    path("assets/<path:path>", asset, name="spa-asset"),
    path("favicon.ico", favicon, name="spa-favicon"),
    path("", index, name="spa-index"),
    re_path(r"^(?!api/|admin/|static/|assets/)(?P<route>[\w\-/]*)$", index, name="spa-route"),
]
