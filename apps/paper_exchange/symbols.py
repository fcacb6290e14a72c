"""The contracts the venue lists, with Binance-like filters (values taken from the live venue).

Tick and step sizes are Binance's; `pricePrecision` is the number of decimals Binance writes
in the tick size string ("0.10" for BTC: 2), which is what its exchangeInfo reports, so a tick
raised since listing keeps the old precision. Start prices are of October 2024."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from .errors import ApiError, bad_precision, invalid_symbol

# Binance's `triggerProtect`: how far apart (a fraction of the last price) the last and the mark
# price may be for a `priceProtect` conditional order to trigger.
TRIGGER_PROTECT = Decimal("0.0500")
# Binance's `liquidationFee`: the liquidation clearance fee rate, of the liquidated notional at
# the mark (engine/loop.py: what an isolated liquidation costs beyond closing at the mark).
LIQUIDATION_FEE = Decimal("0.012500")


@dataclass(frozen=True)
class SymbolSpec:
    symbol: str
    base_asset: str
    start_price: Decimal
    tick_size: Decimal
    price_precision: int
    step_size: Decimal
    quantity_precision: int
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    # Relative size of a 1m move in the "range" regime: keeps XRP jumpier than BTC.
    vol_scale: float = 1.0

    def fmt_price(self, value: Decimal) -> str:
        return _fixed(value, self.price_precision)

    def fmt_qty(self, value: Decimal) -> str:
        return _fixed(value, self.quantity_precision)

    def round_price(self, value: Decimal, rounding: str = ROUND_HALF_EVEN) -> Decimal:
        return (value / self.tick_size).to_integral_value(rounding=rounding) * self.tick_size

    def check_price(self, value: Decimal) -> None:
        if _decimals(value) > self.price_precision:
            raise bad_precision()
        if value % self.tick_size != 0:
            raise ApiError(-4014, "Price not increased by tick size.")

    def check_qty(self, value: Decimal, *, market: bool) -> None:
        if _decimals(value) > self.quantity_precision:
            raise bad_precision()
        if value <= 0:
            raise ApiError(-4003, "Quantity less than or equal to zero.")
        if value % self.step_size != 0:
            raise ApiError(-4023, "Quantity not increased by step size.")
        if value < self.min_qty:
            raise ApiError(-4004, "Quantity less than minimum quantity.")
        if value > (self.market_max_qty if market else self.max_qty):
            raise ApiError(-4005, "Quantity greater than maximum quantity.")

    def exchange_info(self) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "pair": self.symbol,
            "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000,
            "onboardDate": 1569398400000,
            "status": "TRADING",
            "maintMarginPercent": "2.5000",
            "requiredMarginPercent": "5.0000",
            "baseAsset": self.base_asset,
            "quoteAsset": "USDT",
            "marginAsset": "USDT",
            "pricePrecision": self.price_precision,
            "quantityPrecision": self.quantity_precision,
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            "underlyingType": "COIN",
            "underlyingSubType": [],
            "settlePlan": 0,
            "triggerProtect": str(TRIGGER_PROTECT),
            "liquidationFee": f"{LIQUIDATION_FEE:f}",
            "marketTakeBound": "0.05",
            "maxMoveOrderLimit": 10000,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": str(self.tick_size),
                    "maxPrice": "10000000",
                    "tickSize": str(self.tick_size),
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": str(self.min_qty),
                    "maxQty": str(self.max_qty),
                    "stepSize": str(self.step_size),
                },
                {
                    "filterType": "MARKET_LOT_SIZE",
                    "minQty": str(self.min_qty),
                    "maxQty": str(self.market_max_qty),
                    "stepSize": str(self.step_size),
                },
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
                {"filterType": "MIN_NOTIONAL", "notional": str(self.min_notional)},
                {
                    "filterType": "PERCENT_PRICE",
                    "multiplierUp": "1.0500",
                    "multiplierDown": "0.9500",
                    "multiplierDecimal": "4",
                },
            ],
            "orderTypes": [
                "LIMIT",
                "MARKET",
                "STOP",
                "STOP_MARKET",
                "TAKE_PROFIT",
                "TAKE_PROFIT_MARKET",
                "TRAILING_STOP_MARKET",
            ],
            "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
        }


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _fixed(value: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding=ROUND_DOWN):f}"


def _spec(
    symbol: str,
    base: str,
    price: str,
    tick: str,
    pp: int,
    step: str,
    qp: int,
    max_qty: str,
    market_max: str,
    notional: str,
    vol: float,
) -> SymbolSpec:
    return SymbolSpec(
        symbol=symbol,
        base_asset=base,
        start_price=Decimal(price),
        tick_size=Decimal(tick),
        price_precision=pp,
        step_size=Decimal(step),
        quantity_precision=qp,
        min_qty=Decimal(step),
        max_qty=Decimal(max_qty),
        market_max_qty=Decimal(market_max),
        min_notional=Decimal(notional),
        vol_scale=vol,
    )


SYMBOLS: dict[str, SymbolSpec] = {
    s.symbol: s
    for s in (
        _spec("BTCUSDT", "BTC", "65000.00", "0.10", 2, "0.001", 3, "1000", "120", "100", 1.0),
        _spec("ETHUSDT", "ETH", "3400.00", "0.01", 2, "0.001", 3, "10000", "2000", "20", 1.3),
        _spec("SOLUSDT", "SOL", "150.0000", "0.0100", 4, "1", 0, "1000000", "5000", "5", 1.8),
        _spec("BNBUSDT", "BNB", "600.000", "0.010", 3, "0.01", 2, "10000", "2000", "5", 1.2),
        _spec("XRPUSDT", "XRP", "0.6000", "0.0001", 4, "0.1", 1, "10000000", "2000000", "5", 1.6),
        # Listed for many-symbol runs (bench/scale.py); the desk trades TRADING_SYMBOLS only.
        _spec("ADAUSDT", "ADA", "0.35000", "0.00010", 5, "1", 0, "10000000", "3000000", "5", 1.5),
        _spec("DOGEUSDT", "DOGE", "0.12000", "0.00001", 5, "1", 0, "10000000", "5900000", "5", 2.0),
        _spec("AVAXUSDT", "AVAX", "27.0000", "0.0010", 4, "1", 0, "1000000", "20000", "5", 1.7),
        _spec("LINKUSDT", "LINK", "12.000", "0.001", 3, "0.01", 2, "100000", "50000", "20", 1.6),
        _spec("DOTUSDT", "DOT", "4.500", "0.001", 3, "0.1", 1, "1000000", "200000", "5", 1.6),
        _spec("LTCUSDT", "LTC", "70.00", "0.01", 2, "0.001", 3, "10000", "5000", "20", 1.3),
        _spec("TRXUSDT", "TRX", "0.16000", "0.00001", 5, "1", 0, "10000000", "5000000", "5", 1.0),
        _spec("BCHUSDT", "BCH", "350.00", "0.01", 2, "0.001", 3, "10000", "2000", "20", 1.3),
        _spec("NEARUSDT", "NEAR", "5.0000", "0.0010", 4, "1", 0, "1000000", "100000", "5", 1.8),
        _spec("ATOMUSDT", "ATOM", "4.800", "0.001", 3, "0.01", 2, "100000", "50000", "5", 1.5),
        _spec("UNIUSDT", "UNI", "7.5000", "0.0010", 4, "1", 0, "1000000", "50000", "5", 1.7),
        _spec("FILUSDT", "FIL", "3.800", "0.001", 3, "0.1", 1, "1000000", "100000", "5", 1.7),
        _spec("APTUSDT", "APT", "9.00000", "0.00010", 5, "0.1", 1, "1000000", "50000", "5", 1.8),
        _spec(
            "ARBUSDT", "ARB", "0.600000", "0.000100", 6, "0.1", 1, "10000000", "1000000", "5", 1.8
        ),
        _spec(
            "OPUSDT", "OP", "1.7000000", "0.0001000", 7, "0.1", 1, "10000000", "300000", "5", 1.9
        ),
    )
}


def get_spec(symbol: str | None) -> SymbolSpec:
    if not symbol:
        from .errors import missing

        raise missing("symbol")
    spec = SYMBOLS.get(symbol)
    if spec is None:
        raise invalid_symbol()
    return spec
