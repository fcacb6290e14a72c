"""The import direction of docs/architecture-map.md, read from the code with ast, so the map
cannot drift from it: every `import` and `from ... import` (module level or inside a function)
of apps/, workers/ and quantum_project/ is checked against the allowed edges below."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DESK = {"core", "exchange", "market", "pnl", "trading", "models", "rl", "strategy", "ops", "api"}
# What each app may import besides itself (docs/architecture-map.md, "Direction of imports").
# `api` only from an app's api/ package: test_only_http_code_imports_the_api_hub.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "exchange": {"core"},
    "market": {"core", "exchange"},
    "pnl": {"core", "exchange", "market", "api"},
    "trading": {"core", "exchange", "market", "pnl", "api"},
    "models": {"core", "exchange", "market", "pnl", "trading", "api"},
    "rl": {"core", "exchange", "market", "pnl", "trading", "api"},
    "strategy": {"core", "exchange", "market", "pnl", "trading", "models", "api"},
    "ops": {"core", "api"},  # health reads the others over Redis and Celery, not by import
    "api": DESK - {"api"},  # the hub: routers, schema, auth, shared API helpers
    "paper_exchange": set(),  # a separate system: it meets the desk over HTTP only
}


def _unit(path: Path) -> str:
    """`apps.<app>`, `workers` or `quantum_project` for a source file."""
    rel = path.relative_to(ROOT).parts
    return f"apps.{rel[1]}" if rel[0] == "apps" and len(rel) > 2 else rel[0]


def _target(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "apps" and len(parts) > 1:
        return f"apps.{parts[1]}"
    if parts[0] in ("workers", "quantum_project"):
        return parts[0]
    return None


def edges() -> list[tuple[str, str, str]]:
    """(importing unit, imported unit, file:line) for every import between units."""
    found = []
    for top in ("apps", "workers", "quantum_project"):
        for path in sorted((ROOT / top).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                src = _unit(path)
                for module in modules:
                    dst = _target(module)
                    if dst and dst != src:
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        found.append((src, dst, where))
    return found


def test_it_finds_the_imports_it_checks():
    # the checker itself: it must see edges we know exist, or every rule below passes vacuously
    seen = {(s, d) for s, d, _ in edges()}
    assert ("apps.pnl", "apps.exchange") in seen
    assert ("quantum_project", "workers") in seen
    assert ("workers", "apps.trading") in seen


def test_every_app_imports_only_what_the_map_allows():
    wrong = [
        f"{where}: {src} imports {dst}"
        for src, dst, where in edges()
        if src.startswith("apps.")
        and dst.startswith("apps.")
        and dst.removeprefix("apps.") not in ALLOWED[src.removeprefix("apps.")]
    ]
    assert not wrong, "\n".join(wrong)


def test_no_desk_code_and_the_paper_exchange_import_each_other():
    wrong = [
        f"{where}: {src} imports {dst}"
        for src, dst, where in edges()
        if (src == "apps.paper_exchange") != (dst == "apps.paper_exchange")
    ]
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_workers_but_the_celery_app():
    wrong = [
        where
        for src, dst, where in edges()
        if dst == "workers" and not where.startswith("quantum_project/celery.py:")
    ]
    assert not wrong, "\n".join(wrong)


def test_only_http_code_imports_the_api_hub():
    # services and selectors stay callable from tasks and commands without the HTTP layer
    wrong = [
        where
        for src, dst, where in edges()
        if dst == "apps.api"
        and src.startswith("apps.")
        and src != "apps.api"
        and "/api/" not in where
    ]
    assert not wrong, "\n".join(wrong)
