"""The calibrator's changes with their effect: each change carries the figure it was fitted from
(robust sigma of the rewards for the clip, mean reward for exploration) as it stood, and the same
figure over the trades closed since, up to the next calibration's; the figures are recomputed
here with the standard library from the rewards the ledger's trades became."""

from __future__ import annotations

import math
import statistics

import pytest

from apps.pnl.services import income_rows_store
from apps.rl import services
from apps.rl.models import Reward
from tests.rl.test_rl_feedback import T0, _account, _decide, _income

pytestmark = pytest.mark.django_db

URL = "/api/rl/calibrations/"


def _trades(account, start: int, count: int, pnl) -> None:
    """`count` closed trades through the reward path: a sizing decision, the trade's realized
    PnL in the income ledger, then the feedback's ingest."""
    for i in range(start, start + count):
        t = T0 + i * 10_000
        _decide(t)
        income_rows_store(
            account=account, rows=[_income(1000 + i, "REALIZED_PNL", pnl(i), f"c{i}", t + 5000)]
        )
    services.rewards_ingest()


def _rewards(first: int, last: int) -> list[float]:
    """The rewards of trades first..last-1, as recorded."""
    lo, hi = T0 + first * 10_000, T0 + last * 10_000
    rows = Reward.objects.filter(time_ms__gte=lo, time_ms__lt=hi).order_by("time_ms")
    return [r.reward for r in rows]


def robust_sigma(xs: list[float]) -> float:
    med = statistics.median(xs)
    return 1.4826 * statistics.median([abs(x - med) for x in xs])


def mean_and_se(xs: list[float]) -> tuple[float, float]:
    return statistics.fmean(xs), statistics.stdev(xs) / math.sqrt(len(xs))


def _check(effect: dict, name: str, xs: list[float]) -> None:
    block = effect[name]
    assert block["n"] == len(xs)
    if effect["figure"] == "robust_sigma":
        assert block["value"] == pytest.approx(robust_sigma(xs), abs=1e-6)
        assert block["se"] is None
    else:
        mean, se = mean_and_se(xs)
        assert block["value"] == pytest.approx(mean, abs=1e-6)
        assert block["se"] == pytest.approx(se, abs=1e-6)


def test_each_change_shows_its_figure_then_and_over_the_trades_since(redis_client, api):
    account = _account()
    # Wide swings first (a loose clip, exploration by the schedule), then calmer, better trades.
    _trades(account, 0, 50, lambda i: f"{(i * 37) % 23 - 9}.5")
    first = services.calibrate()
    assert set(first.changes) == {"epsilon", "reward_clip"}
    _trades(account, 50, 40, lambda i: f"{(i * 7) % 5 + 1}.25")
    second = services.calibrate()
    _trades(account, 90, 12, lambda i: f"{(i * 3) % 4 - 1}.75")

    body = api.get(URL).json()
    runs = {r["id"]: r for r in body["results"]}
    read_first, since_first = _rewards(0, 50), _rewards(50, 90)
    read_second = _rewards(0, 90)  # the calibrator reads the newest 500: all of them here
    since_second = _rewards(90, 102)
    assert len(since_first) == 40 and len(since_second) == 12

    effects = {e["parameter"]: e for e in runs[first.id]["effects"]}
    assert set(effects) == set(first.changes)
    assert effects["reward_clip"]["figure"] == "robust_sigma"
    assert effects["epsilon"]["figure"] == "mean_reward"
    for parameter, effect in effects.items():
        assert [effect["before"], effect["after"], effect["why"]] == first.changes[parameter]
        _check(effect, "at_change", read_first)
        _check(effect, "since", since_first)  # up to what the next calibration read
        assert effect["since_until_ms"] == second.through_ms
    # The clip was fitted as 4 robust sigmas of what it read.
    clip = effects["reward_clip"]
    assert clip["after"] == pytest.approx(4 * clip["at_change"]["value"], abs=1e-5)

    for effect in runs[second.id]["effects"]:
        _check(effect, "at_change", read_second)
        _check(effect, "since", since_second)  # open-ended: the newest calibration
        assert effect["since_until_ms"] is None

    agent = api.get("/api/rl/agent/").json()
    assert agent["last_calibration"]["effects"] == runs[second.id]["effects"]
