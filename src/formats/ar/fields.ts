// The fields of a struct ar_hdr (spec.ts), read from its bytes: ASCII, left-aligned, padded
// with spaces. The planner, the rewrite and explain's regions read them alike.
type Field = { offset: number; size: number };

const SPACE = 0x20;
const ZERO = 0x30;

/** Where field `f` of `h` ends once its trailing spaces are dropped. */
function trimmedEnd(h: Buffer, f: Field): number {
  let end = f.offset + f.size;
  while (end > f.offset && h[end - 1] === SPACE) end--;
  return end;
}

/** Field `f` of `h` as text, its trailing spaces dropped. */
export function fieldText(h: Buffer, f: Field): string {
  return h.toString('latin1', f.offset, trimmedEnd(h, f));
}

/**
 * Field `f` of `h` as a number in `radix`, with no text decoded (half a million fields are
 * read in a big library): undefined if blank, NaN unless it is digits then spaces only.
 */
export function fieldNumber(h: Buffer, f: Field, radix: 8 | 10): number | undefined {
  const end = trimmedEnd(h, f);
  if (end === f.offset) return undefined;
  let value = 0;
  for (let i = f.offset; i < end; i++) {
    const digit = h[i] - ZERO;
    if (digit < 0 || digit >= radix) return NaN;
    value = value * radix + digit;
  }
  return value;
}
