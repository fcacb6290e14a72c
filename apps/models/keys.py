"""Redis names of the models context (JSON values, like apps.core.keys)."""

STREAM_META_REGIME = "quantum:stream:meta.regime"  # one entry per symbol per detection (old name)
REGIME_LATEST = "quantum:meta:regime:{symbol}"  # hash: the latest reading of a symbol
CONSENSUS_SIGNAL = "quantum:consensus:signal"  # hash: symbol -> the ensemble's last signal (JSON)


def regime_latest(symbol: str) -> str:
    return REGIME_LATEST.format(symbol=symbol.upper())
