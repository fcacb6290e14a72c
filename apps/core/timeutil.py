"""UTC everywhere: ms since the epoch on the wire (like Binance), aware datetimes inside."""

from datetime import UTC, datetime

DAY_MS = 86_400_000  # one UTC day in ms: a ledger row's day is time_ms // DAY_MS


def utcnow() -> datetime:
    return datetime.now(tz=UTC)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the desk works in aware UTC datetimes only")
    return int(moment.timestamp() * 1000)
