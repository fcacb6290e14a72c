"""The desk across hosts under faults (tests/multihost/run.py), short: the faults one after
another (about 2.5 minutes after a 2-3 minute deployment on a loaded 2-core machine), then the
desk against the venue. QUANTUM_MULTIHOST_MINUTES=N trades N more minutes before the settle
(the long version). Then each check of the run's own is shown to catch a planted discrepancy."""

from __future__ import annotations

import copy
import os
import re
import subprocess

import pytest

from tests.multihost import hosts, run
from tests.support.processes import run_with_evidence

pytestmark = [
    pytest.mark.multihost,
    pytest.mark.e2e,
    pytest.mark.timeout(2400),
    pytest.mark.skipif(bool(hosts.missing()), reason=f"multihost: {hosts.missing()}"),
]

MINUTES = os.environ.get("QUANTUM_MULTIHOST_MINUTES", "0")


@pytest.fixture(scope="module")
def multihost_run(tmp_path_factory):
    evidence = tmp_path_factory.mktemp("multihost") / "evidence.json"
    return run_with_evidence("tests.multihost", ["--minutes", MINUTES], evidence, timeout=2300)


def test_the_desk_across_hosts_survives_the_faults_and_agrees_with_the_venue(multihost_run):
    done, evidence = multihost_run
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-4000:]
    assert "multihost: PASS" in done.stdout
    kinds = " | ".join(what for _, what in evidence["events"])
    for fault in (
        "link down",
        "link up",
        "worker-1 killed",
        "redis restarted",
        f"{run.STUCK_NODE} stopped consuming",
        f"{run.STUCK_NODE} restarted by its supervisor",
        "beat killed",
        "beat started",
    ):
        assert fault in kinds, kinds
    assert evidence["held_at_cut"], "worker-1 ran nothing when it was cut off"
    assert any(
        d["held_by_killed_host"] and int(d["started"]) >= 2 for d in evidence["drills"].values()
    )
    orders = sum(len(a["evidence"]["venue"]["orders"]) for a in evidence["accounts"].values())
    assert orders >= 4, "the desk hardly traded"
    assert len(evidence["accounts"]) >= 2


def test_it_leaves_no_namespace_link_or_process_behind(multihost_run):
    done, _ = multihost_run
    tag = re.search(r"multihost: run (\w+)", done.stdout).group(1)
    assert hosts.leftovers(tag) == []
    assert (
        f"qt-{tag}"
        not in subprocess.run(
            ["ps", "-eo", "args"], capture_output=True, text=True, check=True
        ).stdout
    )


def _planted(evidence: dict, plant) -> list[str]:
    changed = copy.deepcopy(evidence)
    plant(changed)
    return run.verdict(changed)


def _first(e: dict) -> dict:
    return next(iter(e["accounts"].values()))


def _slow_polls(e: dict) -> None:
    _first(e)["cadence"]["median_gap"] = 20.0


def _missed_polls(e: dict) -> None:
    polls = [(1, 1000.0), (2, 1015.0), (3, 1051.0), (4, 1066.0)]  # 36 s: two turns missed
    _first(e)["cadence"] = run.cadence(polls, 1000.0, 1066.0, beat_down=[])


def test_a_gap_while_beat_was_down_is_allowed_for_as_long_as_it_was_down():
    polls = [(1, 1000.0), (2, 1015.0), (3, 1060.0), (4, 1075.0)]  # 45 s
    assert run.cadence(polls, 1000.0, 1075.0, beat_down=[])["too_long"]
    assert not run.cadence(polls, 1000.0, 1075.0, beat_down=[(1020.0, 1040.0)])["too_long"]


def _lost_drill(e: dict) -> None:
    next(iter(e["drills"].values()))["completed"] = None


def _not_redelivered(e: dict) -> None:
    for d in e["drills"].values():
        if d["held_by_killed_host"]:
            d["started"] = "1"


def _stuck_never_named(e: dict) -> None:
    e["stuck"]["named_after"] = None


def _stuck_named_late(e: dict) -> None:
    e["stuck"]["named_after"] = run.STUCK_NAMED_WITHIN + 1


def _stuck_never_told(e: dict) -> None:
    e["stuck"]["told_after"] = None


def _stuck_not_restarted(e: dict) -> None:
    e["stuck"]["supervisor_restarts"] = 0


def _stuck_never_consumed_again(e: dict) -> None:
    e["stuck"]["healthy_after"] = None


def _finding(e: dict) -> None:
    _first(e)["findings"].append("duplicated: intent 1: 2 orders on the venue")


PLANTED = {
    "polls slower than 15 s": _slow_polls,
    "two polls missed in a row": _missed_polls,
    "a drill never completed": _lost_drill,
    "the lost host's task not delivered again": _not_redelivered,
    "a finding of the chaos checks": _finding,
    "the stuck worker never named by health": _stuck_never_named,
    "the stuck worker named too late": _stuck_named_late,
    "the stuck worker never told to shut down": _stuck_never_told,
    "the stuck worker not restarted": _stuck_not_restarted,
    "the stuck worker never consuming again": _stuck_never_consumed_again,
}


@pytest.mark.parametrize("plant", sorted(PLANTED))
def test_the_verdict_catches_a_planted_discrepancy(multihost_run, plant):
    _, evidence = multihost_run
    assert evidence is not None, "the run left no evidence"
    before = run.verdict(evidence)
    assert len(_planted(evidence, PLANTED[plant])) > len(before), plant


def test_the_stuck_worker_is_timed_from_health_s_own_samples():
    node = run.STUCK_NODE
    samples = [
        {"t": 105.0, "down": [], node: {"ok": True, "restarts": 0}},
        {"t": 130.0, "down": [f"worker:{node}"], node: {"ok": False, "stuck": True}},
        {"t": 160.0, "down": [], node: None},  # shut down, booting: not in the inspection
        {
            "t": 180.0,
            "down": [],
            node: {"ok": True, "restarts": 1, "last_round_trip_age_seconds": 50},
        },
        {
            "t": 185.0,
            "down": [],
            node: {"ok": True, "restarts": 1, "last_round_trip_age_seconds": 2},
        },
    ]
    outcome = run.stuck_outcome(samples, 100.0, 1)
    assert (outcome["named_after"], outcome["told_after"], outcome["healthy_after"]) == (
        30.0,
        80.0,
        85.0,
    )
    assert run.verdict_of_stuck(outcome) == []
    assert run.stuck_outcome(samples[:3], 100.0, 0)["healthy_after"] is None
