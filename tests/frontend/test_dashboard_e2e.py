"""End-to-end: the built dashboard, served by the real Django app under gunicorn on the test
database, driven by headless Debian chromium (frontend/e2e/dashboard.mjs via playwright-core).
The browser logs in and reports what each page shows; this test compares it with the API's own
answers. Screenshots go to $QT_ARTIFACTS_DIR (default frontend/test-results/)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.frontend.frontend_support import (
    CHROMIUM,
    FRONTEND,
    Gunicorn,
    api_session,
    money_text,
)
from tests.frontend.seed import (
    research_step,
    seed_calibrations,
    seed_intelligence,
    seed_pnl,
    seed_research,
    seed_trading,
    unseed_account,
    unseed_calibrations,
    unseed_intelligence,
    unseed_pnl,
    unseed_research,
    unseed_trading,
)
from tests.support.processes import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(os.environ.get("QT_ARTIFACTS_DIR", FRONTEND / "test-results"))
# The exchange is deliberately unreachable (discard port): health must show it down.
DEAD_EXCHANGE = "http://127.0.0.1:9"
# page -> an endpoint it shows that other apps may not serve yet (404 today)
FUTURE_ENDPOINTS = {
    "audit": "/api/trading/intents/",
    "strategies": "/api/strategy/runs/",
    "rl": "/api/rl/agent/",
}
# the audit page's filter steps (frontend/e2e/dashboard.mjs) -> the queries the API gets for
# intents and orders; the page must show exactly the API's answer to each
AUDIT_FILTERS = {
    "side=SELL": ("side=SELL", "side=SELL"),
    "state=REJECTED,status=CANCELED": ("state=REJECTED", "status=CANCELED"),
    "side=BUY,state=APPROVED,status=FILLED": ("side=BUY&state=APPROVED", "side=BUY&status=FILLED"),
    "symbol=ETHUSDT": ("symbol=ETHUSDT", "symbol=ETHUSDT"),
    "symbol=E": ("symbol=E", "symbol=E"),  # refused: 2-32 letters or digits
}


def _marks_publish(stop: threading.Event) -> None:
    """A mark every 0.5 s until stopped (the stream process's publish, for an untraded symbol)."""
    from apps.exchange.reports import MarkReport
    from apps.market.services import mark_publish

    while not stop.wait(0.5):
        now_ms = int(time.time() * 1000)
        mark_publish(
            mark=MarkReport(
                symbol="XRPUSDT",
                mark_price=Decimal("0.5"),
                index_price=Decimal("0.5"),
                funding_rate=Decimal("0"),
                next_funding_ms=now_ms + 3_600_000,
                time_ms=now_ms,
            )
        )


def _research_advance(stop: threading.Event, run_id: int | None, written: list, blocker) -> None:
    """The seeded training run moves through its folds (1 -> 2 -> 3 -> 1 ...) every 0.8 s while
    the browser reads the pages, as a research worker's updates would; each write is recorded."""
    from django.db import connection

    k = 1
    try:
        while not stop.wait(0.8):
            k = k % 3 + 1
            with blocker.unblock():
                step = research_step(run_id, k)
            if step:
                written.append(step)
    finally:
        connection.close()


@pytest.fixture(scope="module")
def e2e(frontend_dist, subprocess_env, django_db_blocker, run_dir):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: `apt-get install chromium` (make system-deps)")
    if not shutil.which("node"):
        pytest.fail("node missing: the dashboard's e2e needs Node 20+")
    from django.contrib.auth.models import User

    username, password = f"trader-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    staff, staff_password = f"staff-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    with django_db_blocker.unblock():
        User.objects.create_user(username, password=password)
        User.objects.create_user(staff, password=staff_password, is_staff=True)
        seeded = seed_pnl()
        trading = seed_trading()
        calibrations = seed_calibrations()
        intelligence = seed_intelligence(run_dir / "e2e-models")
        research = seed_research()

    env = {**subprocess_env, "EXCHANGE_BASE_URL": DEAD_EXCHANGE}
    server = Gunicorn(env, free_port(), run_dir / "frontend-gunicorn.log").start()
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # The desk's marks while the browser reads the pages, through the market's own publish,
        # for a symbol no figure depends on (the pages' figures stay the API's): each reaches the
        # page over the live feed and makes the overview refetch its PnL (docs/frontend.md).
        marks_stop = threading.Event()
        marks = threading.Thread(target=_marks_publish, args=(marks_stop,), daemon=True)
        marks.start()
        research_written = [("walk-forward fold 1/4", 27)]
        advance = threading.Thread(
            target=_research_advance,
            args=(marks_stop, research, research_written, django_db_blocker),
            daemon=True,
        )
        advance.start()
        try:
            proc = subprocess.run(
                ["node", "e2e/dashboard.mjs"],
                cwd=FRONTEND,
                env={
                    **os.environ,
                    "QT_BASE_URL": server.url,
                    "QT_USERNAME": username,
                    "QT_PASSWORD": password,
                    "QT_STAFF_USERNAME": staff,
                    "QT_STAFF_PASSWORD": staff_password,
                    "QT_ARTIFACTS_DIR": str(ARTIFACTS),
                    "CHROMIUM_PATH": CHROMIUM,
                },
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
        finally:
            marks_stop.set()
            marks.join(timeout=5)
            advance.join(timeout=5)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        assert lines, f"no JSON from the browser:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        shown = json.loads(lines[-1])
        (ARTIFACTS / "dashboard.json").write_text(json.dumps(shown, indent=2))
        assert proc.returncode == 0 and shown["ok"], (
            f"browser run failed: {shown.get('error')}\nscreenshots: {ARTIFACTS}"
        )
        # The API's own answers, asked the way the SPA asks them (session + CSRF login).
        api = api_session(server.url, username, password)
        answers = {
            "rl": api.get(f"{server.url}/api/rl-dashboard/?window=24h", timeout=30),
            "daily": api.get(f"{server.url}/api/pnl/daily/?days=30", timeout=30),
            "health": api.get(f"{server.url}/api/health/", timeout=30),
            "ports": api.get(f"{server.url}/api/ops/ports/", timeout=30),
            "intents": api.get(f"{server.url}/api/trading/intents/?limit=200", timeout=30),
            "intents_eth": api.get(f"{server.url}/api/trading/intents/?symbol=ETHUSDT", timeout=30),
            "orders": api.get(f"{server.url}/api/trading/orders/?limit=200", timeout=30),
            "orders_eth": api.get(f"{server.url}/api/trading/orders/?symbol=ETHUSDT", timeout=30),
            "positions": api.get(f"{server.url}/api/trading/positions/", timeout=30),
            "desk": api.get(f"{server.url}/api/trading/desk/", timeout=30),
            "calibrations": api.get(f"{server.url}/api/rl/calibrations/?limit=20", timeout=30),
            "now": api.get(f"{server.url}/api/intelligence/now/", timeout=30),
            "models": api.get(f"{server.url}/api/models/", timeout=30),
            "runs": api.get(f"{server.url}/api/strategy/runs/", timeout=30),
            "versions": api.get(f"{server.url}/api/strategy/versions/", timeout=30),
            "chart": api.get(f"{server.url}/api/trading/symbols/BTCUSDT/chart/", timeout=30),
            "filters": {
                name: {
                    kind: api.get(f"{server.url}/api/trading/{kind}/?limit=200&{q}", timeout=30)
                    for kind, q in zip(("intents", "orders"), queries, strict=True)
                }
                for name, queries in AUDIT_FILTERS.items()
            },
        }
        future = {
            path: api.get(f"{server.url}{path}", timeout=30).status_code
            for path in FUTURE_ENDPOINTS.values()
        }
        answers["future"] = future
        with django_db_blocker.unblock():
            answers["flatten_events"] = _flatten_events()
        yield {
            "shown": shown,
            "api": answers,
            "seeded": seeded,
            "trading": trading,
            "calibrations": calibrations,
            "intelligence": intelligence,
            "research": research,
            "research_written": research_written,
            "staff": staff,
        }
    finally:
        server.stop()
        with django_db_blocker.unblock():
            User.objects.filter(username__in=[username, staff]).delete()
            unseed_calibrations(calibrations)
            unseed_intelligence()
            unseed_research(research)
            unseed_trading()
            unseed_pnl()
            unseed_account()


def _flatten_events() -> list[dict]:
    """The desk's audit trail of flattens (the database, not the page): who, which intents."""
    from django.apps import apps as django_apps

    if not django_apps.is_installed("apps.trading"):
        return []
    from apps.trading.models import DeskEvent

    return [
        {"user": e.user.get_username() if e.user else None, "intents": e.detail.get("intents")}
        for e in DeskEvent.objects.filter(action="flatten").select_related("user")
    ]


def test_no_data_without_a_session_and_login_works(e2e):
    shown = e2e["shown"]
    assert shown["redirect_without_session"] == "/login?next=%2Fpnl"
    assert shown["figures_without_session"] == 0
    assert shown["bad_login_error"] == "Invalid username or password."
    assert shown["after_login_path"] == "/"
    assert shown["me_after_logout"] == 403
    assert shown["page_errors"] == []


def test_health_is_rendered_as_the_api_reports_it(e2e):
    shown, health = e2e["shown"], e2e["api"]["health"]
    assert health.status_code == 503  # no worker, no beat, no exchange in this test
    body = health.json()
    assert "exchange" in body["down"]
    # the banner names exactly what the API says is down, prominently
    assert shown["banner"]["kind"] == "desk-down"
    assert shown["banner"]["down"].split(",") == body["down"]
    components = shown["pages"]["health"]["components"]
    assert components["database"] is True and components["exchange"] is False
    for queue, info in body["components"]["queues"].items():
        assert components[f"queue:{queue}"] is info["ok"]


def test_the_page_refreshes_itself(e2e):
    # the live feed is up (its line says so) and ~6 s watched with a mark pushed every 0.5 s:
    # the overview refetched its PnL without a reload (at most every 3 s on marks; its poll is
    # 20 s while the feed is up)
    assert e2e["shown"]["live"]["state"] == "up", e2e["shown"]["live"]
    assert e2e["shown"]["live"]["text"].startswith("Live")
    assert e2e["shown"]["rl_dashboard_polls_in_6s"] >= 1


def test_phone_width_has_no_horizontal_scroll(e2e):
    assert e2e["shown"]["phone_overflow_px"] <= 0


def test_pages_of_missing_endpoints_explain_they_are_not_available(e2e):
    pages, statuses = e2e["shown"]["pages"], e2e["api"]["future"]
    for name, path in FUTURE_ENDPOINTS.items():
        explained = any(
            "Not available on this desk yet" in t and path in t for t in pages[name]["empty_states"]
        )
        # shown exactly when the endpoint is missing: never on a working endpoint
        assert explained is (statuses[path] == 404), (name, statuses[path])


def test_overview_figures_match_the_api(e2e):
    rl = e2e["api"]["rl"]
    if rl.status_code == 404:
        pytest.skip("/api/rl-dashboard/ answers 404: the PnL endpoints are not on this desk yet")
    assert rl.status_code == 200, rl.text[:500]
    body = rl.json()
    figures = e2e["shown"]["figures"]
    totals = body.get("totals")
    if body["status"] == "no_data" or not totals:
        assert any("No PnL data yet" in t for t in e2e["shown"]["empty_states"])
        assert "equity" not in figures
        return
    balances = ("equity", "wallet_balance", "available_balance", "initial_margin")
    pnl = ("total_pnl", "realized_pnl", "unrealized_pnl", "net_pnl", "commission", "funding")
    for name in balances + pnl:
        assert figures[name]["raw"] == str(totals[name]), name
        assert figures[name]["text"] == money_text(totals[name], sign=name in pnl), name
    # PnL cards never claim to be current while the exchange is down
    assert figures["total_pnl"]["freshness"] in {"stale", "offline"}
    if e2e["seeded"]:  # the API agrees with the seed's own arithmetic, and so does the page
        assert totals["realized_pnl"] == e2e["seeded"]["realized_pnl_24h"]
        assert totals["unrealized_pnl"] == e2e["seeded"]["unrealized_pnl"]
        assert figures["realized_pnl"]["text"] == "+7.34 USDT"  # 12.34 - 5.005 = 7.335


def test_positions_match_the_api(e2e):
    rl = e2e["api"]["rl"]
    if rl.status_code == 404:
        pytest.skip("/api/rl-dashboard/ answers 404: the PnL endpoints are not on this desk yet")
    rows = {r["symbol"]: r for r in e2e["shown"]["pages"]["positions"]["rows"]}
    symbols = rl.json()["symbols"]
    assert sorted(rows) == sorted(s["symbol"] for s in symbols)
    for s in symbols:
        assert rows[s["symbol"]]["unrealized_raw"] == s["unrealized_pnl"]
        assert rows[s["symbol"]]["unrealized_pnl"] == money_text(s["unrealized_pnl"])


def test_daily_pnl_matches_the_api(e2e):
    daily = e2e["api"]["daily"]
    if daily.status_code == 404:
        pytest.skip("/api/pnl/daily/ answers 404: the PnL endpoints are not on this desk yet")
    days = daily.json()["days"]
    figures = e2e["shown"]["figures"]
    if not days:
        assert "today_net_pnl" not in figures
        return
    last = days[-1]
    assert figures["today_net_pnl"]["raw"] == str(last["net_pnl"])
    assert figures["today_net_pnl"]["text"] == money_text(last["net_pnl"])
    shown_rows = {r["date"]: r["net"] for r in e2e["shown"]["pages"]["pnl"]["daily_rows"]}
    for day in days:
        assert shown_rows[day["date"]] == money_text(day["net_pnl"])


def _trading(e2e, name):
    answer = e2e["api"][name]
    if answer.status_code == 404:
        pytest.skip(f"{answer.url} answers 404: the trading API is not on this desk")
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()


def _cells_match(shown_row, api_row, money=(), raw=()):
    """Money cells: the API's raw string and its signed text; other cells: the raw string."""
    for key in money:
        value = api_row[key]
        assert shown_row[key]["raw"] == (None if value is None else str(value)), key
        assert shown_row[key]["text"] == ("—" if value is None else money_text(value)), key
    for key in raw:
        value = api_row[key]
        assert shown_row[key]["raw"] == (None if value is None else str(value)), key


def test_intents_and_orders_match_the_api(e2e):
    intents, orders = _trading(e2e, "intents"), _trading(e2e, "orders")
    audit = e2e["shown"]["pages"]["audit"]
    # ids as numbers on both sides: the database's ids pass 9 when other tests seeded before
    assert sorted(map(int, audit["intents"])) == sorted(r["id"] for r in intents["results"])
    order_ids = sorted(int(r["order_id"]) for r in orders["results"])
    assert sorted(map(int, audit["orders"])) == order_ids
    for row in intents["results"]:
        shown = audit["intents"][str(row["id"])]
        _cells_match(
            shown,
            row,
            money=["realized_pnl"],
            raw=["symbol", "side", "state", "quantity", "avg_price"],
        )
    for row in orders["results"]:
        _cells_match(
            audit["orders"][str(row["order_id"])],
            row,
            raw=["symbol", "side", "status", "executed_qty"],
        )
    if e2e["trading"]:  # the seed's reduce realized 1.2345: shown rounded half-up with its sign
        assert "+1.23 USDT" in [r["realized_pnl"]["text"] for r in audit["intents"].values()]


def _refusal(body: dict) -> str:
    """A DRF 400 as the page words it: `field: message` per refused field."""
    if "detail" in body:
        return str(body["detail"])
    return "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in body.items())


def test_audit_filters_are_the_apis_filtered_answers(e2e):
    _trading(e2e, "intents")
    shown = e2e["shown"]["pages"]["audit"]["filters"]
    for name, answers in e2e["api"]["filters"].items():
        for kind, key in (("intents", "id"), ("orders", "order_id")):
            answer, card = answers[kind], shown[name][kind]
            if name == "symbol=E":  # refused: the API's own 400 message, no rows
                assert answer.status_code == 400, answer.text[:300]
                assert card["refused"] == _refusal(answer.json()), (name, kind)
                assert card["ids"] == [] and "symbol" in card["refused"]
                continue
            assert answer.status_code == 200, answer.text[:300]
            body = answer.json()
            # the rows the server sent, in its order: the page filters nothing itself
            assert card["ids"] == [str(r[key]) for r in body["results"]], (name, kind)
            assert card["query"] == answer.request.url.split("?", 1)[1], (name, kind)
            assert int(card["count"]) == body["count"], (name, kind)
            assert int(card["shown"]) == len(body["results"]), (name, kind)
            assert card["text"].startswith(f"{len(body['results'])} shown · {body['count']} match")
    if e2e["trading"]:  # the seed (and the flatten) give every step rows, so each filter bit
        for name in ("side=SELL", "state=REJECTED,status=CANCELED", "symbol=ETHUSDT"):
            assert shown[name]["intents"]["ids"] and shown[name]["orders"]["ids"], name
        everything = {str(r["id"]) for r in _trading(e2e, "intents")["results"]}
        assert set(shown["side=SELL"]["intents"]["ids"]) < everything
    assert e2e["shown"]["pages"]["audit"]["phone_overflow_px"] <= 0


def test_calibration_history_is_the_apis(e2e):
    answer = e2e["api"]["calibrations"]
    if answer.status_code == 404:
        pytest.skip("/api/rl/calibrations/ answers 404: the RL app is not on this desk")
    assert answer.status_code == 200, answer.text[:300]
    body = answer.json()
    rows = e2e["shown"]["pages"]["rl"]["calibrations"]
    assert [r["id"] for r in rows] == [str(c["id"]) for c in body["results"]]  # newest first
    assert e2e["shown"]["pages"]["rl"]["calibrations_count"] == str(body["count"])
    for row, run in zip(rows, body["results"], strict=True):
        assert row["created_at"] == run["created_at"]
        assert row["rewards_used"] == str(run["rewards_used"])
        assert row["no_change"] is (not run["changes"])
        assert [c["param"] for c in row["changes"]] == list(run["changes"])
        for shown_change in row["changes"]:
            before, after, why = run["changes"][shown_change["param"]]
            assert json.loads(shown_change["before"]) == before
            assert json.loads(shown_change["after"]) == after
            assert shown_change["why"] == why
    if e2e["calibrations"]:
        seeded = e2e["calibrations"]
        assert [int(r["id"]) for r in rows[: len(seeded)]] == seeded[::-1]
        newest = {c["param"]: c for c in rows[0]["changes"]}
        assert newest["epsilon"]["text"] == "0.1 → 0.05"
        assert newest["multipliers"]["text"] == '["0.5","1.0"] → ["0.5","1.0","1.5"]'
        assert rows[1]["no_change"] is True


def test_positions_exits_match_the_api(e2e):
    positions = _trading(e2e, "positions")["results"]
    exits = e2e["shown"]["pages"]["positions"]["exits"]
    assert sorted(exits) == sorted(p["symbol"] for p in positions)
    for p in positions:
        _cells_match(
            exits[p["symbol"]],
            p,
            money=["unrealized_pnl"],
            raw=[
                "amount",
                "mark_price",
                "take_profit",
                "stop_loss",
                "trailing_pct",
                "trailing_stop",
            ],
        )
    if e2e["trading"]:
        btc = exits["BTCUSDT"]
        assert (btc["side"]["text"], btc["take_profit"]["text"], btc["stop_loss"]["text"]) == (
            "LONG",
            "63,000.00",
            "58,800.00",
        )
        assert (
            btc["trailing_pct"]["text"] == "1.50 %" and exits["ETHUSDT"]["side"]["text"] == "SHORT"
        )


def test_port_map_matches_the_api(e2e):
    ports = e2e["api"]["ports"]
    if ports.status_code == 404:
        pytest.skip("/api/ops/ports/ answers 404")
    shown = e2e["shown"]["pages"]["health"]["ports"]
    rows = ports.json()["ports"]
    assert sorted(shown) == sorted(r["service"] for r in rows)
    for r in rows:
        cell = shown[r["service"]]
        assert cell["port"]["raw"] == str(r["port"]) and cell["bind"]["raw"] == r["bind"]
        assert cell["exposure"]["text"] == r["exposure"]
        assert cell["conflict"]["text"] == (r["conflict"] or "none")


def test_desk_controls_only_for_staff(e2e):
    desk = _trading(e2e, "desk")
    shown = e2e["shown"]
    # the trader (not staff) sees the desk read-only: no control at all, no flatten
    assert shown["desk"]["controls"] == 0 and shown["desk"]["buttons"] == 0
    assert shown["desk"]["flatten_buttons"] == 0 and shown["desk"]["readonly"] == 1
    # the staff user sees them; nothing is posted before the confirm step
    assert shown["staff_desk"]["controls"] == 1 and shown["staff_desk"]["readonly"] == 0
    assert shown["staff_desk"]["flatten_buttons"] == 1
    assert shown["staff_posts_before_confirm"] == 0
    assert shown["staff_desk"]["mode"] == "normal"
    assert shown["staff_desk_after"]["mode"] == "defensive"
    # the API agrees (asked after the run): the staff user's confirmed change, with its reason,
    # and the trader, who looked after it, saw that desk
    assert desk["mode"] == "defensive" and desk["changed_by"] == e2e["staff"]
    assert desk["reason"] == "e2e: defensive from the dashboard"
    assert shown["desk"]["mode"] == desk["mode"]
    assert shown["staff_desk_after"]["kill_switch"] == str(desk["kill_switch"]).lower()


def test_flatten_only_after_confirm_and_what_it_made(e2e):
    _trading(e2e, "desk")
    shown = e2e["shown"]
    # the confirm step says what happens; Cancel and the step itself sent no flatten
    assert "FLATTEN: close every open position now" in shown["flatten_confirm_text"]
    posts = [json.loads(p) for p in shown["desk_posts"]]
    before = [json.loads(p) for p in shown["desk_posts_before_flatten_confirm"]]
    assert not any(p.get("flatten") for p in before)
    assert posts == [*before, {"flatten": True}]  # exactly one, after Confirm
    # the database's audit trail: one flatten, by the staff user, naming what the page showed
    events = e2e["api"]["flatten_events"]
    assert [e["user"] for e in events] == [e2e["staff"]]
    ids = [int(i) for i in shown["flatten_result"]["ids"].split(",") if i]
    assert ids == events[0]["intents"]
    # and the API lists those intents: reduce-only closes of the open positions
    intents = {r["id"]: r for r in _trading(e2e, "intents")["results"]}
    positions = {p["symbol"]: p for p in _trading(e2e, "positions")["results"]}
    made = [intents[i] for i in ids]
    assert all(r["reduce_only"] and r["action"] == "CLOSE" for r in made)
    assert sorted(r["symbol"] for r in made) == sorted(positions)
    for r in made:
        amount = positions[r["symbol"]]["amount"]
        assert r["side"] == ("BUY" if amount.startswith("-") else "SELL")
        assert Decimal(r["quantity"]) == abs(Decimal(amount))
    if e2e["trading"]:
        assert len(ids) == 2  # both seeded positions
    assert shown["flatten_result"]["text"].startswith(f"Flatten sent: {len(ids)} reduce-only")


def test_research_starts_only_for_staff(e2e):
    shown = e2e["shown"]
    # the trader's RL and strategies pages carry no start control at all
    assert shown["pages"]["rl"]["start_buttons"] == 0
    assert shown["pages"]["strategies"]["start_buttons"] == 0
    # the staff user gets the button wherever its card's endpoint answers
    for test_id, answer, label in (
        ("start-training", "models", "Start training"),
        ("start-evolution", "runs", "Start evolution run"),
    ):
        ok = e2e["api"][answer].status_code == 200
        assert shown["staff_start_buttons"][test_id] == ([label] if ok else []), test_id


def _listed(answer) -> list[dict]:
    body = answer.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def test_model_skill_rows_are_the_apis_trained_models(e2e):
    if not e2e["intelligence"]:
        pytest.skip("the models and strategy apps are not installed")
    models = e2e["api"]["models"].json()["models"]
    assert models, "the seed trains one model: the API must list it"
    shown = e2e["shown"]["pages"]["rl"]["models"]
    assert sorted(shown, key=int) == sorted(str(m["id"]) for m in models)
    for m in models:
        row = shown[str(m["id"])]
        assert row["kind"]["text"] == m["kind"] and row["status"]["text"] == m["status"]
        assert row["verdict"]["raw"] == m["verdict"]
        # the hold-out cell gives the model's accuracy beside its best base rate, as the API has
        metrics = m["metrics"]
        assert f"accuracy {float(metrics['accuracy']):.4f}" in row["metrics"]["text"]
        assert f"best base {float(metrics['best_base']['accuracy']):.4f}" in row["metrics"]["text"]


def test_evolution_runs_and_versions_are_the_apis(e2e):
    if not e2e["intelligence"]:
        pytest.skip("the models and strategy apps are not installed")
    page = e2e["shown"]["pages"]["strategies"]
    runs, versions = _listed(e2e["api"]["runs"]), _listed(e2e["api"]["versions"])
    assert [r["id"] for r in runs] == [e2e["intelligence"]["evolution_run"]]
    assert [(int(r["id"]), r["status"]) for r in page["runs"]] == [
        (r["id"], r["status"]) for r in runs
    ]
    run = runs[0]
    assert f"generation {run['generation']}/{run['generations']}" in page["runs"][0]["text"]
    assert versions, "an evolution run registers its best parameters as a version"
    assert sorted(page["versions"], key=int) == sorted(str(v["id"]) for v in versions)
    for v in versions:
        row = page["versions"][str(v["id"])]
        assert row["family"]["text"] == v["family"] and row["status"]["text"] == v["status"]


def test_the_symbol_page_draws_the_klines_and_the_positions_levels(e2e):
    if not e2e["intelligence"]:
        pytest.skip("the models and strategy apps are not installed")
    shown, chart = e2e["shown"]["symbol_page"], e2e["api"]["chart"].json()
    assert shown["url"] == "/symbols/BTCUSDT"
    assert shown["candles"] == len(chart["candles"]) > 0
    assert shown["fills"] == len(chart["fills"])
    # columns of the pane painted in each candle colour: the bars are drawn, not only counted
    assert shown["painted"]["up"] >= 20 and shown["painted"]["down"] >= 20, shown["painted"]
    position = chart["positions"][0]
    for level in ("entry_price", "take_profit", "stop_loss", "trailing_stop"):
        raw = shown["levels"].get(level) or shown["levels"].get(level.removesuffix("_price"))
        assert raw is not None and Decimal(raw) == Decimal(position[level]), (level, shown)


def test_calibration_effects_are_the_apis(e2e):
    """Each change is shown with the figure it acted on, then and since, as the API has them."""
    answer = e2e["api"]["calibrations"]
    if answer.status_code == 404:
        pytest.skip("/api/rl/calibrations/ answers 404: the RL app is not on this desk")
    rows = {r["id"]: r for r in e2e["shown"]["pages"]["rl"]["calibrations"]}
    shown_effects = 0
    for run in answer.json()["results"]:
        effects = {e["parameter"]: e for e in run["effects"]}
        for change in rows[str(run["id"])]["changes"]:
            effect = effects.get(change["param"])
            if effect is None:
                assert change["effect"] is None
                continue
            shown = change["effect"]
            assert shown["figure"] == effect["figure"]
            assert json.loads(shown["then"]) == effect["at_change"]
            assert json.loads(shown["since"]) == effect["since"]
            shown_effects += 1
    if e2e["calibrations"]:
        oldest = {c["param"]: c["effect"] for c in rows[str(e2e["calibrations"][0])]["changes"]}
        assert shown_effects == 2
        # The seeded run's figures, and no trade closed after the newest reward it read.
        assert oldest["reward_clip"]["text"] == (
            "robust σ of rewards: 0.0853 (n 64) then → — (n 0) since · no trades yet"
        )
        assert oldest["epsilon"]["text"].startswith("mean reward: 0.0125 ± 0.0102 (n 64) then")
        assert oldest["epsilon"]["verdict"] == "no trades yet"


def test_the_rl_page_says_what_the_desk_trades_with_now(e2e):
    answer = e2e["api"]["now"]
    if answer.status_code == 404:
        pytest.skip("/api/intelligence/now/ answers 404 on this desk")
    shown = e2e["shown"]["pages"]["rl"]["now"]
    assert shown == [
        {"symbol": s["symbol"], "source": s["source"], "why": s["why"]}
        for s in answer.json()["symbols"]
    ]
    assert shown  # the traded symbols: every one is said


def test_the_rl_page_shows_a_training_run_moving_through_its_folds(e2e):
    if e2e["research"] is None:
        pytest.skip("the models app is not on this desk")
    seen = e2e["shown"]["pages"]["rl"]["research_seen"]
    written = set(e2e["research_written"])
    # The page moved with the run at least twice while it was open, and showed only what was
    # written (stage, bar and the folds so far together: one answer, never a mix).
    assert len(seen) >= 3, seen
    for s in seen:
        assert s["run"] == f"training {e2e['research']}"
        assert (s["stage"], int(s["progress"])) in written, s
        assert s["folds"] == s["stage"].split()[-1].split("/")[0]
