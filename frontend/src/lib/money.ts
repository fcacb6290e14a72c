/**
 * Money on the wire is a decimal STRING ("-5.0000", "12.3456", "0E-8"). It is never parsed into
 * a float for arithmetic: these helpers round and format the digits as text (ROUND_HALF_UP,
 * like Python's Decimal.quantize(..., ROUND_HALF_UP)), so what the page shows is exactly what
 * the API said, to the cent.
 */

export const MINUS = "\u2212"; // typographic minus: "−5.00 USDT"

export interface ParsedDecimal {
  negative: boolean;
  /** digits without leading zeros ("" for zero) */
  digits: string;
  /** number of digits after the decimal point (may be negative for "1E+3") */
  scale: number;
}

const DECIMAL_RE = /^\s*([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

export function parseDecimal(value: unknown): ParsedDecimal | null {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return null;
    value = String(value);
  }
  if (typeof value !== "string") return null;
  const m = DECIMAL_RE.exec(value);
  if (!m) return null;
  const [, sign, intPart = "", fracPart = "", exp] = m;
  if (intPart === "" && fracPart === "") return null;
  let digits = (intPart + fracPart).replace(/^0+/, "");
  let scale = fracPart.length - (exp ? parseInt(exp, 10) : 0);
  if (digits === "") {
    digits = "";
    scale = 0;
  }
  return { negative: sign === "-" && digits !== "", digits, scale };
}

/** Round to `places` decimals, half away from zero. Returns the sign and the fixed-point text. */
export function roundDecimal(
  value: unknown,
  places: number,
): { negative: boolean; zero: boolean; text: string } | null {
  const d = parseDecimal(value);
  if (!d) return null;
  let digits = d.digits;
  let scale = d.scale;
  if (scale < places) {
    digits = digits + "0".repeat(places - scale);
    scale = places;
  }
  if (scale > places) {
    const cut = scale - places;
    const keep = digits.length > cut ? digits.slice(0, digits.length - cut) : "";
    const dropped = digits.length >= cut ? digits.slice(digits.length - cut) : digits.padStart(cut, "0");
    digits = keep;
    if (dropped[0] >= "5") digits = incrementDigits(digits);
    scale = places;
  }
  digits = digits.replace(/^0+/, "");
  const zero = digits === "";
  const padded = digits.padStart(places + 1, "0");
  const intPart = padded.slice(0, padded.length - places);
  const fracPart = places > 0 ? padded.slice(padded.length - places) : "";
  const text = groupThousands(intPart) + (places > 0 ? "." + fracPart : "");
  return { negative: d.negative && !zero, zero, text };
}

function incrementDigits(digits: string): string {
  const arr = (digits || "0").split("");
  let i = arr.length - 1;
  while (i >= 0) {
    if (arr[i] === "9") {
      arr[i] = "0";
      i -= 1;
    } else {
      arr[i] = String(Number(arr[i]) + 1);
      return arr.join("");
    }
  }
  return "1" + arr.join("");
}

export function groupThousands(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export interface MoneyOptions {
  /** decimals shown; USDT money uses 2 */
  places?: number;
  /** prefix "+" for positive amounts (PnL); balances are shown without it */
  sign?: boolean;
  unit?: string;
}

/** "+12.34 USDT", "−5.00 USDT", "0.00 USDT"; "—" when the value is missing or not a number. */
export function formatMoney(value: unknown, opts: MoneyOptions = {}): string {
  const { places = 2, sign = true, unit = "USDT" } = opts;
  const r = roundDecimal(value, places);
  if (!r) return "—";
  const prefix = r.negative ? MINUS : sign && !r.zero ? "+" : "";
  return `${prefix}${r.text}${unit ? " " + unit : ""}`;
}

/** A balance: no plus sign, a minus when negative. */
export function formatBalance(value: unknown, places = 2): string {
  return formatMoney(value, { places, sign: false });
}

/** "+1.23 %" */
export function formatPct(value: unknown, places = 2): string {
  return formatMoney(value, { places, sign: true, unit: "%" });
}

/** A price or quantity as sent, grouped, no rounding beyond what the API sent. */
export function formatPlain(value: unknown): string {
  const d = parseDecimal(value);
  if (!d) return "—";
  const places = Math.max(d.scale, 0);
  return formatMoney(value, { places, sign: false, unit: "" });
}

/** A price: the API's digits without trailing zeros beyond `minPlaces` ("60000.00000000" ->
 * "60,000.00", "3010.50000000" -> "3,010.50", "0.00012300" -> "0.000123"). */
export function formatPrice(value: unknown, minPlaces = 2): string {
  const d = parseDecimal(value);
  if (!d) return "—";
  const text = formatMoney(value, { places: Math.max(d.scale, minPlaces), sign: false, unit: "" });
  const dot = text.indexOf(".");
  if (dot < 0) return text;
  let end = text.length;
  while (end > dot + 1 + minPlaces && text[end - 1] === "0") end -= 1;
  return text.slice(0, end);
}

/** A quantity, the one way every table shows it: the API's digits without trailing zeros,
 * grouped ("0.0020000000" and "0.002" -> "0.002", "-0.5000000000" -> "−0.5", "0E-10" -> "0"). */
export function formatQty(value: unknown): string {
  const text = formatPrice(value, 0);
  return text.endsWith(".") ? text.slice(0, -1) : text;
}

/** -1, 0 or 1 from the decimal string's digits (no float arithmetic). */
export function signOf(value: unknown): -1 | 0 | 1 {
  const d = parseDecimal(value);
  if (!d || d.digits === "") return 0;
  return d.negative ? -1 : 1;
}

/** CSS class for a signed figure. */
export function signClass(value: unknown): "pos" | "neg" | "zero" {
  const s = signOf(value);
  return s > 0 ? "pos" : s < 0 ? "neg" : "zero";
}

/** For charts only: Number() of the decimal string, NaN-safe (null when missing). */
export function chartNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
