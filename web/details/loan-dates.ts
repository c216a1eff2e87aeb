/**
 * Calendar days of the loan panel's date inputs: the officer's days, in the browser's time zone.
 */

/** `yyyy-mm-dd` of a moment's calendar day (a date input's value). */
export function toDateInputValue(moment: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}`;
}

/** Local midnight of a `yyyy-mm-dd` day; null when the text is not a calendar date. */
export function startOfDay(text: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(year, month - 1, day);
  // new Date rolls 2026-02-30 over to March: such a day does not exist.
  return date.getFullYear() === year && date.getMonth() === month - 1 && date.getDate() === day
    ? date
    : null;
}

/**
 * The moment a "valued at" day stands for: the end of that day (its last millisecond), or now
 * when the day is today; a problem naming the value and the rule otherwise.
 *
 * @example readValuationMoment('2026-09-30', new Date()) // 2026-09-30 23:59:59.999 local
 */
export function readValuationMoment(text: string, now: Date): Date | { readonly message: string } {
  const day = startOfDay(text);
  if (day === null)
    return { message: `valued at “${text}” is not a date: pick a day (yyyy-mm-dd)` };
  if (day > now)
    return { message: `valued at ${text} is in the future: pick today or a day before` };
  const endOfDay = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1, 0, 0, 0, -1);
  return endOfDay < now ? endOfDay : now;
}
