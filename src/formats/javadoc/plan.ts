import type { PlanContext } from '../../core/format.js';
import { renderTime } from '../../core/time.js';
import { readHead } from './page.js';
import * as S from './spec.js';

const quote = (s: string) => JSON.stringify(s);

/**
 * The generator comment's date -> the epoch as Date.toString() writes it in UTC, padded
 * with spaces inside the comment to the original length (a zone abbreviation may be longer
 * than "UTC"); each meta date -> the epoch's day in UTC. In place: the page keeps its size.
 */
export async function planJavadoc(ctx: PlanContext): Promise<void> {
  const { reader, options } = ctx;
  const head = await readHead(reader);

  const { date } = head;
  const old = S.parseJavaDate(date.text);
  // --clamp keeps an older date; an unreadable one is replaced (there is nothing to keep).
  const value = old === undefined ? options.epoch : ctx.time(old);
  const text = S.javaDate(value);
  const oldRender = old === undefined ? quote(date.text) : `${quote(date.text.trimEnd())} (${renderTime(old)})`;
  if (old !== undefined && value === old) {
    ctx.patch({ offset: date.start, oldBytes: bytes(date.text), bytes: bytes(date.text), field: 'generator comment date', old: oldRender, new: oldRender });
  } else if (text.length > date.text.length) {
    ctx.warn(`generator comment date ${quote(date.text)} is shorter than ${quote(text)}: left as it is (the page keeps its size)`);
  } else {
    const padded = text.padEnd(date.text.length, ' ');
    ctx.patch({ offset: date.start, oldBytes: bytes(date.text), bytes: bytes(padded), field: 'generator comment date', old: oldRender, new: `${quote(text)} (${renderTime(value)})` });
  }

  const day = S.isoDay(options.epoch);
  for (const meta of head.metas) {
    const field = `meta ${meta.name}`;
    if (!S.DAY_RE.test(meta.text)) {
      ctx.note(`${field} content ${quote(meta.text)} is not a yyyy-MM-dd date: left alone`);
      continue;
    }
    // yyyy-MM-dd strings compare as dates; --clamp keeps a day not after the epoch's.
    const keep = options.clamp && meta.text <= day;
    const now = keep ? meta.text : day;
    ctx.patch({ offset: meta.start, oldBytes: bytes(meta.text), bytes: bytes(now), field, old: meta.text, new: now });
  }
  if (head.headEnd === undefined && reader.size > head.scanned) {
    ctx.note(`no </head> in the first ${head.scanned} bytes: only those were searched for dates`);
  }
  ctx.note('the javadoc version in the generator comment and the page language (<html lang>) are kept');
}

const bytes = (s: string) => Buffer.from(s, 'latin1');
