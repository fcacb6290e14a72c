"""Redis names of the market context (JSON values, like apps.core.keys)."""

STREAM_KLINE = "quantum:stream:market.kline:{symbol}"  # one entry per closed kline, id = open ms
STREAM_MARK = "quantum:stream:market.mark"  # mark, index, funding rate per symbol per publish
MARK = "quantum:market:mark:{symbol}"  # hash: the latest mark entry
BASIS = "quantum:market:basis:{symbol}"  # hash: price, reference price, basis, divergence_bps
ALARM = "quantum:market:alarm:{symbol}"  # JSON of the open cross-exchange alarm, if any


def stream_kline(symbol: str) -> str:
    return STREAM_KLINE.format(symbol=symbol.upper())


def mark(symbol: str) -> str:
    return MARK.format(symbol=symbol.upper())


def basis(symbol: str) -> str:
    return BASIS.format(symbol=symbol.upper())


def alarm(symbol: str) -> str:
    return ALARM.format(symbol=symbol.upper())
