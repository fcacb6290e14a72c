"""apps/exchange is the only desk app that speaks Binance: no other desk module names a
python-binance method (`futures_*`) or a Binance payload field in a string literal. Docstrings and
comments may explain the venue; code may not reach into its dicts."""

from __future__ import annotations

import ast
from pathlib import Path

APPS = Path(__file__).resolve().parents[2] / "apps"
# apps/exchange speaks Binance by design; apps/paper_exchange *is* a Binance venue.
ALLOWED = {"exchange", "paper_exchange"}
# Fields of REST replies and stream events (../shared/binance-futures.md) that only a parser reads.
FIELDS = {
    "positionAmt",
    "entryPrice",
    "markPrice",
    "indexPrice",
    "unRealizedProfit",
    "unrealizedProfit",
    "clientOrderId",
    "origClientOrderId",
    "newClientOrderId",
    "clientAlgoId",
    "algoId",
    "algoStatus",
    "actualOrderId",
    "orderId",
    "executedQty",
    "origQty",
    "avgPrice",
    "cumQuote",
    "origType",
    "reduceOnly",
    "closePosition",
    "triggerPrice",
    "stopPrice",
    "workingType",
    "updateTime",
    "realizedPnl",
    "tranId",
    "incomeType",
    "tradeId",
    "totalWalletBalance",
    "totalMarginBalance",
    "availableBalance",
    "totalUnrealizedProfit",
    "lastFundingRate",
    "nextFundingTime",
    "serverTime",
    "tickSize",
    "stepSize",
    "filterType",
    "newOrderRespType",
}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def offences(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] in ALLOWED:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            if id(node) in skip:
                continue
            text = node.value
            named = [w for w in FIELDS if w == text] or (
                [text] if text.startswith("futures_") else []
            )
            if named:
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {named[0]!r}")
    return found


def test_no_desk_app_but_exchange_speaks_binance():
    assert offences(APPS) == []


def test_it_names_the_file_and_line_of_an_offence(tmp_path):
    (tmp_path / "trading").mkdir()
    (tmp_path / "exchange").mkdir()
    (tmp_path / "trading" / "bad.py").write_text(
        '"""positionAmt in a docstring is fine."""\n'
        'x = {"a": 1}\n'
        'y = row["positionAmt"]\n'
        'z = client.call("futures_account")\n'
    )
    (tmp_path / "exchange" / "ok.py").write_text('y = row["positionAmt"]\n')
    assert offences(tmp_path) == [
        f"{tmp_path.name}/trading/bad.py:3: 'positionAmt'",
        f"{tmp_path.name}/trading/bad.py:4: 'futures_account'",
    ]
