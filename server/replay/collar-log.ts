/**
 * Reads a GPS collar log in the idaho-collars format (i-gotU style CSV export, as shipped in the
 * R package `animaltracker`): a header naming Date (" 2017/12/12"), Time (" 00:55:03"), Latitude
 * and Longitude among other columns, fields optionally quoted, values with leading spaces.
 *
 * Parsing is deliberately forgiving: the point of a replay is that the *service* judges each fix.
 * A date that cannot be read (e.g. the logger's 2016/00/00 sentinel) keeps its raw text, a
 * coordinate that is not a number keeps its raw text; only blank lines and repeated header lines
 * (the dirty log repeats its header mid-file) are skipped, and counted.
 *
 * Time zone: the logs do not state one (their README is silent); the times are read as UTC. A
 * replay shifts them to end at "now" anyway, so only the intervals between fixes matter.
 */
export interface CollarFix {
  /** 1-based line number in the file. */
  readonly line: number;
  /** The time read as UTC, or null when the date or time cannot be read. */
  readonly observedAt: Date | null;
  /** The raw date and time text, trimmed (`2017/12/12 00:55:03`). */
  readonly rawTime: string;
  readonly lat: number | string;
  readonly lon: number | string;
}

export interface CollarLog {
  readonly fixes: CollarFix[];
  /** Lines that are not fixes: blank lines and repeated headers. */
  readonly skippedLines: number;
}

const datePattern = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/;
const timePattern = /^(\d{1,2}):(\d{2}):(\d{2})$/;

/** Splits one CSV line: commas outside double quotes; `""` inside quotes is a quote. */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/** Reads "2017/12/12" and "00:55:03" as a UTC time; null for anything else (2016/00/00). */
export function parseCollarTime(date: string, time: string): Date | null {
  const d = datePattern.exec(date.trim());
  const t = timePattern.exec(time.trim());
  if (d === null || t === null) return null;
  const [year, month, day, hour, minute, second] = [...d.slice(1), ...t.slice(1)].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const at = new Date(ms);
  // Date.UTC rolls 2016/00/00 over to 2015-11-30: refuse anything that does not round-trip.
  if (
    at.getUTCFullYear() !== year ||
    at.getUTCMonth() !== month - 1 ||
    at.getUTCDate() !== day ||
    at.getUTCHours() !== hour ||
    at.getUTCMinutes() !== minute ||
    at.getUTCSeconds() !== second
  ) {
    return null;
  }
  return at;
}

/**
 * Parses the text of a collar log. Throws an Error naming the missing column when the header
 * lacks Date, Time, Latitude or Longitude.
 *
 * @example
 * parseCollarLog('Index, Date, Time, Latitude, Longitude\n1, 2018/09/18, 16:36:53,43.5,-116.2\n')
 * // { fixes: [{ line: 2, observedAt: 2018-09-18T16:36:53Z, rawTime: '2018/09/18 16:36:53', lat: 43.5, lon: -116.2 }], skippedLines: 0 }
 */
export function parseCollarLog(text: string): CollarLog {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((name) => name.trim().toLowerCase());
  const column = (name: string): number => {
    const index = header.indexOf(name);
    if (index < 0) {
      throw new Error(`collar log header has no ${name} column (found: ${header.join(', ')})`);
    }
    return index;
  };
  const [dateAt, timeAt, latAt, lonAt] = ['date', 'time', 'latitude', 'longitude'].map(column) as [
    number,
    number,
    number,
    number,
  ];
  const fixes: CollarFix[] = [];
  let skippedLines = 0;
  lines.slice(1).forEach((line, i) => {
    // The file's last newline leaves an empty string that is not a line of the file.
    if (line.trim() === '') {
      if (i < lines.length - 2) skippedLines++;
      return;
    }
    const fields = splitCsvLine(line).map((field) => field.trim());
    const date = fields[dateAt] ?? '';
    if (date.toLowerCase() === 'date') {
      skippedLines++;
      return;
    }
    const time = fields[timeAt] ?? '';
    const coordinate = (raw: string | undefined): number | string => {
      const value = Number(raw);
      return raw !== undefined && raw !== '' && Number.isFinite(value) ? value : (raw ?? '');
    };
    fixes.push({
      line: i + 2,
      observedAt: parseCollarTime(date, time),
      rawTime: `${date} ${time}`.trim(),
      lat: coordinate(fields[latAt]),
      lon: coordinate(fields[lonAt]),
    });
  });
  return { fixes, skippedLines };
}
