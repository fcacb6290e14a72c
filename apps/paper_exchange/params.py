"""Request parameters as Binance parses them: strings in, typed values or -1102/-1130 out."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .errors import ApiError, missing


class Params:
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs
        self.values: dict[str, str] = {}
        for key, value in pairs:
            self.values[key] = value

    def str(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise missing(name)
            return None
        return value

    def int(self, name: str, *, required: bool = False) -> int | None:
        value = self.str(name, required=required)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise missing(name) from None

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.str(name, required=required)
        if value is None:
            return None
        try:
            number = Decimal(value)  # python-binance may send `1e-05`: Decimal reads it
        except InvalidOperation:
            raise missing(name) from None
        if not number.is_finite():
            raise missing(name)
        return number

    def bool(self, name: str) -> bool:
        value = self.str(name)
        if value is None:
            return False
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise ApiError(-1130, f"Data sent for parameter '{name}' is not valid.")
        return lowered == "true"

    def limit(self, default: int, maximum: int) -> int:
        value = self.int("limit")
        if value is None:
            return default
        if not 1 <= value <= maximum:
            raise ApiError(-1130, "Data sent for parameter 'limit' is not valid.")
        return value
