import { describe, expect, it } from "vitest";
import { currencyExponent, toMinorUnits } from "../../lambda/util/minor-units.ts";

describe("toMinorUnits", () => {
  it("turns major units into an exact integer of minor units", () => {
    expect(toMinorUnits(726.24, "USD")).toBe(72624);
    expect(toMinorUnits(15000, "KRW")).toBe(15000);
    expect(toMinorUnits(1200, "JPY")).toBe(1200);
    expect(toMinorUnits(1.234, "KWD")).toBe(1234);
    expect(toMinorUnits(0, "USD")).toBe(0);
  });

  it("is exact where float arithmetic is off by one", () => {
    // 0.29 * 100 is 28.999999999999996, and 1.005 * 100 is 100.49999999999999.
    expect(toMinorUnits(0.29, "USD")).toBe(29);
    expect(toMinorUnits(4.35, "USD")).toBe(435);
    expect(toMinorUnits(1.15, "EUR")).toBe(115);
    expect(toMinorUnits(664.98, "USD")).toBe(66498);
    for (let cents = 0; cents < 100_000; cents += 7) {
      expect(toMinorUnits(cents / 100, "USD")).toBe(cents);
    }
  });

  it("refuses more decimals than the currency has", () => {
    expect(toMinorUnits(726.245, "USD")).toMatch(/more decimals than USD allows \(2\)/);
    expect(toMinorUnits(100.5, "KRW")).toMatch(/more decimals than KRW allows \(0\)/);
    expect(toMinorUnits(1e-7, "USD")).toMatch(/0\.0000001/);
  });

  it("refuses a currency it cannot place, and amounts that are not non-negative numbers", () => {
    expect(toMinorUnits(1, "MUSD")).toMatch(/MUSD/);
    expect(toMinorUnits(1, "XXX")).toMatch(/XXX/);
    expect(toMinorUnits(1, "XAU")).toMatch(/XAU/);
    expect(toMinorUnits(-1, "USD")).toMatch(/non-negative/);
    expect(toMinorUnits("726.24", "USD")).toMatch(/non-negative number/);
    expect(toMinorUnits(Number.NaN, "USD")).toMatch(/non-negative/);
    expect(toMinorUnits(1e300, "USD")).toMatch(/too large/);
  });

  it("knows the ISO 4217 exponents that are not 2", () => {
    expect(currencyExponent("KRW")).toBe(0);
    expect(currencyExponent("JPY")).toBe(0);
    expect(currencyExponent("USD")).toBe(2);
    expect(currencyExponent("BHD")).toBe(3);
    expect(currencyExponent("TND")).toBe(3);
    expect(currencyExponent("usd")).toBeUndefined();
  });
});
