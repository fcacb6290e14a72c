"""Symbol filters from exchangeInfo: tick size, step size, minimum notional."""

from dataclasses import dataclass
from decimal import Decimal

from apps.core.money import to_decimal


@dataclass(frozen=True)
class SymbolFilters:
    symbol: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    min_notional: Decimal


def symbol_filters_parse(*, exchange_info: dict) -> dict[str, SymbolFilters]:
    out: dict[str, SymbolFilters] = {}
    for entry in exchange_info.get("symbols", []):
        symbol = entry["symbol"]
        filters = {f["filterType"]: f for f in entry.get("filters", [])}
        out[symbol] = SymbolFilters(
            symbol=symbol,
            tick_size=to_decimal(filters["PRICE_FILTER"]["tickSize"], field=f"{symbol} tickSize"),
            step_size=to_decimal(filters["LOT_SIZE"]["stepSize"], field=f"{symbol} stepSize"),
            min_qty=to_decimal(filters["LOT_SIZE"]["minQty"], field=f"{symbol} minQty"),
            min_notional=to_decimal(
                filters.get("MIN_NOTIONAL", {}).get("notional", "0"), field=f"{symbol} notional"
            ),
        )
    return out
