"""JSON for Redis values and stream entries: Decimals travel as strings, never floats or reprs."""

import json
from datetime import datetime
from decimal import Decimal
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


def loads(text: str | bytes) -> Any:
    return json.loads(text)
