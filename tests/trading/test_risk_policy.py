"""The risk policy: every limit of domain.md, the tiers, the desk's mode and kill switch."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.core.money import quantize_step
from apps.trading.models import DeskMode, DeskState, IntentAction, RiskPolicy, RiskTier
from apps.trading.risk import Book, Proposal, risk_evaluate

D = Decimal


def proposal(**kw) -> Proposal:
    base = {
        "symbol": "BTCUSDT",
        "action": IntentAction.OPEN,
        "notional": D("200"),
        "leverage": 5,
        "confidence": D("0.8"),
        "reduce_only": False,
    }
    return Proposal(**{**base, **kw})


def judge(p: Proposal, *, policy=None, desk=None, book=None):
    return risk_evaluate(
        proposal=p, policy=policy or RiskPolicy(), desk=desk or DeskState(), book=book or Book()
    )


def test_it_defaults_to_domain_md_limits():
    policy = RiskPolicy()
    assert policy.max_positions_total == 10
    assert policy.max_entries_per_symbol == 3
    assert policy.max_exposure_total == D("5000")
    assert policy.max_exposure_per_symbol == D("1000")
    assert policy.max_drawdown_pct == D("4")


@pytest.mark.parametrize(
    ("tier", "max_leverage", "min_confidence"),
    [
        (RiskTier.CONSERVATIVE, 10, D("0.75")),
        (RiskTier.BALANCED, 20, D("0.65")),
        (RiskTier.AGGRESSIVE, 30, D("0.55")),
    ],
)
def test_it_applies_the_tier_s_leverage_cap_and_confidence_floor(
    tier, max_leverage, min_confidence
):
    policy = RiskPolicy(tier=tier, max_leverage=100)
    assert policy.effective_max_leverage == max_leverage
    assert judge(proposal(leverage=max_leverage, confidence=min_confidence), policy=policy).approved
    assert not judge(proposal(leverage=max_leverage + 1), policy=policy).approved
    low = judge(proposal(confidence=min_confidence - D("0.01")), policy=policy)
    assert not low.approved and "confidence" in low.reason


def test_it_approves_within_limits():
    assert judge(proposal()).approved


def test_it_rejects_past_the_per_symbol_exposure():
    book = Book(exposure_by_symbol={"BTCUSDT": D("900")}, entries_by_symbol={"BTCUSDT": 1})
    verdict = judge(proposal(action=IntentAction.ADD, notional=D("101")), book=book)
    assert not verdict.approved and "BTCUSDT exposure" in verdict.reason
    assert judge(proposal(action=IntentAction.ADD, notional=D("100")), book=book).approved


def test_it_rejects_past_the_total_exposure():
    book = Book(exposure_by_symbol={f"S{i}USDT": D("999") for i in range(5)})
    verdict = judge(proposal(notional=D("10")), book=book)
    assert not verdict.approved and "total exposure" in verdict.reason


def test_it_rejects_an_eleventh_position():
    book = Book(exposure_by_symbol={f"S{i}USDT": D("1") for i in range(10)})
    verdict = judge(proposal(), book=book)
    assert not verdict.approved and "positions" in verdict.reason


def test_it_rejects_a_fourth_entry_on_a_symbol():
    book = Book(exposure_by_symbol={"BTCUSDT": D("10")}, entries_by_symbol={"BTCUSDT": 3})
    verdict = judge(proposal(action=IntentAction.ADD), book=book)
    assert not verdict.approved and "entries" in verdict.reason


def test_it_rejects_new_risk_past_the_max_drawdown():
    desk = DeskState(equity=D("9600"), equity_peak=D("10000"))
    verdict = judge(proposal(), desk=desk)
    assert not verdict.approved and "drawdown" in verdict.reason
    assert judge(proposal(), desk=DeskState(equity=D("9601"), equity_peak=D("10000"))).approved


def test_it_rejects_new_risk_past_the_daily_loss():
    desk = DeskState(equity=D("9700"), day_start_equity=D("9950"), equity_peak=D("9950"))
    verdict = judge(proposal(), policy=RiskPolicy(max_daily_loss=D("250")), desk=desk)
    assert not verdict.approved and "daily loss" in verdict.reason


@pytest.mark.parametrize(
    ("desk", "why"),
    [
        (DeskState(kill_switch=True), "kill switch"),
        (DeskState(mode=DeskMode.HALT), "halt"),
        (DeskState(mode=DeskMode.DEFENSIVE), "defensive"),
    ],
)
def test_it_stops_new_risk_when_halted_but_lets_reductions_through(desk, why):
    verdict = judge(proposal(), desk=desk)
    assert not verdict.approved and why in verdict.reason
    assert judge(proposal(action=IntentAction.CLOSE, reduce_only=True), desk=desk).approved


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("0.0109", "0.001", "0.010"),
        ("1.23456", "0.01", "1.23"),
        ("42", "1", "42"),
        ("0.0009", "0.001", "0.000"),
        ("40000.05", "0.1", "40000.0"),
    ],
)
def test_it_rounds_quantities_and_prices_down_to_the_filter_step(value, step, expected):
    assert quantize_step(D(value), D(step)) == D(expected)
