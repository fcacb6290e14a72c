"""One chaos run: start the stack as `make up` does, let the desk trade on a fast venue while
its processes are killed and the venue fails, halt, settle, then compare the desk with the
venue's own records and print the table. Exit code 1 on any loss, duplicate, unknown order,
mismatch, "database is locked", a trading cycle skipped more than twice in a row, or a program
that did not come back."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.chaos import checks, desk
from tests.chaos.figures import days_spanned, iso_ms
from tests.chaos.stack import PROGRAMS, Database, Stack
from tests.chaos.venue import FAULTS, Venue, wait_ready
from tests.support.processes import wait_for

# The desk trades often on a venue one exchange minute per wall second: short averages, no
# quiet-market filter, exits close to the entry, backstops (1 %) firing while the trading
# worker is down. Messages of a killed worker come back within the run (90 s visibility, above
# the 50 s hard limit and the 60 s lock, as docs/operations.md orders them).
DESK_ENV = {
    "TRADING_SYMBOLS": "BTCUSDT,ETHUSDT,SOLUSDT",
    "TRADING_MA_FAST": "3",
    "TRADING_MA_SLOW": "8",
    "TRADING_ATR_PERIOD": "5",
    "TRADING_ATR_MIN_PCT": "0",
    "TRADING_TAKE_PROFIT_PCT": "0.4",
    "TRADING_STOP_LOSS_PCT": "0.3",
    "TRADING_TRAILING_PCT": "0.2",
    "TRADING_BACKSTOP_PCT": "1.0",
    "TRADING_LEASE_SECONDS": "30",
    "CELERY_VISIBILITY_TIMEOUT": "90",
    "CELERY_UNACKED_RESTORE_INTERVAL": "5",
}
SETTLE_SECONDS = 180


@dataclass
class Options:
    minutes: float
    seed: int
    kills_per_program: int
    speed: str = "60"
    evidence: Path | None = None
    keep: bool = False
    database_url: str | None = None


@dataclass
class Tally:
    kills: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PROGRAMS, 0))
    faults: dict[str, int] = field(default_factory=dict)
    windows_429: int = 0
    not_back: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)  # the desk did not settle: a failure
    notes: list[str] = field(default_factory=list)


def schedule(opts: Options, rng: random.Random) -> list[tuple[float, str, Any]]:
    """(seconds from the start, kind, what): each program killed kills_per_program times at
    random moments, the venue's faults in turn every ~25 s, a 429 window every ~5 minutes."""
    span = opts.minutes * 60
    events: list[tuple[float, str, Any]] = []
    for name in PROGRAMS:
        events += [
            (rng.uniform(0.1, 0.85) * span, "kill", name) for _ in range(opts.kills_per_program)
        ]
    t, i = 5.0, 0
    while t < 0.85 * span:
        events.append((t, "fault", FAULTS[i % len(FAULTS)]))
        t, i = t + rng.uniform(18, 32), i + 1
    events += [
        (rng.uniform(0.1, 0.8) * span, "429", None) for _ in range(max(1, round(opts.minutes / 5)))
    ]
    return sorted(events, key=lambda e: e[0])


def run(opts: Options) -> int:
    rng = random.Random(opts.seed)
    database = Database.for_run(opts.database_url)
    stack = Stack.prepare(
        base_dir=None, database_url=database.url, speed=opts.speed, extra_env=DESK_ENV
    )
    print(
        f"chaos: {opts.minutes} min, seed {opts.seed}, {opts.kills_per_program} kill(s) per "
        f"program, venue speed {opts.speed}, var dir {stack.var_dir}, "
        f"database {database.created or 'SQLite'}",
        flush=True,
    )
    tally = Tally()
    passed = False
    try:
        stack.install()
        _django(stack.env)
        _permissive_policy()
        stack.launch()
        venue = Venue(f"http://127.0.0.1:{stack.ports['paper_exchange']}", stack.venue_token)
        api = desk.DeskApi(f"http://127.0.0.1:{stack.ports['web']}", "admin", stack.admin_password)
        account = wait_for(desk.trading_account, timeout=60, what="the paper account")
        wait_for(lambda: desk.ok_polls(account), timeout=120, interval=1, what="a PnL poll")
        print(f"chaos: stack up, venue clock {venue.clock()}", flush=True)

        _chaos(stack, venue, schedule(opts, rng), opts.minutes * 60, tally)
        evidence = _settle_and_collect(stack, venue, api, account, tally)
        findings = checks.verify(evidence)
        failures = checks.stack_failures(
            locked=stack.output_lines("database is locked"),
            loop=evidence["loop"],
            not_back=tally.not_back,
            stuck=tally.stuck,
        )
        evidence["kills"], evidence["restarts"] = tally.kills, stack.restarts()
        if opts.evidence:
            opts.evidence.write_text(json.dumps(evidence, indent=1, default=str))
        print(table(evidence, tally, findings, failures), flush=True)
        passed = not (findings or failures)
        return 0 if passed else 1
    finally:
        stack.stop()
        database.drop(opts.database_url)
        if opts.keep or not passed:  # the stack's logs are the evidence of a failure
            print(f"chaos: kept {stack.var_dir} (logs under var/log, stack.log)", flush=True)
        else:
            stack.cleanup()


def _django(env: dict[str, str]) -> None:
    """The runner reads the desk's records with the stack's own settings (its .env, database
    and Redis), as a management shell would."""
    # exactly the stack's environment: a variable it dropped (the test run's encryption key,
    # say) would win over the stack's .env here and make its records unreadable
    os.environ.clear()
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "quantum_project.settings"
    import django

    django.setup()


def _permissive_policy() -> None:
    """An operator's edit in the admin (Risk policy) so the desk keeps trading for the whole
    run instead of stopping at the default 4 % drawdown: the chaos is about the machinery."""
    from apps.trading.models import RiskPolicy, RiskTier

    policy, _ = RiskPolicy.objects.get_or_create(pk=1)
    policy.tier, policy.max_leverage = RiskTier.AGGRESSIVE, 30
    policy.max_daily_loss, policy.max_drawdown_pct = 100_000, 100
    policy.save()


# --- the chaos ---------------------------------------------------------------------------------
def _chaos(stack: Stack, venue: Venue, events: list, span: float, tally: Tally) -> None:
    start = time.monotonic()
    bursts: list[threading.Thread] = []
    for at, kind, what in events:
        time.sleep(max(0.0, start + at - time.monotonic()))
        stack.ensure_running()
        if kind == "kill":
            _kill(stack, what, tally)
        elif kind == "fault":
            # the venue may have just been killed: its supervisor brings it back in seconds
            if _wait(
                lambda f=what: venue.set_fault(f) or True,
                f"fault {what['mode']} set",
                tally,
                timeout=20,
                fatal=False,
            ):
                tally.faults[what["mode"]] = tally.faults.get(what["mode"], 0) + 1
        else:
            burst = threading.Thread(target=_open_429_window, args=(venue, tally), daemon=True)
            burst.start()
            bursts.append(burst)
    time.sleep(max(0.0, start + span - time.monotonic()))
    for burst in bursts:
        burst.join(90)


def _kill(stack: Stack, name: str, tally: Tally) -> None:
    try:  # a program killed a moment ago must be back before it is killed again
        wait_for(lambda: stack.main_pid(name), timeout=60, interval=0.5, what=name)
    except TimeoutError:
        tally.not_back.append(name)
        return
    pids = stack.kill(name)
    tally.kills[name] += 1
    print(f"chaos: kill -9 {name} {pids}", flush=True)


def _open_429_window(venue: Venue, tally: Tally) -> None:
    # The venue's weight windows are fixed wall-clock minutes: spent at second 40, the desk
    # meets 429 + Retry-After for the last ~20 s of the minute.
    time.sleep((40 - time.time() % 60) % 60)
    if venue.open_429_window():
        tally.windows_429 += 1


# --- the end: halt, settle, collect ---------------------------------------------------------------
def _settle_and_collect(
    stack: Stack, venue: Venue, api: desk.DeskApi, account, tally: Tally
) -> dict[str, Any]:
    """Halt, flatten, a final poll of a quiet venue, then the evidence of `account`. `stack` is
    anything with all_up() and down() (the multi-host deployment is another)."""
    wait_for(
        lambda: _try(lambda: venue.clear_faults() or True),
        timeout=60,
        interval=1,
        what="faults cleared",
    )
    try:
        wait_for(stack.all_up, timeout=90, interval=1, what="every program back")
    except TimeoutError:
        tally.not_back += stack.down()
    wait_ready(venue.base_url)
    # docs/trading.md: halt first (nothing that adds risk), then flatten.
    api.desk_set(mode="halt", reason="chaos: end of run")
    keys = desk.account_keys(account)
    _wait(lambda: desk.in_flight(account) == 0, "no intent in flight after the halt", tally)
    halted = _halted_positions(venue, keys, account)
    api.desk_set(flatten=True)

    def flat() -> bool:
        now = venue.records(*keys)
        open_algos = [a for a in now["algo_orders"] if a["algoStatus"] == "NEW"]
        return not now["positions"] and not open_algos and desk.in_flight(account) == 0

    _wait(flat, "flat, no backstop working, nothing in flight", tally)
    final = _final_poll(venue, keys, account, tally)
    as_of = api.call("GET", "/api/rl-dashboard/", params={"window": "all", "account": account.id})[
        "as_of"
    ]
    days = days_spanned(final["income"], iso_ms(as_of))
    symbols = sorted({r["symbol"] for r in final["income"] if r["symbol"]})
    return {
        "desk": desk.records(account),
        "venue": final,
        "api": api.figures(account_id=account.id, symbols=symbols, days=days),
        "halted": halted,
        "days": days,
        "loop": desk.loop_stats(),
        "faults": tally.faults,
        "windows_429": tally.windows_429,
        "notes": tally.notes,
    }


def _halted_positions(venue: Venue, keys, account) -> dict[str, Any]:
    """The desk's positions and the venue's at one moment while halted, once the desk has caught
    up: its Position rows follow the venue at the next reconcile (the monitor, every 15 s), and a
    monitor exit may fill meanwhile, so the venue is read before and after the desk and the
    moment counts when both venue reads agree. A desk that never agrees within a minute is a
    mismatch (the last reading is kept)."""
    from apps.trading.models import Position
    from apps.trading.selectors import ledger_amounts

    deadline = time.monotonic() + 60
    while True:
        before = venue.positions(*keys)
        ours = {s: str(a) for s, a in ledger_amounts(account_id=account.id).items()}
        held = {
            p.symbol: str(p.amount) for p in Position.objects.filter(account=account) if p.amount
        }
        after = venue.positions(*keys)
        reading = {"ledger_amounts": ours, "positions": held, "venue_positions": after}
        stable = _amounts(before) == _amounts(after) and desk.in_flight(account) == 0
        venue_now = {s: Decimal(a) for s, a in _amounts(after).items()}
        agree = all({s: Decimal(a) for s, a in side.items()} == venue_now for side in (ours, held))
        if (stable and agree) or time.monotonic() > deadline:
            return reading
        time.sleep(2)


def _amounts(positions: list[dict]) -> dict[str, str]:
    return {p["symbol"]: p["positionAmt"] for p in positions}


def _final_poll(venue: Venue, keys, account, tally: Tally) -> dict[str, Any]:
    """The venue read, then a PnL poll that started after it, then the venue again: equal reads
    mean the poll saw exactly what the venue holds."""
    for _ in range(6):
        before = venue.records(*keys)
        started = time.time()
        _wait(
            lambda s=started: any(t > s for _, t in desk.ok_polls(account)),
            "a PnL poll after the desk settled",
            tally,
            timeout=120,
        )
        after = venue.records(*keys)
        if _quiet(before) == _quiet(after):
            return after
    tally.notes.append("the venue kept changing during every final poll")
    return after


def _quiet(records: dict) -> tuple:
    return (len(records["income"]), records["account"], _amounts(records["positions"]))


def _wait(
    predicate, what: str, tally: Tally, timeout: float = SETTLE_SECONDS, fatal: bool = True
) -> bool:
    """Wait for the predicate (errors while the stack recovers count as not yet); a desk that
    never gets there is a failure of the run, unless `fatal` is off (then a note)."""
    try:
        wait_for(lambda: _try(predicate), timeout=timeout, interval=1, what=what)
        return True
    except TimeoutError:
        (tally.stuck if fatal else tally.notes).append(
            f"timed out after {timeout:.0f} s waiting for {what}"
        )
        return False


def _try(predicate) -> Any:
    try:
        return predicate()
    except Exception:  # noqa: BLE001 - the stack is recovering: ask again
        return False


# --- the table ---------------------------------------------------------------------------------
def table(evidence: dict, tally: Tally, findings: checks.Findings, failures: list[str]) -> str:
    d, v, loop = evidence["desk"], evidence["venue"], evidence["loop"] or {}
    restarts = evidence["restarts"]
    lines = ["", f"{'program':<16}{'kills':>6}{'restarts':>10}"]
    lines += [f"{n:<16}{tally.kills[n]:>6}{restarts.get(n, 0):>10}" for n in PROGRAMS]

    def stat(name: str) -> str:
        return str(loop[name]) if name in loop else "n/a"

    sent = [i for i in d["intents"] if i["order_id"] is not None]
    rows = [
        ("trading cycles run", stat("completed")),
        ("trading cycles failed", stat("failed")),
        ("trading cycles skipped", stat("skipped")),
        ("most skips in a row", stat("max_skips_in_a_row")),
        ("venue orders", len(v["orders"])),
        ("venue algo orders (backstops)", len(v["algo_orders"])),
        ("intents (with an order)", f"{len(d['intents'])} ({len(sent)})"),
        ("income rows (venue / ledger)", f"{len(v['income'])} / {len(d['ledger'])}"),
        ("faults driven", ", ".join(f"{k} {n}" for k, n in sorted(tally.faults.items()))),
        ("429 windows", tally.windows_429),
        ("lost", len(findings.lost)),
        ("duplicated", len(findings.duplicated)),
        ("unknown orders", len(findings.unknown)),
        ("mismatches", len(findings.mismatches)),
        ("restarts (total)", sum(restarts.values())),
        ("stack failures", len(failures)),
    ]
    lines += [""] + [f"{k:<32}{val}" for k, val in rows]
    shown = findings.lines() + failures + [f"note: {n}" for n in tally.notes]
    lines += [""] + shown[:80] + ([f"... {len(shown) - 80} more"] if len(shown) > 80 else [])
    lines.append("chaos: FAIL" if findings or failures else "chaos: PASS")
    return "\n".join(lines)
