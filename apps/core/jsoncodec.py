"""JSON for Redis values and stream entries: Decimals travel as strings, never floats or reprs."""

import json
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from apps.core.money import money_str


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money_str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default, separators=(",", ":"), sort_keys=True)


def scalar_dumps(value: Any) -> str:
    """dumps() of one scalar, without the encoder's set-up: a closed trade's stream entry is
    fifteen of these, thousands of entries a poll after a backlog. Same text as dumps()."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is Decimal:
        return f'"{money_str(value)}"'
    if kind is int:
        return str(value)
    if kind is str:
        return encode_basestring_ascii(value)  # what json.dumps writes for a str
    return dumps(value)  # bools, anything else


def loads(text: str | bytes) -> Any:
    return json.loads(text)
