// Dates written as text inside files (PNG text chunks, the header of a gettext catalog):
// read one in any of the shapes tools write, and write another time in exactly the same
// shape and length, so a field can be rewritten in place. Times are written in UTC; a
// zone the original spelled is spelled again as the same kind of zero offset.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** A date found in a text value: the seconds it names and how to write another time like it. */
export interface TextDate {
  seconds: number;
  /** The shape's name for reports ("ISO 8601", "RFC 1123"). */
  shape: string;
  /** `seconds` written in the same shape, or undefined if it cannot have the same length. */
  render(seconds: number): string | undefined;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Seconds of a zone suffix: "Z", "+02:00", "-0500", "GMT", "UTC", "UT"; undefined if none. */
function zoneSeconds(zone: string | undefined): number {
  if (!zone || /^(Z|GMT|UTC?)$/i.test(zone)) return 0;
  const m = /^([+-])(\d\d):?(\d\d)$/.exec(zone)!;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60);
}

/** The zone written again as UTC in the same spelling: "+02:00" -> "+00:00", "-0500" -> "+0000", "Z" stays. */
function utcZone(zone: string | undefined): string {
  if (!zone) return '';
  if (/^[+-]\d\d:\d\d$/.test(zone)) return '+00:00';
  if (/^[+-]\d{4}$/.test(zone)) return '+0000';
  return zone;
}

function utcSeconds(y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // 31 February and the like: not a date.
  if (back.getUTCDate() !== d) return undefined;
  return ms / 1000;
}

/**
 * ISO 8601 as ImageMagick ("2024-01-02T03:04:05+00:00"), gettext ("2024-01-02 03:04+0000")
 * and others write it: date, T or space, hours and minutes, optional seconds and
 * fraction, optional zone.
 */
const ISO = /^(\d{4})-(\d\d)-(\d\d)([T ])(\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$/;

function iso(text: string): TextDate | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const local = utcSeconds(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[5]), Number(m[6]), Number(m[7] ?? 0));
  if (local === undefined) return undefined;
  const hasSeconds = m[7] !== undefined;
  const fraction = m[8] ?? '';
  const zone = m[9];
  return {
    seconds: local - zoneSeconds(zone),
    shape: 'ISO 8601',
    render(seconds) {
      const d = new Date(seconds * 1000);
      const year = d.getUTCFullYear();
      if (year > 9999) return undefined;
      let out = `${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}${m[4]}${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}`;
      if (hasSeconds) out += `:${pad(d.getUTCSeconds(), 2)}${fraction ? '.' + '0'.repeat(fraction.length - 1) : ''}`;
      return out + utcZone(zone);
    },
  };
}

/**
 * RFC 1123 / RFC 2822, what the PNG spec suggests for "Creation Time" and libpng's
 * png_convert_to_rfc1123 writes ("1 Jan 2024 03:04:05 +0000"): optional weekday, a day of
 * one or two digits, month name, year, time, zone.
 */
const RFC1123 = new RegExp(`^(?:(${DAYS.join('|')}), )?(\\d{1,2}) (${MONTHS.join('|')}) (\\d{4}) (\\d\\d):(\\d\\d)(?::(\\d\\d))? (GMT|UTC?|[+-]\\d{4})$`);

function rfc1123(text: string): TextDate | undefined {
  const m = RFC1123.exec(text);
  if (!m) return undefined;
  const local = utcSeconds(Number(m[4]), MONTHS.indexOf(m[3]) + 1, Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7] ?? 0));
  if (local === undefined) return undefined;
  const dayWidth = m[2].length;
  return {
    seconds: local - zoneSeconds(m[8]),
    shape: 'RFC 1123',
    render(seconds) {
      const d = new Date(seconds * 1000);
      const day = String(d.getUTCDate());
      // A two-digit day is zero-padded to keep a two-digit original's length; a one-digit
      // original cannot hold a two-digit day.
      if (day.length > dayWidth) return undefined;
      let out = `${m[1] ? `${DAYS[d.getUTCDay()]}, ` : ''}${day.padStart(dayWidth, '0')} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCFullYear(), 4)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}`;
      if (m[7] !== undefined) out += `:${pad(d.getUTCSeconds(), 2)}`;
      out += ` ${/^[+-]/.test(m[8]) ? '+0000' : m[8]}`;
      return out.length === text.length ? out : undefined;
    },
  };
}

/** C's asctime / ctime ("Tue Jan  2 03:04:05 2024"), as some tools put in text fields. */
const ASCTIME = new RegExp(`^(${DAYS.join('|')}) (${MONTHS.join('|')}) ([ \\d]\\d) (\\d\\d):(\\d\\d):(\\d\\d) (\\d{4})$`);

function asctime(text: string): TextDate | undefined {
  const m = ASCTIME.exec(text);
  if (!m) return undefined;
  const seconds = utcSeconds(Number(m[7]), MONTHS.indexOf(m[2]) + 1, Number(m[3].trim()), Number(m[4]), Number(m[5]), Number(m[6]));
  if (seconds === undefined) return undefined;
  return {
    seconds,
    shape: 'asctime',
    render(s) {
      const d = new Date(s * 1000);
      return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)} ${pad(d.getUTCFullYear(), 4)}`;
    },
  };
}

/** The date a whole text value is, in a shape known here; undefined if it is not one. */
export function parseTextDate(text: string): TextDate | undefined {
  return iso(text) ?? rfc1123(text) ?? asctime(text);
}

/**
 * What a rewritten date value becomes: `seconds` written in the original's shape (a time
 * kept by --clamp is written again in UTC too: the same instant, so two builds in other
 * zones still agree). Undefined if it cannot be written at the same length.
 */
export function rewriteTextDate(text: string, date: TextDate, seconds: number): string | undefined {
  const out = date.render(seconds);
  if (out !== undefined && out.length === text.length) return out;
  return seconds === date.seconds ? text : undefined;
}
