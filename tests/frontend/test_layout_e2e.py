"""End-to-end layout: every page of the built dashboard at 1280x800 and 390x844 in headless
chromium (frontend/e2e/layout.mjs), on a desk seeded the way a trader finds it 15 minutes after
`make up`: equity a few cents around 10,000 over four minutes of polls, rewards of 0.0007 and
-0.0015, a flat symbol beside an open one, and the trading app's intents, orders and positions.

Every nav item is reachable without scrolling, no table is wider than its card at 1280 px, and
every chart's axis labels are whole and distinct at both widths (issue 15)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from tests.frontend.frontend_support import CHROMIUM, FRONTEND, Gunicorn
from tests.frontend.seed import (
    _account,
    income_store,
    seed_trading,
    unseed_account,
    unseed_pnl,
    unseed_trading,
)
from tests.support.processes import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(os.environ.get("QT_ARTIFACTS_DIR", FRONTEND / "test-results"))
NAV = ["Overview", "Positions", "PnL history", "RL", "Intents & orders", "Strategies", "Health"]
# equity of a poll every 15 s (the "0000.27" and "999.985" were cut labels of these)
EQUITY = ["9999.985", "10000.02", "10000.27", "10000.11", "9999.99", "10000.2", "10000.05"]
REWARDS = [0.0007, -0.0015]


def seed_fresh_desk() -> bool:
    """A desk minutes old: snapshots every 15 s, BTCUSDT open, ETHUSDT closed (flat) with
    realized PnL, a reward per closed trade. False without the PnL app."""
    if not django_apps.is_installed("apps.pnl"):
        return False
    from apps.core.timeutil import to_ms, utcnow
    from apps.pnl.models import AccountSnapshot, PositionSnapshot, Trade

    now = utcnow().replace(microsecond=0)
    account = _account()
    income = [(3.5, "REALIZED_PNL", "ETHUSDT", "0.042"), (2.0, "REALIZED_PNL", "BTCUSDT", "-0.09")]
    income_store(
        account,
        [(now - timedelta(minutes=m), kind, symbol, amount) for m, kind, symbol, amount in income],
        first_tran_id=9_100_001,
        first_trade_id=7_101,
    )
    for step, equity in enumerate(EQUITY):
        at = now - timedelta(seconds=15 * (len(EQUITY) - 1 - step))
        snapshot = AccountSnapshot.objects.create(
            account=account,
            taken_at=at,
            exchange_time=at,
            wallet_balance=Decimal("10000"),
            margin_balance=Decimal(equity),
            available_balance=Decimal("9939"),
            unrealized_pnl=Decimal(equity) - Decimal("10000"),
            initial_margin=Decimal("61"),
            maint_margin=Decimal("1"),
            num_positions=1,
        )
        PositionSnapshot.objects.create(
            snapshot=snapshot,
            symbol="BTCUSDT",
            position_amt=Decimal("0.0020000000"),
            entry_price=Decimal("60000"),
            mark_price=Decimal("60010"),
            unrealized_pnl=Decimal(equity) - Decimal("10000"),
            initial_margin=Decimal("12"),
            notional=Decimal("120.02"),
            leverage=10,
        )
    if django_apps.is_installed("apps.rl"):
        from apps.rl.models import Reward

        trades = Trade.objects.filter(account=account).order_by("id")
        for i, (trade, reward) in enumerate(zip(trades, REWARDS, strict=False)):
            Reward.objects.create(
                trade=trade,
                symbol=trade.symbol,
                time_ms=to_ms(now) - 60_000 * (len(REWARDS) - i),
                realized_pnl=Decimal("0.04"),
                commission=Decimal(0),
                funding=Decimal(0),
                net_pnl=Decimal("0.04"),
                risk_unit=Decimal("60"),
                reward=reward,
                context="trend:high",
            )
    return True


@pytest.fixture(scope="module")
def layout(frontend_dist, subprocess_env, django_db_blocker, run_dir):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: `apt-get install chromium` (make system-deps)")
    if not shutil.which("node"):
        pytest.fail("node missing: the dashboard's e2e needs Node 20+")
    from django.contrib.auth.models import User

    username, password = f"layout-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    with django_db_blocker.unblock():
        User.objects.create_user(username, password=password)
        seeded = {"pnl": seed_fresh_desk(), "trading": seed_trading()}
    server = Gunicorn(subprocess_env, free_port(), run_dir / "frontend-layout-gunicorn.log").start()
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            ["node", "e2e/layout.mjs"],
            cwd=FRONTEND,
            env={
                **os.environ,
                "QT_BASE_URL": server.url,
                "QT_USERNAME": username,
                "QT_PASSWORD": password,
                "QT_ARTIFACTS_DIR": str(ARTIFACTS),
                "CHROMIUM_PATH": CHROMIUM,
            },
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        assert lines, f"no JSON from the browser:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        shown = json.loads(lines[-1])
        (ARTIFACTS / "layout.json").write_text(json.dumps(shown, indent=2))
        assert proc.returncode == 0 and shown["ok"], f"browser run failed: {shown.get('error')}"
        yield {"shown": shown, "seeded": seeded}
    finally:
        server.stop()
        with django_db_blocker.unblock():
            User.objects.filter(username=username).delete()
            unseed_trading()
            unseed_pnl()
            unseed_account()


def _pages(layout, viewport):
    return layout["shown"]["viewports"][viewport]["pages"].items()


def test_every_page_was_measured(layout):
    assert layout["shown"]["steps"] == [] and layout["shown"]["page_errors"] == []


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_nav_item_is_reachable(layout, viewport):
    for name, page in _pages(layout, viewport):
        assert [i["label"] for i in page["nav_items"]] == NAV, name
        hidden = [i["label"] for i in page["nav_items"] if not i["reachable"]]
        assert hidden == [] and not page["nav_scrolls"], (viewport, name, hidden)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_page_never_scrolls_sideways(layout, viewport):
    for name, page in _pages(layout, viewport):
        assert page["page_overflow_px"] <= 0, (viewport, name)


def test_no_table_is_wider_than_its_card_at_1280(layout):
    measured = 0
    for name, page in _pages(layout, "desktop"):
        wide = [t for t in page["tables"] if t["table_px"] > t["card_px"]]
        assert wide == [], (name, wide)
        measured += len(page["tables"])
    cards = {t["card"] for _, page in _pages(layout, "desktop") for t in page["tables"]}
    if layout["seeded"]["trading"]:  # the three tables of the issue were there to measure
        assert {"audit-intents", "audit-orders", "exits"} <= cards, cards
    assert measured


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_axis_labels_are_whole_and_distinct(layout, viewport):
    charts = set()
    for name, page in _pages(layout, viewport):
        for axis in page["axes"]:
            labels = axis["labels"]
            assert axis["cut"] == [], (viewport, name, axis)
            assert len(set(labels)) == len(labels), (viewport, name, axis)
            charts.add((axis["chart"], axis["axis"]))
    if layout["seeded"]["pnl"]:
        equity_y = next(
            a["labels"]
            for _, p in _pages(layout, viewport)
            for a in p["axes"]
            if a["chart"] == "equity-chart" and a["axis"] == "y"
        )
        assert "10,000.0" in equity_y or "10,000.00" in equity_y, equity_y
        assert {("equity-chart", "x"), ("equity-chart", "y")} <= charts
        if django_apps.is_installed("apps.rl"):
            rewards_y = next(
                a["labels"]
                for _, p in _pages(layout, viewport)
                for a in p["axes"]
                if a["chart"] == "rl-rewards" and a["axis"] == "y"
            )
            # 0.0007 and -0.0015 are told apart: labels with 4 decimals, no "-0.00"
            assert any(label.endswith("0.0005") for label in rewards_y), rewards_y
