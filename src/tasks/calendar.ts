/**
 * Calendar facts a forecaster may read about the day it predicts (all known in advance): where the day
 * falls in the year, and whether it is a US holiday. Births, like hospital admissions or retail sales,
 * drop sharply on holidays (scheduled inductions and caesareans move to other days); no amount of
 * history tells a model that next Thursday is Thanksgiving, but the calendar does. Platform-free.
 */

const DAY_MS = 86400000;

/** Milliseconds (UTC) of an ISO date "YYYY-MM-DD" (anything after the first 10 characters is ignored). */
export function parseDate(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  const t = m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : NaN;
  // Date.UTC rolls "2014-02-30" over to March; a round trip catches it.
  if (!m || new Date(t).toISOString().slice(0, 10) !== date.slice(0, 10)) throw new Error(`'${date}' is not a date (expected YYYY-MM-DD)`);
  return t;
}

export const addDays = (date: string, days: number): string => new Date(parseDate(date) + days * DAY_MS).toISOString().slice(0, 10);

/** Fraction of the year elapsed at the start of the day, in years of 365.25 days. */
export function yearPhase(date: string): number {
  const t = parseDate(date), y = new Date(t).getUTCFullYear();
  return (t - Date.UTC(y, 0, 1)) / DAY_MS / 365.25;
}

/** The kinds of holiday told apart (each its own input): their effects differ by an order of magnitude. */
export const HOLIDAYS = [
  "New Year's Day", 'Memorial Day', 'Independence Day', 'Labor Day', 'Thanksgiving', 'day after Thanksgiving',
  'Christmas Eve', 'Christmas Day', "New Year's Eve", 'other federal holiday',
] as const;

/** The n-th (1-based; −1 = last) given weekday (0 = Sunday) of a month (0-based), as a day of the month. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  if (n > 0) {
    const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
    return 1 + ((weekday - first + 7) % 7) + 7 * (n - 1);
  }
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const last = new Date(Date.UTC(year, month, lastDay)).getUTCDay();
  return lastDay - ((last - weekday + 7) % 7);
}

/**
 * The kind of US holiday of a date (index into HOLIDAYS), or −1. A fixed-date federal holiday that falls
 * on a weekend is observed on the Friday before or the Monday after, and both days count.
 */
export function usHoliday(date: string): number {
  const t = parseDate(date), d = new Date(t);
  const y = d.getUTCFullYear(), m = d.getUTCMonth(), day = d.getUTCDate();
  const is = (mm: number, dd: number): boolean => m === mm && day === dd;
  // A weekend fixed-date holiday's observed weekday: Saturday → Friday before, Sunday → Monday after.
  const observed = (mm: number, dd: number): boolean => {
    for (const yy of [y - 1, y, y + 1]) {
      const h = Date.UTC(yy, mm, dd), wd = new Date(h).getUTCDay();
      const obs = wd === 6 ? h - DAY_MS : wd === 0 ? h + DAY_MS : h;
      if (obs === t) return true;
    }
    return false;
  };
  if (is(0, 1) || observed(0, 1)) return 0;
  if (m === 4 && day === nthWeekday(y, 4, 1, -1)) return 1;
  if (is(6, 4) || observed(6, 4)) return 2;
  if (m === 8 && day === nthWeekday(y, 8, 1, 1)) return 3;
  const thanks = nthWeekday(y, 10, 4, 4);
  if (m === 10 && day === thanks) return 4;
  if (m === 10 && day === thanks + 1) return 5;
  if (is(11, 24)) return 6;
  if (is(11, 25) || observed(11, 25)) return 7;
  if (is(11, 31)) return 8;
  const minor = (m === 0 && day === nthWeekday(y, 0, 1, 3)) // Martin Luther King Jr. Day
    || (m === 1 && day === nthWeekday(y, 1, 1, 3)) // Washington's Birthday
    || (m === 9 && day === nthWeekday(y, 9, 1, 2)) // Columbus Day
    || is(10, 11) || observed(10, 11); // Veterans Day
  return minor ? 9 : -1;
}
