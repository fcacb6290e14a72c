"""The dashboard's symbol rows are rendered by symbol_row, not field by field: it must give the
keys and strings that SymbolOutput's declared fields (the OpenAPI schema) give."""

from decimal import Decimal

import pytest
from rest_framework import serializers

from apps.pnl.api.serializers import SymbolOutput, symbol_row
from apps.pnl.selectors import SymbolFigures

FIGURES = [
    SymbolFigures(symbol="BTCUSDT", account_id=3, account_name="desk-b"),  # flat: zeros
    SymbolFigures(
        symbol="ETHUSDT",
        side="LONG",
        position_size=Decimal("0.0020000000"),
        entry_price=Decimal("2500.12"),
        mark_price=Decimal("2510.987654321"),
        leverage=5,
        notional=Decimal("5.021975308642"),
        initial_margin=Decimal("1.0043950617284"),
        unrealized_pnl=Decimal("0.021735308642"),
        realized_pnl=Decimal("-1.23456789"),
        commission=Decimal("-0.000000004"),  # rounds to nothing: never "-0.00000000"
        funding=Decimal("0.000000005"),  # half-even: 0.00000000
        realized_trades=3,
        unrealized_pct=Decimal("2.1641"),
        realized_pct=Decimal("-0.5"),
    ),
    SymbolFigures(
        symbol="SOLUSDT",
        side="SHORT",
        position_size=Decimal("-125"),
        entry_price=Decimal("150"),
        mark_price=Decimal("149.5"),
        leverage=20,
        notional=Decimal("-18687.5"),
        initial_margin=Decimal("934.375"),
        unrealized_pnl=Decimal("62.5"),
        realized_pnl=Decimal("1000000.000000015"),
        realized_trades=12,
        unrealized_pct=Decimal("6.68896321"),
        realized_pct=Decimal("0.000000015"),
    ),
]


@pytest.mark.parametrize("fig", FIGURES, ids=[f.symbol for f in FIGURES])
def test_symbol_row_is_what_the_declared_fields_render(fig):
    by_fields = serializers.Serializer.to_representation(SymbolOutput(), fig)
    assert symbol_row(fig) == by_fields
    assert list(symbol_row(fig)) == list(SymbolOutput().fields)  # same keys, same order


def _dashboard(board_key):
    from apps.pnl.selectors import Board, Dashboard, Totals

    zero = Decimal(0)
    totals = Totals(*([zero] * 7), realized_trades=0, initial_margin=zero)
    board = Board("24h", None, None, FIGURES, "SOLUSDT", Decimal("6.7"), Decimal("2.1"), totals)
    return Dashboard("ok", "Tracking 3 symbol(s).", 4, board, board_key=board_key)


@pytest.mark.parametrize("board_key", [None, ("a board", ("its marks",))])
def test_the_dashboard_answer_is_its_declared_fields_kept_or_not(board_key):
    from apps.pnl.api.serializers import BoardOutput, DashboardOutput

    dashboard = _dashboard(board_key)
    first, again = DashboardOutput(dashboard).data, DashboardOutput(dashboard).data
    assert set(first) == set(DashboardOutput().fields)
    board_part = {k: v for k, v in first.items() if k in BoardOutput().fields}
    assert board_part == BoardOutput(dashboard.board).data
    assert (first["status"], first["poll_age_seconds"]) == ("ok", 4)
    assert again == first
