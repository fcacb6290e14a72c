"""Reads of the RL context: the agent's state and its reward history."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.core import jsoncodec, keys
from apps.core.redis import get_redis
from apps.rl import bandit
from apps.rl import figures as rl_figures
from apps.rl.models import ArmStat, CalibrationRun, Reward, RLAlert, SizingDecision
from apps.rl.services import agent_config, hard_cap


def agent_state() -> dict:
    """Parameters, the hard cap, every context's arms with their value and the greedy pick."""
    config = agent_config()
    cap, cap_source = hard_cap()
    views: dict[str, list[bandit.ArmView]] = {}
    for arm in ArmStat.objects.all():
        views.setdefault(arm.context, []).append(
            bandit.ArmView(arm.multiplier, arm.n, arm.mean, arm.m2)
        )
    rows = []
    for context, arms in sorted(views.items()):
        # The values the policy acts on: each arm at the context's pooled per-unit estimates
        # (apps/rl/bandit.py); mean and std stay the arm's own rewards.
        values = bandit.arm_values(arms, config.risk_aversion)
        rows.append(
            {
                "context": context,
                "best_multiplier": bandit.greedy(arms, config.risk_aversion),
                "arms": [
                    {
                        "multiplier": a.multiplier,
                        "n": a.n,
                        "mean": round(a.mean, 6),
                        "std": round(a.var**0.5, 6),
                        "value": round(values[a.multiplier], 6),
                    }
                    for a in arms
                ],
            }
        )
    last = CalibrationRun.objects.first()
    if last is not None:
        calibration_effects(runs=[last])
    return {
        "epsilon": config.epsilon,
        "risk_aversion": config.risk_aversion,
        "reward_clip": config.reward_clip,
        "multipliers": config.multipliers,
        "version": config.version,
        "hard_cap": cap,
        "hard_cap_source": cap_source,
        "contexts": rows,
        "decisions": SizingDecision.objects.count(),
        "rewards": Reward.objects.count(),
        "last_calibration": last,
        "open_alerts": list(RLAlert.objects.filter(cleared_at__isnull=True)),
    }


def rewards_list(*, symbol: str | None = None) -> QuerySet[Reward]:
    rows = Reward.objects.all()
    return rows.filter(symbol=symbol.upper()) if symbol else rows


def reward_stats_get(*, symbol: str) -> dict:
    raw = get_redis().hgetall(keys.rl_stats(symbol))
    return {k: jsoncodec.loads(v) for k, v in raw.items()}


def calibrations_list() -> QuerySet[CalibrationRun]:
    """Every calibrator run, newest first: what it changed, from what to what, and why."""
    return CalibrationRun.objects.order_by("-created_at", "-id")


def calibration_effects(*, runs: list[CalibrationRun]) -> list[CalibrationRun]:
    """Each run's `effects`: per changed parameter, the figure it was fitted from as it stood
    (over the rewards read) and the same figure over the trades closed after the newest one
    read, up to the newest one the next calibration read (a later change is judged on its own
    trades). Sized rewards only, as the calibrator reads. Runs recorded before figures were
    stored have none."""
    newer = {
        r.id: r.through_ms
        for r in CalibrationRun.objects.filter(through_ms__isnull=False).order_by("id")
    }
    ids = sorted(newer)
    for run in runs:
        run.effects = []
        if run.through_ms is None:
            continue
        later = [newer[i] for i in ids if i > run.id]
        until = later[0] if later else None
        since = Reward.objects.exclude(context="").filter(time_ms__gt=run.through_ms)
        if until is not None:
            since = since.filter(time_ms__lte=until)
        values = list(since.values_list("reward", flat=True))
        for parameter, (before, after, why) in run.changes.items():
            name = rl_figures.PARAMETER_FIGURE.get(parameter)
            if name is None:
                continue  # a parameter the calibrator does not fit from a figure
            run.effects.append(
                {
                    "parameter": parameter,
                    "before": before,
                    "after": after,
                    "why": why,
                    "figure": name,
                    "at_change": run.figures.get(parameter),
                    "since": rl_figures.figure(name, values),
                    "since_until_ms": until,
                }
            )
    return runs
