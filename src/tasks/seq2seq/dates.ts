/**
 * The dates task: a date as people write it, in one of many formats, to be rewritten as ISO
 * YYYY-MM-DD. Numeric day-month orders follow one convention per separator ("03/04/2021" is US
 * month/day, "3.4.2021" European day.month), so every source has exactly one answer. Platform-free.
 */
import type { Rng } from '../../util/rng.js';

export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
/** Years drawn (uniformly by day). */
export const FIRST_YEAR = 1950, LAST_YEAR = 2049;

export interface Day { y: number; m: number; d: number; weekday: number }

const DAY_MS = 86400000;
const pad2 = (n: number): string => String(n).padStart(2, '0');
const short = (s: string): string => s.slice(0, 3);

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, ... */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}

export const iso = (t: Day): string => `${t.y}-${pad2(t.m)}-${pad2(t.d)}`;

/** A day drawn uniformly from FIRST_YEAR-01-01 to LAST_YEAR-12-31. */
export function randomDay(rng: Rng): Day {
  const first = Date.UTC(FIRST_YEAR, 0, 1), days = (Date.UTC(LAST_YEAR + 1, 0, 1) - first) / DAY_MS;
  const date = new Date(first + rng.int(days) * DAY_MS);
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate(), weekday: date.getUTCDay() };
}

/** Every way the task writes a day. */
export const DATE_FORMATS: ((t: Day) => string)[] = [
  (t) => `${t.d} ${MONTHS[t.m - 1]} ${t.y}`,                                   // 3 March 2021
  (t) => `${pad2(t.d)} ${MONTHS[t.m - 1]} ${t.y}`,                             // 03 March 2021
  (t) => `${t.d} ${short(MONTHS[t.m - 1])} ${t.y}`,                            // 3 Mar 2021
  (t) => `${MONTHS[t.m - 1]} ${t.d}, ${t.y}`,                                  // March 3, 2021
  (t) => `${short(MONTHS[t.m - 1])} ${t.d}, ${t.y}`,                           // Mar 3, 2021
  (t) => `${MONTHS[t.m - 1]} ${ordinal(t.d)}, ${t.y}`,                         // March 3rd, 2021
  (t) => `${WEEKDAYS[t.weekday]}, ${MONTHS[t.m - 1]} ${ordinal(t.d)} ${t.y}`, // Wednesday, March 3rd 2021
  (t) => `${short(WEEKDAYS[t.weekday])}, ${t.d} ${short(MONTHS[t.m - 1])} ${t.y}`, // Wed, 3 Mar 2021
  (t) => `the ${ordinal(t.d)} of ${MONTHS[t.m - 1]} ${t.y}`,                   // the 3rd of March 2021
  (t) => `${pad2(t.m)}/${pad2(t.d)}/${t.y}`,                                   // 03/03/2021 (US)
  (t) => `${t.m}/${t.d}/${t.y}`,                                               // 3/3/2021 (US)
  (t) => `${t.d}.${t.m}.${t.y}`,                                               // 3.3.2021 (European)
  (t) => `${pad2(t.d)}.${pad2(t.m)}.${t.y}`,                                   // 03.03.2021 (European)
  (t) => `${t.y}.${t.m}.${t.d}`,                                               // 2021.3.3
  (t) => `${t.y}/${pad2(t.m)}/${pad2(t.d)}`,                                   // 2021/03/03
  (t) => `${t.y}${pad2(t.m)}${pad2(t.d)}`,                                     // 20210303
  (t) => `${t.d}-${short(MONTHS[t.m - 1])}-${t.y}`,                            // 3-Mar-2021
  (t) => `${MONTHS[t.m - 1].toUpperCase()} ${t.d}, ${t.y}`,                    // MARCH 3, 2021
  (t) => `${MONTHS[t.m - 1].toLowerCase()} ${t.d} ${t.y}`,                     // march 3 2021
  (t) => `${t.d} ${short(MONTHS[t.m - 1]).toLowerCase()}. ${t.y}`,             // 3 mar. 2021
];

/** One (written date, ISO date) pair: a uniform day in a uniform format. */
export function datePair(rng: Rng): [string, string] {
  const t = randomDay(rng);
  return [DATE_FORMATS[rng.int(DATE_FORMATS.length)](t), iso(t)];
}
