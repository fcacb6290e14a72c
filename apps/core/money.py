"""Money, prices and quantities are Decimal, parsed from the exchange's strings, never floats."""

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation

USDT_CENTS = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
# One hundred-millionth: USDT's precision, the desk's money and price precision (q8) and the unit
# of the ledger's exact integer amounts (IncomeRow.amount_e8 = amount / E8).
E8 = Decimal("0.00000001")
# 1 / E8 as an integer Decimal: dividing by it keeps the integer's own exponent, so 10**8 units
# read back as Decimal("1"), exactly what the ledger's readers have always produced.
_E8_PER_UNIT = Decimal(100_000_000)


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


def q8(value: Decimal) -> Decimal:
    """Money and prices as the desk keeps them: 8 places, half-even (USDT's precision)."""
    return value.quantize(E8, rounding=ROUND_HALF_EVEN)


def to_e8(value: Decimal) -> int:
    """An amount as the ledger's exact integer of E8 units (rounded to 8 places first)."""
    return int(q8(value) * _E8_PER_UNIT)


def from_e8(units: int | None) -> Decimal:
    """The ledger's integer of E8 units (None: no rows, 0) as a Decimal amount."""
    return Decimal(units or 0) / _E8_PER_UNIT


def money8_str(value: Decimal) -> str:
    """Money, prices and percentages as the API and the live state show them: always 8 places
    (q8), and never "-0.00000000" (a loss rounded to nothing is no loss)."""
    text = format(q8(value), "f")
    return "0.00000000" if text == "-0.00000000" else text


def qty_str(value: Decimal) -> str:
    """A quantity as the API shows it: no trailing zeros, plain notation, "0" for none."""
    return format(value.normalize(), "f") if value else "0"
