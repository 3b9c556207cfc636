/**
 * ISO 4217 minor-unit exponents that are not 2. Every other active code that Node's `Intl`
 * knows has two decimals; codes without a minor unit at all (metals, funds, `XXX`) are left
 * out, so no amount in them can be read.
 */
const EXPONENT_NOT_2: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

const NO_MINOR_UNIT = new Set([
  "XAG",
  "XAU",
  "XBA",
  "XBB",
  "XBC",
  "XBD",
  "XDR",
  "XPD",
  "XPT",
  "XSU",
  "XTS",
  "XUA",
  "XXX",
]);

let known: ReadonlySet<string> | undefined;

/** The currency's ISO 4217 exponent, or `undefined` for a currency paysync cannot place. */
export function currencyExponent(currency: string): number | undefined {
  known ??= new Set(Intl.supportedValuesOf("currency"));
  if (!known.has(currency) || NO_MINOR_UNIT.has(currency)) return undefined;
  return EXPONENT_NOT_2[currency] ?? 2;
}

/**
 * A gateway amount in major units (`726.24` US dollars) as an exact integer of minor units
 * (`72624` cents), or a sentence saying why it cannot be one. No float arithmetic: the
 * number's shortest decimal form (what `String` gives, and what the JSON most likely held)
 * is shifted as text, so `0.29` is 29 and never 28.999….
 */
export function toMinorUnits(amount: unknown, currency: string): number | string {
  const exponent = currencyExponent(currency);
  if (exponent === undefined)
    return `currency ${JSON.stringify(currency)} is not one paysync can place`;
  if (typeof amount !== "number" || !Number.isFinite(amount) || amount < 0) {
    return `amount must be a non-negative number, got ${JSON.stringify(amount)}`;
  }
  const decimal = plainDecimal(amount);
  const [whole = "0", fraction = ""] = decimal.split(".");
  if (fraction.length > exponent) {
    return `amount ${decimal} has more decimals than ${currency} allows (${exponent})`;
  }
  const minor = Number(`${whole}${fraction.padEnd(exponent, "0")}`);
  if (!Number.isSafeInteger(minor)) return `amount ${decimal} ${currency} is too large`;
  return minor;
}

/** `String(n)` without exponent notation: `1e-7` is `0.0000001`, `1e21` is `1000…`. */
function plainDecimal(n: number): string {
  const text = String(n);
  const match = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (match === null) return text;
  const digits = `${match[1]}${match[2] ?? ""}`;
  const point = 1 + Number(match[3]);
  if (point <= 0) return `0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return digits.padEnd(point, "0");
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}
