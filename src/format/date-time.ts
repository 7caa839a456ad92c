const DATE = /^(\d\d\d\d)-(\d\d)-(\d\d)$/;
const TIME = /^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)?$/i;
// Any white space separates date and time, as in the validator Alga uses.
const DATE_TIME_SEPARATOR = /t|\s/i;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= (month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

function isTimeWithZone(text: string): boolean {
  const m = TIME.exec(text);
  if (!m || m[4] === undefined) return false;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  const second = Number(m[3]);
  const sign = m[5] === "-" ? -1 : 1;
  const offsetHours = Number(m[6] ?? 0);
  const offsetMinutes = Number(m[7] ?? 0);
  if (offsetHours > 23 || offsetMinutes > 59) return false;
  if (hour <= 23 && minute <= 59 && second < 60) return true;
  // A leap second: accepted when the time is 23:59 UTC, computed exactly as ajv-formats does.
  const utcMinute = minute - offsetMinutes * sign;
  const utcHour = hour - offsetHours * sign - (utcMinute < 0 ? 1 : 0);
  return (utcHour === 23 || utcHour === -1) && (utcMinute === 59 || utcMinute === -1) && second < 61;
}

/**
 * True when `value` is a `date-time` as JSON Schema's `"format": "date-time"` is checked by
 * ajv-formats (full mode), the validator behind Alga's bundle schema: a real calendar date, a
 * time with seconds, a time zone (`Z`, `+05:30`, `+0530` or `+05`), date and time separated by
 * `T` or white space, and a leap second (`:60`) only at 23:59 UTC. Matching it exactly keeps our
 * verdict on `exportedAt` equal to Alga's.
 *
 * @example isRfc3339DateTime("2026-01-26T00:00:00.000Z") // true
 */
export function isRfc3339DateTime(value: string): boolean {
  const parts = value.split(DATE_TIME_SEPARATOR);
  return parts.length === 2 && isDate(parts[0] as string) && isTimeWithZone(parts[1] as string);
}
