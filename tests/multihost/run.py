"""One multi-host run: the desk deployed across hosts (deployment.py) trades and polls every
account while worker-1 is cut off the network mid-task, later killed outright (the whole host),
Redis is restarted, worker-2's research worker stops consuming (and must be named stuck by
health, shut down by the watch job, restarted by its host's supervisor and consume again) and
web's beat is killed and started again. Then, per account, the chaos
suite's settle and checks (tests/chaos: halt, flatten, a final poll of a quiet venue, the desk
against the venue's own records), plus what only hosts show: the lost host's tasks delivered
again and run once, every account's poll cadence, and what the health check said meanwhile.
Exit code 1 on any finding."""

from __future__ import annotations

import json
import secrets
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.chaos import checks, desk
from tests.chaos.run import DESK_ENV, Tally, _django, _permissive_policy, _settle_and_collect
from tests.chaos.venue import Venue
from tests.multihost.deployment import Deployment
from tests.support.processes import wait_for

POLL_SECONDS = 15
# A poll's start may slip by beat's tick and a busy worker; through a fault it may miss one
# turn. The cadence holds when the median gap is within 15 +- 3 s and no gap exceeds two
# intervals and 5 s, plus whatever part of it beat was down (no beat, no polls: from its kill to
# its first send after the restart). docs/operations.md, "Many hosts".
CADENCE_MEDIAN_TOLERANCE = 3.0
CADENCE_MAX_GAP = 2 * POLL_SECONDS + 5.0
DRILL = "quantum.ops.redelivery_drill"
DRILL_HOLD = 20.0
VISIBILITY = int(DESK_ENV["CELERY_VISIBILITY_TIMEOUT"])
SWEEP = int(DESK_ENV["CELERY_UNACKED_RESTORE_INTERVAL"])
# After the Redis restart worker-2's research worker stops consuming (celery/celery#8030's
# symptom, made with Celery's own cancel_consumer): research's only consumer once worker-1 is
# dead, so the killed host's drill comes back only through its recovery.
STUCK_PROGRAM, STUCK_HOST = "worker_research", "worker-2"
STUCK_NODE = f"{STUCK_PROGRAM}@{STUCK_HOST}"
PROBE_TIMEOUT = 30  # OPS_WORKER_PROBE_TIMEOUT_SECONDS (the default, as deployed)
WATCH_INTERVAL = 10  # OPS_WORKER_WATCH_INTERVAL_SECONDS
# Health names it once its probe has waited PROBE_TIMEOUT: the probe goes out at most every 5 s
# (OPS_QUEUE_PROBE_EVERY_SECONDS), the sampler asks every 5 s, and an answer of web's takes up to
# 10 s on the loaded machine.
STUCK_NAMED_WITHIN = PROBE_TIMEOUT + 5 + 5 + 10
# A Celery worker's boot on the loaded 2-core machine (start_host waits as long for one).
WORKER_BOOT = 180
# From worker-1's kill to every drill completed: the held drill is back in its queue one
# visibility timeout after its delivery plus a sweep (and one more if a dead sweeper held the
# sweep lock, which expires after one interval), then research's one process runs it after the
# stuck worker's detection, its warm shutdown (a drill it holds, DRILL_HOLD) and its boot, and
# after the drill sent to the restarted worker.
DRILLS_BACK_WITHIN = (
    VISIBILITY + 2 * SWEEP + STUCK_NAMED_WITHIN + WATCH_INTERVAL + 2 * DRILL_HOLD + WORKER_BOOT
)


@dataclass
class Options:
    minutes: float = 0  # trading after the faults, before the settle (the long version)
    accounts: int = 2
    partition_seconds: float = 20
    speed: str = "60"
    evidence: Path | None = None
    keep: bool = False


@dataclass
class Faults:
    events: list[tuple[float, str]] = field(default_factory=list)
    drills: dict[str, str] = field(default_factory=dict)  # drill id -> when it was sent
    held_at_cut: list[str] = field(default_factory=list)  # task names worker-1 ran when cut off
    held_at_kill: list[dict] = field(default_factory=list)
    beat_down: list[tuple[float, float]] = field(default_factory=list)  # epoch seconds
    health: list[dict] = field(default_factory=list)
    stuck_since: float | None = None  # since `started`: STUCK_NODE made to stop consuming
    drills_late: dict[str, Any] = field(default_factory=dict)  # why, had they not come back
    started: float = field(default_factory=time.time)

    def note(self, what: str) -> None:
        self.events.append((round(time.time() - self.started, 1), what))
        print(f"multihost: {self.events[-1][0]:>6} s  {what}", flush=True)


def run(opts: Options) -> int:
    deployment = Deployment.create(desk_env=dict(DESK_ENV), venue_speed=opts.speed)
    passed = False
    try:
        t0 = time.monotonic()
        print(f"multihost: run {deployment.net.tag}", flush=True)  # names qt-<tag>-<host>
        names = deployment.up(accounts=opts.accounts)
        up_seconds = time.monotonic() - t0
        print(
            f"multihost: deployed in {up_seconds:.0f} s on {deployment.net.subnet}.0/24 "
            f"({deployment.net.workdir})",
            flush=True,
        )
        _django(deployment.operator_env())
        _permissive_policy()
        from apps.exchange.models import ExchangeAccount

        accounts = list(ExchangeAccount.objects.filter(name__in=names).order_by("id"))
        for account in accounts:
            wait_for(
                lambda a=account: desk.ok_polls(a),
                timeout=120,
                interval=1,
                what=f"a PnL poll of {account.name}",
            )
        api = desk.DeskApi(deployment.url("web"), "admin", deployment.secrets["admin"])
        venue = Venue(deployment.url("venue"), deployment.secrets["venue_admin"])
        faults = Faults()
        sampler = _HealthSampler(api, faults)
        sampler.start()
        phase_start = time.time()
        _faults(deployment, opts, faults)
        if opts.minutes:
            faults.note(f"trading on for {opts.minutes} min")
            time.sleep(opts.minutes * 60)
        phase_end = time.time()
        sampler.stop()
        evidence: dict[str, Any] = {
            "tag": deployment.net.tag,
            "up_seconds": round(up_seconds),
            "events": faults.events,
            "accounts": {},
            "drills": _drills(faults),
            "held_at_cut": faults.held_at_cut,
            "held_at_kill": faults.held_at_kill,
            "health": faults.health,
            "drills_late": faults.drills_late,
            "stuck": stuck_outcome(
                faults.health, faults.stuck_since, deployment.restarts.get(STUCK_NODE, 0)
            ),
        }
        for account in accounts:
            tally = Tally()
            found = _settle_and_collect(deployment, venue, api, account, tally)
            findings = checks.verify(found)
            evidence["accounts"][account.name] = {
                "evidence": found,
                "findings": findings.lines(),
                "stuck": tally.stuck + [f"{n} not running" for n in tally.not_back],
                "cadence": cadence(
                    desk.ok_polls(account), phase_start, phase_end, faults.beat_down
                ),
            }
        evidence["loop"] = desk.loop_stats()
        evidence["restarts"] = dict(deployment.restarts)
        failures = verdict(evidence)
        if opts.evidence:
            opts.evidence.write_text(json.dumps(evidence, indent=1, default=str))
        print(table(evidence, failures), flush=True)
        passed = not failures
        return 0 if passed else 1
    finally:
        deployment.destroy()
        if opts.keep or not passed:
            print(f"multihost: kept the logs in {deployment.net.workdir}", flush=True)
        else:
            import shutil

            shutil.rmtree(deployment.net.workdir, ignore_errors=True)


# --- the faults --------------------------------------------------------------------------------
def _faults(deployment: Deployment, opts: Options, faults: Faults) -> None:
    from quantum_project.celery import app

    net = deployment.net
    # worker-1 cut off while it runs something: drills make sure it has work in hand
    _send_drills(app, faults, "cut", 2)
    faults.held_at_cut = [t["name"] for t in _active(app, "worker-1", timeout=60)]
    net.link_down("worker-1")
    faults.note(f"worker-1 link down, running {faults.held_at_cut}")
    time.sleep(opts.partition_seconds)
    net.link_up("worker-1")
    faults.note("worker-1 link up")
    time.sleep(10)
    # then lost for good, tasks in hand (acks_late ones come back after the visibility timeout)
    _send_drills(app, faults, "kill", 2)
    faults.held_at_kill = _active(app, "worker-1", timeout=60, task=DRILL)
    deployment.lost.add("worker-1")  # its supervisor dies with it: nothing restarts
    pids = net.kill_host("worker-1")
    killed_host = time.monotonic()
    faults.note(
        f"worker-1 killed ({len(pids)} processes), it held "
        f"{[t['name'] for t in faults.held_at_kill]}"
    )
    time.sleep(10)
    deployment.restart_redis()
    faults.note("redis restarted on data")
    _stop_consuming(app, faults)
    time.sleep(5)
    deployment.held.add(("web", "beat"))  # down 10 s, longer than its supervisor would keep it
    beat = net.find("web", "beat")
    net.kill(beat)
    killed = time.time()
    faults.note("beat killed on web")
    time.sleep(10)
    seen = beat.log.stat().st_size
    deployment.start("web", "beat")
    deployment.held.discard(("web", "beat"))
    faults.note("beat started on web")
    wait_for(
        lambda: b"Sending due task" in beat.log.read_bytes()[seen:],
        timeout=120,
        interval=0.5,
        what="beat sending again",
    )
    faults.beat_down.append((killed, time.time()))
    faults.note(f"beat sending again, {time.time() - killed:.0f} s after its kill")
    deadline = killed_host + DRILLS_BACK_WITHIN
    if _until(lambda: deployment.restarts.get(STUCK_NODE), deadline):
        faults.note(f"{STUCK_NODE} restarted by its supervisor")
        # consuming again: research has no other consumer left
        _send_drills(app, faults, "recovered", 1)
    if _until(lambda: all(_drill(d).get("completed") == "1" for d in faults.drills), deadline):
        faults.note(f"every drill completed, {time.monotonic() - killed_host:.0f} s after the kill")
    else:
        faults.drills_late = _why_late(app, faults)
        faults.note(f"drills not completed {DRILLS_BACK_WITHIN} s after the kill")
    # its own probe, behind the drills and research tasks its one process runs first
    if _until(
        lambda: stuck_outcome(faults.health, faults.stuck_since, 1)["healthy_after"],
        time.monotonic() + PROBE_TIMEOUT + 30,
    ):
        faults.note(f"{STUCK_NODE} ran its own probe again")


def _until(predicate, deadline: float, interval: float = 1) -> bool:
    """wait_for up to a monotonic deadline; False once it passed (the verdict says what)."""
    try:
        return bool(
            wait_for(predicate, timeout=max(0.0, deadline - time.monotonic()), interval=interval)
        )
    except TimeoutError:
        return False


def _stop_consuming(app, faults: Faults) -> None:
    """STUCK_NODE, back on the restarted Redis, cancels every queue it consumes (its direct queue
    too): alive, answering the control channel and sending heartbeats, taking no task, as a
    worker hit by celery/celery#8030 after a broker restart."""

    def queues() -> list[str]:
        try:
            inspect = app.control.inspect(destination=[STUCK_NODE], timeout=1)
            return [q["name"] for q in (inspect.active_queues() or {}).get(STUCK_NODE, [])]
        except Exception:  # noqa: BLE001 - the operator's broker connection, reconnecting
            return []

    names = wait_for(queues, timeout=120, interval=0.5, what=f"{STUCK_NODE} on the new Redis")
    for name in names:
        app.control.cancel_consumer(name, destination=[STUCK_NODE], reply=True, timeout=5)
    left = wait_for(lambda: _answering(app), timeout=30, interval=0.5, what=STUCK_NODE)
    faults.stuck_since = round(time.time() - faults.started, 1)
    faults.note(f"{STUCK_NODE} stopped consuming {names}, still answering ({left})")


def _answering(app) -> str | None:
    try:
        replies = app.control.inspect(destination=[STUCK_NODE], timeout=1).active_queues()
    except Exception:  # noqa: BLE001 - reconnecting
        return None
    if replies is None or STUCK_NODE not in replies:
        return None
    return f"{len(replies[STUCK_NODE])} queues"


def _why_late(app, faults: Faults) -> dict[str, Any]:
    """What kept the drills back: the sweep lock, the unacked messages and their age, the queue,
    what research's workers run. The run's own evidence of a late redelivery."""
    import redis

    from apps.core.redis import get_redis

    client: redis.Redis = get_redis()
    now = time.time()
    unacked = {}
    for tag, raw in client.hgetall("unacked").items():
        body = json.loads(raw)[0]
        task = body.get("headers", {}).get("task")
        if task == DRILL:
            score = client.zscore("unacked_index", tag)
            unacked[_text(tag)] = {
                "args": body["headers"].get("argsrepr"),
                "age": round(now - score, 1) if score else None,
            }
    try:
        active = app.control.inspect(timeout=2).active() or {}
    except Exception as exc:  # noqa: BLE001
        active = {"error": str(exc)}
    return {
        "drills": {d: _drill(d) for d in faults.drills},
        "sweep_lock_ttl": client.ttl("unacked_mutex"),
        "unacked_drills": unacked,
        "research_queue": client.llen("research"),
        "active": {n: [t["name"] for t in ts] for n, ts in active.items() if isinstance(ts, list)},
    }


def _send_drills(app, faults: Faults, why: str, count: int) -> None:
    for _ in range(count):
        drill_id = f"multihost-{why}-{secrets.token_hex(4)}"
        # through `research` (long tasks, one process a host): a drill held there never keeps
        # a poll or an order waiting, as one on `default` (the pnl workers' queue) would
        app.send_task("quantum.ops.redelivery_drill", args=[drill_id, DRILL_HOLD], queue="research")
        faults.drills[drill_id] = why


def _active(app, host: str, *, timeout: float, task: str | None = None) -> list[dict]:
    """The tasks the host's workers are running (asked over the broker), once there are any
    (once one of them is `task`, if given)."""
    nodes = [f"{kind}@{host}" for kind in ("worker_trading", "worker", "worker_research")]

    def running() -> list[dict]:
        replies = app.control.inspect(destination=nodes, timeout=1).active() or {}
        tasks = [
            {"id": t["id"], "name": t["name"], "args": t.get("args")}
            for tasks in replies.values()
            for t in tasks
        ]
        return tasks if task is None or any(t["name"] == task for t in tasks) else []

    return wait_for(running, timeout=timeout, interval=0.2, what=f"a task running on {host}")


def _drill(drill_id: str) -> dict[str, str]:
    from apps.ops.services import drill_status

    raw = drill_status(drill_id=drill_id)
    return {_text(k): _text(v) for k, v in raw.items()}


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _drills(faults: Faults) -> dict[str, dict]:
    held = {str(t["args"][0]) for t in faults.held_at_kill if t["args"]}
    return {
        d: {**_drill(d), "sent": why, "held_by_killed_host": d in held}
        for d, why in faults.drills.items()
    }


class _HealthSampler(threading.Thread):
    """/api/health/ every 5 s, as a monitor would: its status and what it named down."""

    def __init__(self, api: desk.DeskApi, faults: Faults) -> None:
        super().__init__(daemon=True)
        self.api, self.faults = api, faults
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(5):
            try:
                if self.api.session is None:
                    self.api.call("GET", "/api/health/live")
                answer = self.api.session.get(f"{self.api.base_url}/api/health/", timeout=30)
                body = answer.json()
                down = body.get("down", [])
                node = body.get("components", {}).get("workers", {}).get(STUCK_NODE)
            except Exception as exc:  # noqa: BLE001 - web itself may be unreachable a moment
                self.api.session, down, answer, node = None, [f"unreachable: {exc}"], None, None
            self.faults.health.append(
                {
                    "t": round(time.time() - self.faults.started, 1),
                    "status": answer.status_code if answer is not None else None,
                    "down": down,
                    STUCK_NODE: node
                    and {
                        k: node.get(k)
                        for k in ("ok", "stuck", "restarts", "last_round_trip_age_seconds")
                    },
                }
            )

    def stop(self) -> None:
        self._done.set()
        self.join(40)


# --- the verdict ---------------------------------------------------------------------------------
def cadence(
    polls: list[tuple[int, float]], start: float, end: float, beat_down: list[tuple[float, float]]
) -> dict[str, Any]:
    """Gaps between an account's successful polls that started during [start, end], and those
    longer than allowed (CADENCE_MAX_GAP plus the part of the gap beat was down)."""
    times = [t for _, t in polls if start - POLL_SECONDS <= t <= end]
    pairs = list(zip(times, times[1:], strict=False))
    gaps = [round(b - a, 1) for a, b in pairs]
    too_long = []
    for a, b in pairs:
        without_beat = sum(max(0.0, min(b, up) - max(a, down)) for down, up in beat_down)
        if b - a > CADENCE_MAX_GAP + without_beat:
            too_long.append({"gap": round(b - a, 1), "allowed": CADENCE_MAX_GAP + without_beat})
    return {
        "polls": len(times),
        "median_gap": round(statistics.median(gaps), 1) if gaps else None,
        "max_gap": max(gaps) if gaps else None,
        "gaps_over_20s": [g for g in gaps if g > 20],
        "too_long": too_long,
    }


def stuck_outcome(
    health: list[dict], since: float | None, supervisor_restarts: int
) -> dict[str, Any]:
    """The stuck worker as /api/health/ told it (run times, seconds): when it was first named
    stuck, when the watch job's shutdown showed (its `restarts`), and when it was healthy again
    with a probe run after that."""
    named = told = healthy = None
    for sample in health:
        if since is None or sample["t"] < since:
            continue
        node = sample.get(STUCK_NODE) or {}
        if named is None and f"worker:{STUCK_NODE}" in sample["down"]:
            named = sample["t"]
        if told is None and named is not None and (node.get("restarts") or 0) >= 1:
            told = sample["t"]
        age = node.get("last_round_trip_age_seconds")
        if healthy is None and told is not None and node.get("ok") and age is not None:
            if sample["t"] - age > told:  # its last probe ran after the restart showed
                healthy = sample["t"]
    return {
        "node": STUCK_NODE,
        "since": since,
        "named_after": None if named is None else round(named - since, 1),
        "told_after": None if told is None else round(told - since, 1),
        "healthy_after": None if healthy is None else round(healthy - since, 1),
        "supervisor_restarts": supervisor_restarts,
    }


def verdict_of_stuck(s: dict[str, Any]) -> list[str]:
    out = []
    if s["named_after"] is None:
        out.append(f"health never named {s['node']} stuck")
    elif s["named_after"] > STUCK_NAMED_WITHIN:
        out.append(
            f"health named {s['node']} stuck after {s['named_after']} s, not within "
            f"{STUCK_NAMED_WITHIN} s"
        )
    if s["told_after"] is None:
        out.append(f"the watch job never told {s['node']} to shut down")
    if s["supervisor_restarts"] < 1:
        out.append(f"{s['node']} was not restarted by its host's supervisor")
    if s["healthy_after"] is None:
        out.append(f"{s['node']} never ran its probe again after its restart")
    return out


def verdict(evidence: dict[str, Any]) -> list[str]:
    out = verdict_of_stuck(evidence["stuck"])
    for name, acc in evidence["accounts"].items():
        out += [f"{name}: {line}" for line in acc["findings"] + acc["stuck"]]
        c = acc["cadence"]
        if (
            c["median_gap"] is None
            or abs(c["median_gap"] - POLL_SECONDS) > CADENCE_MEDIAN_TOLERANCE
        ):
            out.append(f"{name}: polls every {c['median_gap']} s (median), not {POLL_SECONDS}")
        out += [
            f"{name}: a {g['gap']} s gap between polls (allowed {g['allowed']:.0f} s)"
            for g in c["too_long"]
        ]
    for drill_id, d in evidence["drills"].items():
        if d.get("completed") != "1":
            out.append(f"drill {drill_id} ({d['sent']}) not completed once: {d}")
        if d["held_by_killed_host"] and int(d.get("started", 0)) < 2:
            out.append(f"drill {drill_id} held by the killed host was not delivered again: {d}")
    if not any(d["held_by_killed_host"] for d in evidence["drills"].values()):
        out.append("the killed host held no drill: redelivery was not exercised")
    return out


def _s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f}"


def table(evidence: dict[str, Any], failures: list[str]) -> str:
    lines = ["", f"deployed in {evidence['up_seconds']} s", "", "events:"]
    lines += [f"  {t:>6} s  {what}" for t, what in evidence["events"]]
    lines += [
        "",
        f"{'account':<10}{'orders':>8}{'income':>8}{'polls':>7}{'median':>8}{'max gap':>9}",
    ]
    for name, acc in evidence["accounts"].items():
        e, c = acc["evidence"], acc["cadence"]
        lines.append(
            f"{name:<10}{len(e['venue']['orders']):>8}{len(e['venue']['income']):>8}"
            f"{c['polls']:>7}{_s(c['median_gap']):>8}{_s(c['max_gap']):>9}"
        )
    drills = evidence["drills"].values()
    redelivered = sum(1 for d in drills if int(d.get("started", 0)) > 1)
    lines += [
        "",
        f"drills: {len(evidence['drills'])} sent, "
        f"{sum(1 for d in drills if d.get('completed') == '1')} completed once, "
        f"{redelivered} delivered again",
    ]
    lines.append(f"restarted by the hosts' supervisors: {evidence['restarts'] or 'none'}")
    s = evidence["stuck"]
    lines.append(
        f"stuck {s['node']} (from {s['since']} s): named by health after {s['named_after']} s, "
        f"its restart by the watch job seen after {s['told_after']} s, its own probe run again "
        f"after {s['healthy_after']} s"
    )
    if evidence["drills_late"]:
        lines.append(f"drills late: {json.dumps(evidence['drills_late'], default=str)}")
    red = [h for h in evidence["health"] if h["status"] != 200]
    lines.append(f"health: {len(evidence['health'])} samples, {len(red)} not ok")
    lines += [f"  {h['t']:>6} s  {h['status']} {h['down']}" for h in red[:30]]
    lines += [""] + failures[:80]
    lines.append("multihost: FAIL" if failures else "multihost: PASS")
    return "\n".join(lines)
