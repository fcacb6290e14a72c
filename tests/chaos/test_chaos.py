"""The chaos suite, short: `python -m tests.chaos` for 2 minutes of chaos (about 4 with the
start and the settling) on the database the run is on (SQLite, or DATABASE_URL's PostgreSQL
server, where it makes a database of its own). Then the checker is shown to catch each kind of
discrepancy planted into that run's real evidence: a check that cannot fail proves nothing."""

from __future__ import annotations

import copy
import os
from decimal import Decimal

import pytest

from tests.chaos import checks
from tests.chaos.stack import Stack
from tests.support.processes import run_with_evidence

# every test of the module may be the one whose set-up runs the chaos (the fixture is shared)
pytestmark = [pytest.mark.chaos, pytest.mark.e2e, pytest.mark.timeout(1600)]

MINUTES = os.environ.get("QUANTUM_CHAOS_TEST_MINUTES", "2")


@pytest.fixture(scope="module")
def chaos_run(tmp_path_factory):
    evidence = tmp_path_factory.mktemp("chaos") / "evidence.json"
    return run_with_evidence("tests.chaos", ["--minutes", MINUTES], evidence, timeout=1500)


def test_the_desk_survives_kills_and_venue_faults_and_agrees_with_the_venue(chaos_run):
    done, evidence = chaos_run
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-4000:]
    assert "chaos: PASS" in done.stdout
    # it did what it says: every program killed and back, the venue failing, the desk trading
    assert all(n >= 1 for n in evidence["kills"].values()), evidence["kills"]
    assert all(evidence["restarts"][n] >= evidence["kills"][n] for n in evidence["kills"])
    assert sum(evidence["faults"].values()) >= 3
    assert len(evidence["venue"]["orders"]) >= 4
    assert any(r["incomeType"] == "REALIZED_PNL" for r in evidence["venue"]["income"])


def _planted(evidence: dict, plant) -> checks.Findings:
    changed = copy.deepcopy(evidence)
    plant(changed)
    return checks.verify(changed)


def _drop_one_commission(e: dict) -> None:
    rows = e["desk"]["ledger"]
    victim = next(r for r in rows if r["income_type"] == "COMMISSION")
    rows.remove(victim)


def _double_ledger_row(e: dict) -> None:
    e["desk"]["ledger"].append(dict(e["desk"]["ledger"][-1]))


def _second_order_for_an_intent(e: dict) -> None:
    order = next(o for o in e["venue"]["orders"] if o["clientOrderId"].startswith("qt-"))
    twin = {
        **order,
        "orderId": order["orderId"] + 10_000_000,
        "clientOrderId": order["clientOrderId"].rsplit("-", 1)[0] + "-2",
    }
    e["venue"]["orders"].append(twin)


def _unknown_order(e: dict) -> None:
    order = dict(e["venue"]["orders"][0])
    e["venue"]["orders"].append({**order, "orderId": 99_999_999, "clientOrderId": "manual-1"})


def _intent_forgets_its_order(e: dict) -> None:
    intent = next(
        i for i in e["desk"]["intents"] if i["order_id"] is not None and i["reason"] != "backstop"
    )
    intent["order_id"] = None


def _venue_position_differs(e: dict) -> None:
    e["halted"]["venue_positions"] = [{"symbol": "BTCUSDT", "positionAmt": "0.001"}]


def _figure_differs(e: dict) -> None:
    row = e["api"]["dashboard"]["all"]["symbols"][0]
    row["realized_pnl"] = str(Decimal(row["realized_pnl"]) + Decimal("0.00000001"))


def _daily_differs(e: dict) -> None:
    day = next(d for d in e["api"]["daily"] if d["trades"])
    day["trades"] += 1


PLANTED = {
    "a ledger row deleted": (_drop_one_commission, "lost"),
    "a ledger row twice": (_double_ledger_row, "duplicated"),
    "an intent with two orders": (_second_order_for_an_intent, "duplicated"),
    "an order not the desk's": (_unknown_order, "unknown"),
    "an intent that forgot its order": (_intent_forgets_its_order, "lost"),
    "positions apart": (_venue_position_differs, "mismatches"),
    "a dashboard figure off by 1e-8": (_figure_differs, "mismatches"),
    "a daily figure off": (_daily_differs, "mismatches"),
}


@pytest.mark.parametrize("plant", sorted(PLANTED))
def test_the_checker_catches_a_planted_discrepancy(chaos_run, plant):
    _, evidence = chaos_run
    assert evidence is not None, "the chaos run left no evidence"
    change, kind = PLANTED[plant]
    before = getattr(checks.verify(evidence), kind)
    after = getattr(_planted(evidence, change), kind)
    # one more finding of that kind than the run itself had (its own are another test's)
    assert len(after) > len(before), (plant, after)


def test_the_stack_checks_fail_on_a_locked_database_and_on_starved_cycles():
    loop = {"completed": 10, "skipped": 3, "failed": 0, "max_skips_in_a_row": 2}
    assert checks.stack_failures(locked=[], loop=loop, not_back=[], stuck=[]) == []
    assert checks.stack_failures(
        locked=["worker: database is locked"], loop=loop, not_back=[], stuck=[]
    )
    assert checks.stack_failures(
        locked=[], loop={**loop, "max_skips_in_a_row": 3}, not_back=[], stuck=[]
    )
    assert checks.stack_failures(locked=[], loop=None, not_back=[], stuck=[])
    assert checks.stack_failures(locked=[], loop=loop, not_back=["beat"], stuck=[])


def test_it_finds_database_is_locked_in_any_log_of_the_stack(tmp_path):
    stack = Stack(
        var_dir=tmp_path,
        env={},
        ports={},
        admin_password="",
        venue_token="",
        log_path=tmp_path / "stack.log",
    )
    (tmp_path / "stack.log").write_text("web | started\n")
    assert stack.output_lines("database is locked") == []
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "worker.log").write_text(
        "ok\nsqlite3.OperationalError: database is locked\n"
    )
    assert stack.output_lines("database is locked") == [
        "worker.log: sqlite3.OperationalError: database is locked"
    ]
