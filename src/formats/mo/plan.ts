import { hex } from '../../core/errors.js';
import type { PlanContext } from '../../core/format.js';
import { parseTextDate, rewriteTextDate } from '../shared/datetext.js';
import { readCatalog } from './catalog.js';
import * as S from './spec.js';

/** A header entry longer than this is looked at only up to here (the dates are at its start). */
const MAX_HEADER = 64 * 1024;

/**
 * The catalog header (the translation of msgid ""): POT-Creation-Date and
 * PO-Revision-Date to the epoch, in the same "YYYY-MM-DD HH:MM+ZZZZ" shape and length.
 * Strings keep their offsets and lengths, so the hash table (of the msgids, whose
 * header one is empty) stays valid untouched.
 */
export async function planMo(ctx: PlanContext): Promise<void> {
  const cat = await readCatalog(ctx.reader);
  if (cat.headers.length === 0) {
    ctx.note('no header entry (msgid ""): no dates to rewrite');
    return;
  }
  for (const [offset, length] of cat.headers) {
    const text = (await ctx.reader.read(offset, Math.min(length, MAX_HEADER), '.mo header entry')).toString('latin1');
    for (const key of S.DATE_FIELDS) {
      const m = new RegExp(`(^|\\n)${key}: ([^\\n]*)`).exec(text);
      if (!m) continue;
      const valueAt = m.index + m[1].length + key.length + 2;
      const value = m[2];
      const date = parseTextDate(value);
      const where = `${key} at ${hex(offset + valueAt)}`;
      if (!date) {
        ctx.note(`${where}: ${JSON.stringify(value)} is not a date (a template's placeholder?); left as it is`);
        continue;
      }
      const rewritten = rewriteTextDate(value, date, ctx.time(date.seconds));
      if (rewritten === undefined) {
        ctx.note(`${where}: ${JSON.stringify(value)} cannot hold the new time at the same length; left as it is`);
        continue;
      }
      ctx.patch({
        offset: offset + valueAt,
        oldBytes: Buffer.from(value, 'latin1'),
        bytes: Buffer.from(rewritten, 'latin1'),
        field: key,
        old: JSON.stringify(value),
        new: JSON.stringify(rewritten),
      });
    }
  }
  ctx.note('the hash table is kept: it hashes the msgids, and the header\'s is empty');
}
