// Strict ISO-8601 instants. Date.parse alone is too forgiving: it rolls 02-30 over into
// March, reads a missing offset in the machine's zone and accepts non-ISO formats, any of
// which would silently move a window edge or a payment across the grace period.

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch milliseconds of a full ISO-8601 date-time with offset, or undefined. */
export function parseIsoTimestamp(value: string): number | undefined {
  return parseCanonical(value) ?? parseAnyIso(value);
}

/** The general reading: every layout ISO_DATE_TIME admits. */
export function parseAnyIso(value: string): number | undefined {
  const match = ISO_DATE_TIME.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  if (!isCalendarDate(Number(year), Number(month), Number(day))) return undefined;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second ?? "0") > 59) {
    return undefined;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

// Gateways send one layout nearly always, `toISOString()`'s: `2026-11-24T01:20:00.000Z`.
// Read by hand, with the day's start remembered (a window's payments share a few days), it
// costs a fraction of the regex and Date.parse, which a million payments pay a million times.
// The day as YYYYMMDD, compared as a number: slicing it out as a string was one more
// allocation per payment.
let cachedDay = -1;
let cachedDayMs = 0;

/** `YYYY-MM-DDTHH:MM:SS.mmmZ` with a year from 1000 on, else undefined (read the long way). */
function parseCanonical(value: string): number | undefined {
  if (value.length !== 24 || value.charCodeAt(23) !== 90 /* Z */) return undefined;
  if (
    value.charCodeAt(4) !== 45 /* - */ ||
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 84 /* T */ ||
    value.charCodeAt(13) !== 58 /* : */ ||
    value.charCodeAt(16) !== 58 ||
    value.charCodeAt(19) !== 46 /* . */
  ) {
    return undefined;
  }
  const hour = twoDigits(value, 11);
  const minute = twoDigits(value, 14);
  const second = twoDigits(value, 17);
  const milli = twoDigits(value, 20) * 10 + digit(value, 22);
  const inRange = hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0;
  if (!(inRange && second <= 59 && milli >= 0)) return undefined;
  const year = twoDigits(value, 0) * 100 + twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const date = twoDigits(value, 8);
  // NaN (a non-digit) never equals the cached day, and fails the checks below.
  const day = (year * 100 + month) * 100 + date;
  if (day !== cachedDay) {
    // Date.UTC reads years below 100 as 19xx: those take the long way.
    if (!(year >= 1000 && isCalendarDate(year, month, date))) {
      return undefined;
    }
    cachedDay = day;
    cachedDayMs = Date.UTC(year, month - 1, date);
  }
  return cachedDayMs + ((hour * 60 + minute) * 60 + second) * 1000 + milli;
}

/** 0-9, or NaN for anything else, so that any sum holding it fails every range check. */
function digit(value: string, at: number): number {
  const code = value.charCodeAt(at) - 48;
  return code >= 0 && code <= 9 ? code : Number.NaN;
}

function twoDigits(value: string, at: number): number {
  return digit(value, at) * 10 + digit(value, at + 1);
}
