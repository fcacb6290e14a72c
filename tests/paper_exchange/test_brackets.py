"""Maintenance margin by Binance's leverage brackets, not a flat rate."""

from __future__ import annotations

from decimal import Decimal

from apps.paper_exchange import brackets
from apps.paper_exchange.engine import accounting as acct
from tests.support.paper_exchange import api_error, market, position


def test_cum_derived_from_the_tiers_is_binances_published_maintenance_amount():
    # Binance's published cum for BTCUSDT (Oct 2024), bracket by bracket.
    published = [
        0,
        50,
        950,
        11450,
        131450,
        481450,
        2981450,
        14481450,
        26481450,
        41481450,
        121481450,
        421481450,
    ]
    assert [b.cum for b in brackets.BRACKETS["BTCUSDT"]] == [Decimal(c) for c in published]


def test_maintenance_margin_is_continuous_across_every_bracket_edge():
    for symbol, tiers in brackets.BRACKETS.items():
        for lower, upper in zip(tiers, tiers[1:], strict=False):
            edge = upper.floor
            below = edge * lower.mmr - lower.cum
            assert brackets.maint_margin(symbol, edge) == edge * upper.mmr - upper.cum == below


def test_the_liquidation_price_puts_margin_balance_on_maintenance():
    amt, entry, equity = Decimal("2"), Decimal("60000"), Decimal("8000")
    bracket = brackets.bracket_for("BTCUSDT", amt * entry)
    price = acct.liquidation_price(
        amt=amt, entry=entry, other_equity=equity, rate=bracket.mmr, cum=bracket.cum
    )
    margin_balance = equity + amt * (price - entry)
    assert abs(margin_balance - (amt * price * bracket.mmr - bracket.cum)) < Decimal("1e-12")


def test_a_position_past_the_first_bracket_pays_its_brackets_rate(client):
    # 1 BTC, about 56,000 USDT on this seed: bracket 2 (50k..600k, 0.5 %, cum 50).
    market(client, "BTCUSDT", "BUY", "1.000")
    row = position(client, "BTCUSDT")
    notional = Decimal(row["notional"])
    assert notional > 50_000, "the test needs a position past the first bracket"
    expected = (notional * Decimal("0.005") - 50).quantize(Decimal("0.00000001"))
    assert Decimal(row["maintMargin"]) == expected


def test_leverage_is_capped_by_the_symbols_first_bracket_and_by_position_size(client):
    assert api_error(client.futures_change_leverage, symbol="XRPUSDT", leverage=76).code == -4028
    assert client.futures_change_leverage(symbol="XRPUSDT", leverage=75)["maxNotionalValue"] == (
        "10000"
    )
    market(client, "BTCUSDT", "BUY", "1.000")  # ~56,000 USDT: more than 125x allows (50,000)
    assert api_error(client.futures_change_leverage, symbol="BTCUSDT", leverage=125).code == -2027
