"""Money, prices and quantities are Decimal, parsed from the exchange's strings, never floats."""

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation

USDT_CENTS = Decimal("0.01")


class BadNumber(ValueError):
    """A value that should be a finite decimal number is not."""


def to_decimal(value: object, *, field: str = "value") -> Decimal:
    """Parse an exchange or user value into a finite Decimal; floats are refused, not rounded."""
    if isinstance(value, bool) or isinstance(value, float):
        raise BadNumber(f"{field}: {value!r} is not a decimal string")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, (int, str)):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise BadNumber(f"{field}: {value!r} is not a number") from None
    else:
        raise BadNumber(f"{field}: {value!r} is not a number")
    if not number.is_finite():
        raise BadNumber(f"{field}: {value!r} is not finite")
    return number


def quantize_step(value: Decimal, step: Decimal, *, rounding: str = ROUND_DOWN) -> Decimal:
    """Round to a multiple of the symbol's tick or step size (down by default: never oversize)."""
    if step <= 0:
        return value
    return (value / step).to_integral_value(rounding=rounding) * step


def money_str(value: Decimal, *, places: Decimal | None = None) -> str:
    """A Decimal as the wire string: plain notation, never an exponent."""
    if places is not None:
        value = value.quantize(places, rounding=ROUND_HALF_EVEN)
    text = format(value, "f")
    return "0" if text in ("-0", "") else text
