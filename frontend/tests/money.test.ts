import { describe, expect, it } from "vitest";
import { MINUS, formatBalance, formatMoney, formatPct, formatPlain, formatPrice, formatQty, roundDecimal, signClass } from "../src/lib/money";

describe("formatMoney", () => {
  it.each([
    ["12.34", "+12.34 USDT"],
    ["-5", `${MINUS}5.00 USDT`],
    ["-5.00", `${MINUS}5.00 USDT`],
    ["0", "0.00 USDT"],
    ["0E-8", "0.00 USDT"],
    ["-0.00000000", "0.00 USDT"],
    ["-0.004", "0.00 USDT"],
    ["-0.005", `${MINUS}0.01 USDT`],
    ["0.005", "+0.01 USDT"],
    ["1234567.891", "+1,234,567.89 USDT"],
    ["999.995", "+1,000.00 USDT"],
    ["-999.994999", `${MINUS}999.99 USDT`],
    ["1E+3", "+1,000.00 USDT"],
    ["1.5E-1", "+0.15 USDT"],
    [".5", "+0.50 USDT"],
    ["+3", "+3.00 USDT"],
  ])("%s -> %s", (raw, shown) => {
    expect(formatMoney(raw)).toBe(shown);
  });

  it("keeps precision a float would lose", () => {
    // 0.1 + 0.2 style errors and beyond-2^53 integers must not leak into the text
    expect(formatMoney("9007199254740993.005")).toBe("+9,007,199,254,740,993.01 USDT");
    expect(formatMoney("0.285")).toBe("+0.29 USDT"); // Number(0.285).toFixed(2) === "0.28"
  });

  it("shows a dash for missing or malformed values", () => {
    for (const bad of [null, undefined, "", "abc", "1.2.3", "--1", {}, "NaN"]) {
      expect(formatMoney(bad)).toBe("—");
    }
  });

  it("balances carry no plus sign, but a minus", () => {
    expect(formatBalance("10000.5")).toBe("10,000.50 USDT");
    expect(formatBalance("-3.2")).toBe(`${MINUS}3.20 USDT`);
  });

  it("percentages and plain prices", () => {
    expect(formatPct("1.234")).toBe("+1.23 %");
    expect(formatPct("-0.5")).toBe(`${MINUS}0.50 %`);
    expect(formatPlain("67123.40")).toBe("67,123.40");
    expect(formatPlain("0.001")).toBe("0.001");
  });

  it("sign classes come from the digits", () => {
    expect(signClass("-0.01")).toBe("neg");
    expect(signClass("0.0000")).toBe("zero");
    expect(signClass("3")).toBe("pos");
  });

  it("rounds half away from zero like Decimal ROUND_HALF_UP", () => {
    expect(roundDecimal("2.345", 2)?.text).toBe("2.35");
    expect(roundDecimal("-2.345", 2)).toEqual({ negative: true, zero: false, text: "2.35" });
    expect(roundDecimal("0.0049", 2)?.zero).toBe(true);
  });
});

describe("formatPrice", () => {
  it.each([
    ["60000.00000000", "60,000.00"],
    ["3010.50000000", "3,010.50"],
    ["0.00012300", "0.000123"],
    ["1.23456789", "1.23456789"],
    ["5", "5.00"],
    ["0E-8", "0.00"],
  ])("%s -> %s", (raw, shown) => {
    expect(formatPrice(raw)).toBe(shown);
  });
});

describe("formatQty: one way to show a quantity", () => {
  it("drops trailing zeros, whatever precision the API sent", () => {
    expect(formatQty("0.0020000000")).toBe("0.002");
    expect(formatQty("0.002")).toBe("0.002");
    expect(formatQty("-0.5000000000")).toBe(`${MINUS}0.5`);
    expect(formatQty("3.0000000000")).toBe("3");
    expect(formatQty("0E-10")).toBe("0");
    expect(formatQty("1500.25")).toBe("1,500.25");
    expect(formatQty(null)).toBe("—");
  });
});
