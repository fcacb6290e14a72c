"""Writes of the RL context: sizing decisions, rewards from the ledger (feedback), the bandit's
update, the monitor and the calibrator (docs/intelligence.md)."""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import transaction

from apps.core import jsoncodec, keys
from apps.core.redis import get_redis
from apps.core.timeutil import to_ms, utcnow
from apps.pnl.models import Trade
from apps.rl import bandit
from apps.rl import figures as rl_figures
from apps.rl.models import AgentConfig, ArmStat, CalibrationRun, Reward, RLAlert, SizingDecision
from apps.trading import attribution

MONEY_PLACES = Decimal("0.00000001")


# --- the agent -----------------------------------------------------------------------------------


def agent_config() -> AgentConfig:
    config, _ = AgentConfig.objects.get_or_create(
        pk=1,
        defaults={
            "epsilon": settings.RL_EPSILON,
            "risk_aversion": settings.RL_RISK_AVERSION,
            "multipliers": [str(Decimal(m)) for m in settings.RL_MULTIPLIERS],
        },
    )
    return config


def hard_cap() -> tuple[Decimal, str]:
    """The most notional one entry may carry: the trading risk policy's per-symbol exposure
    limit when that app's policy row exists, else settings.RL_MAX_NOTIONAL."""
    try:
        from apps.trading.models import RiskPolicy

        policy = RiskPolicy.objects.filter(pk=1).first()
    except ImportError:  # the trading app is optional for the agent
        policy = None
    if policy is not None:
        return policy.max_exposure_per_symbol, "risk policy max_exposure_per_symbol"
    return settings.RL_MAX_NOTIONAL, "RL_MAX_NOTIONAL"


def _arms(context: str, multipliers: list[Decimal]) -> list[bandit.ArmView]:
    stats = {a.multiplier: a for a in ArmStat.objects.filter(context=context)}
    return [
        bandit.ArmView(m, stats[m].n, stats[m].mean, stats[m].m2)
        if m in stats
        else bandit.ArmView(m, 0, 0.0, 0.0)
        for m in multipliers
    ]


def size_decide(
    *,
    symbol: str,
    confidence: Decimal,
    regime: str | None,
    vol_ratio: float | None,
    base_notional: Decimal,
    leverage: int = 1,
    time_ms: int | None = None,
    rng: random.Random | None = None,
) -> SizingDecision:
    """Pick a size multiplier for a signal in its context; the notional never exceeds the hard
    cap. The random draw is seeded by symbol and decision count unless one is given, so a
    decision can be replayed."""
    config = agent_config()
    multipliers = [Decimal(m) for m in config.multipliers]
    context = bandit.context_key(confidence=confidence, regime=regime, vol_ratio=vol_ratio)
    if rng is None:
        rng = random.Random(f"{symbol}:{SizingDecision.objects.filter(symbol=symbol).count()}")
    multiplier, explored = bandit.choose(
        _arms(context, multipliers),
        epsilon=config.epsilon,
        risk_aversion=config.risk_aversion,
        rng=rng,
    )
    cap, _ = hard_cap()
    wanted = (base_notional * multiplier).quantize(MONEY_PLACES)
    return SizingDecision.objects.create(
        symbol=symbol,
        context=context,
        multiplier=multiplier,
        explored=explored,
        confidence=confidence,
        regime=regime or "",
        base_notional=base_notional,
        notional=min(wanted, cap),
        cap=cap,
        capped=wanted > cap,
        leverage=leverage,
        time_ms=time_ms if time_ms is not None else to_ms(utcnow()),
    )


def arm_update(*, context: str, multiplier: Decimal, reward: float) -> ArmStat:
    """Fold one reward into its arm (row-locked: two feedback runs never lose an update)."""
    with transaction.atomic():
        ArmStat.objects.get_or_create(context=context, multiplier=multiplier)
        arm = ArmStat.objects.select_for_update().get(context=context, multiplier=multiplier)
        arm.n, arm.mean, arm.m2 = bandit.welford(arm.n, arm.mean, arm.m2, reward)
        arm.save(update_fields=["n", "mean", "m2", "updated_at"])
    return arm


# --- feedback: closed trades -> rewards --------------------------------------------------------


def _decision_for(trade: Trade) -> SizingDecision | None:
    """The sizing decision that chose the size of the position this trade closes.

    Desk trades: the trade's opening intent (apps.trading.attribution) carries the decision id
    in its signal snapshot (`sizing.decision_id`); the decision is rewarded by the first trade
    closing that position (a position closed in several fills feeds the agent once, with the
    first fill's PnL). Trades of an account the desk never traded (the agent used on its own):
    the latest unrewarded decision of the symbol made before the trade."""
    if attribution.desk_traded(account_id=trade.account_id):
        intent = attribution.trade_opening_intent(
            account_id=trade.account_id,
            symbol=trade.symbol,
            trade_id=trade.trade_id,
            time_ms=trade.time_ms,
        )
        sizing = ((intent.signal or {}).get("sizing") or {}) if intent else {}
        decision_id = sizing.get("decision_id")
        if decision_id is None:
            return None
        return SizingDecision.objects.filter(id=decision_id, reward__isnull=True).first()
    return (
        SizingDecision.objects.filter(
            symbol=trade.symbol, time_ms__lte=trade.time_ms, reward__isnull=True
        )
        .order_by("-time_ms", "-id")
        .first()
    )


def reward_compute(*, net_pnl: Decimal, risk_unit: Decimal, clip: float) -> float:
    """net PnL per unit of risk (the initial margin of a 1.0x position), clipped: a 2x position
    that wins earns twice the reward of a 1x one, and one liquidation cannot swamp the arm."""
    if risk_unit <= 0:
        return 0.0
    ratio = np.asarray([net_pnl / risk_unit], dtype=float)[0].item()
    return max(-clip, min(clip, ratio))


def rewards_ingest(*, limit: int = 1000) -> list[Reward]:
    """Every ledger trade not rewarded yet becomes one Reward (unique per trade), folded into
    the arm of the decision that sized it; then the monitor publishes it."""
    config = agent_config()
    made: list[Reward] = []
    trades = Trade.objects.filter(rl_reward__isnull=True).order_by("time_ms", "id")[:limit]
    for trade in trades:
        with transaction.atomic():
            decision = _decision_for(trade)
            if decision is not None:
                unit = decision.base_notional / max(decision.leverage, 1)
            else:  # not sized by the agent (adopted, manual): the desk's default unit
                unit = settings.TRADING_ORDER_NOTIONAL / settings.TRADING_LEVERAGE
            net = trade.realized_pnl + trade.commission + trade.funding
            value = reward_compute(net_pnl=net, risk_unit=unit, clip=config.reward_clip)
            reward, created = Reward.objects.get_or_create(
                trade=trade,
                defaults={
                    "decision": decision,
                    "symbol": trade.symbol,
                    "time_ms": trade.time_ms,
                    "realized_pnl": trade.realized_pnl,
                    "commission": trade.commission,
                    "funding": trade.funding,
                    "net_pnl": net,
                    "risk_unit": unit.quantize(MONEY_PLACES),
                    "reward": value,
                    "context": decision.context if decision else "",
                    "multiplier": decision.multiplier if decision else None,
                },
            )
            if created and decision is not None:
                arm_update(context=decision.context, multiplier=decision.multiplier, reward=value)
        if created:
            made.append(reward)
    if made:
        monitor_record(rewards=made)
    return made


# --- monitor -------------------------------------------------------------------------------------


def reward_stats(values: list[float]) -> dict:
    arr = np.asarray(values, dtype=float)
    streak = 0
    for v in reversed(values):
        if v >= 0:
            break
        streak += 1
    return {
        "n": len(values),
        "mean": round(arr.mean().item(), 6) if len(arr) else 0.0,
        "std": round(arr.std().item(), 6) if len(arr) else 0.0,
        "win_rate": round((arr > 0).mean().item(), 4) if len(arr) else 0.0,
        "sum": round(arr.sum().item(), 6) if len(arr) else 0.0,
        "loss_streak": streak,
    }


def _alert(symbol: str, kind: str, firing: bool, value: float, threshold: float) -> None:
    """One open alert per symbol and kind: raised when the condition starts, cleared when it
    stops (so a bad streak is one alert, not one per trade)."""
    open_alert = RLAlert.objects.filter(symbol=symbol, kind=kind, cleared_at__isnull=True).first()
    if firing and open_alert is None:
        RLAlert.objects.create(symbol=symbol, kind=kind, value=value, threshold=threshold)
    elif not firing and open_alert is not None:
        RLAlert.objects.filter(id=open_alert.id).update(cleared_at=utcnow())


def monitor_record(*, rewards: list[Reward]) -> dict[str, dict]:
    """Append the rewards to quantum:rl:history:{symbol} (JSON members scored by the trade's
    ms), refresh the rolling statistics in quantum:rl:stats:{symbol}, raise or clear alerts."""
    client = get_redis()
    pipe = client.pipeline(transaction=False)
    for r in rewards:
        member = {
            "kind": "trade",
            "t": r.time_ms,
            "trade": r.trade_id,
            "reward": round(r.reward, 6),
            "net_pnl": r.net_pnl,
            "multiplier": r.multiplier,
            "context": r.context,
        }
        pipe.zadd(keys.rl_history(r.symbol), {jsoncodec.dumps(member): r.time_ms})
        pipe.zremrangebyrank(keys.rl_history(r.symbol), 0, -settings.RL_HISTORY_KEEP - 1)
    pipe.execute()
    out = {}
    for symbol in sorted({r.symbol for r in rewards}):
        recent = list(
            Reward.objects.filter(symbol=symbol)
            .order_by("-time_ms", "-id")
            .values_list("reward", flat=True)[: settings.RL_STATS_WINDOW]
        )
        stats = reward_stats(list(reversed(recent)))
        judged = stats["n"] >= 10
        _alert(
            symbol,
            "mean_below",
            judged and stats["mean"] < settings.RL_ALERT_MEAN_BELOW,
            stats["mean"],
            settings.RL_ALERT_MEAN_BELOW,
        )
        _alert(
            symbol,
            "loss_streak",
            stats["loss_streak"] >= settings.RL_ALERT_LOSS_STREAK,
            stats["loss_streak"],
            settings.RL_ALERT_LOSS_STREAK,
        )
        stats["alerts"] = list(
            RLAlert.objects.filter(symbol=symbol, cleared_at__isnull=True).values_list(
                "kind", flat=True
            )
        )
        client.hset(
            keys.rl_stats(symbol),
            mapping={k: jsoncodec.dumps(v) for k, v in {**stats, "symbol": symbol}.items()},
        )
        out[symbol] = stats
    return out


# --- calibrator ----------------------------------------------------------------------------------


def calibrate(*, history: int = 500) -> CalibrationRun:
    """Re-fit the agent's parameters from its reward history and record what changed and why.

    - reward_clip: 4 robust sigmas of the rewards (MAD), at least 0.05: outliers are bounded
      relative to what trades actually pay.
    - epsilon: 0.3 / sqrt(1 + n / 20) within [0.02, 0.3]: explore less as evidence grows, but
      back to at least 0.2 when the recent mean moved more than 3 standard errors from the
      long-run mean (the market changed; old values may be stale).
    """
    config = agent_config()
    read = list(
        Reward.objects.exclude(context="")
        .order_by("-time_ms", "-id")
        .values_list("reward", "time_ms")[:history]
    )
    values = [r for r, _ in read]
    before = {"epsilon": config.epsilon, "reward_clip": config.reward_clip}
    after = dict(before)
    why: dict[str, str] = {}
    n = len(values)
    if n >= 10:
        arr = np.asarray(values, dtype=float)
        sigma = rl_figures.robust_sigma(arr)
        after["reward_clip"] = round(max(4 * sigma, 0.05), 6)
        why["reward_clip"] = f"4 x robust sigma {sigma:.6f} of {n} rewards"
        eps = min(0.3, max(0.02, 0.3 / np.sqrt(1 + n / 20).item()))
        why["epsilon"] = f"0.3/sqrt(1+{n}/20)"
        recent = arr[:50]  # newest first
        se = arr.std().item() / np.sqrt(len(recent)).item() if arr.std() > 0 else 0.0
        if n >= 100 and se > 0 and abs(recent.mean() - arr.mean()).item() > 3 * se:
            eps = max(eps, 0.2)
            why["epsilon"] += "; recent mean shifted > 3 s.e.: re-explore"
        after["epsilon"] = round(eps, 6)
    changes = {
        k: [before[k], after[k], why.get(k, "")] for k in after if abs(after[k] - before[k]) > 1e-9
    }
    # What each change acted on, so its effect can be read against the trades after the newest
    # one read (apps.rl.selectors.calibration_effects).
    figures = {k: rl_figures.figure(rl_figures.PARAMETER_FIGURE[k], values) for k in changes}
    with transaction.atomic():
        AgentConfig.objects.filter(pk=1).update(
            epsilon=after["epsilon"], reward_clip=after["reward_clip"], version=config.version + 1
        )
        return CalibrationRun.objects.create(
            rewards_used=n,
            before=before,
            after=after,
            changes=changes,
            figures=figures,
            through_ms=max((t for _, t in read), default=None),
        )
