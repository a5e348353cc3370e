import { FormatError, hex } from '../../core/errors.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

/** A dated span of the page: [start, end) in the reader, and its text. */
export interface Span {
  start: number;
  end: number;
  text: string;
}

/** Where javadoc's dates lie in a page's head. */
export interface JavadocHead {
  /** The generator comment as a whole. */
  comment: Span;
  /** The comment's date with any padding before " -->". */
  date: Span;
  /** Each `<meta name="date|dc.created">`'s content, with the name as written. */
  metas: (Span & { name: string })[];
  /** Where the head ends (just past `</head>`), or undefined if not within HEAD_LIMIT. */
  headEnd?: number;
  /** How much was searched. */
  scanned: number;
}

/**
 * Find the generator comment and the meta dates in the head. Only the head is read (at
 * most HEAD_LIMIT bytes): javadoc writes nothing dated after it.
 */
export async function readHead(reader: RangeReader): Promise<JavadocHead> {
  const scanned = Math.min(reader.size, S.HEAD_LIMIT);
  const text = (await reader.read(0, scanned, 'javadoc page head')).toString('latin1');
  const close = text.search(/<\/head>/i);
  const headEnd = close >= 0 ? close + '</head>'.length : undefined;
  const limit = headEnd ?? scanned;

  const at = text.indexOf(S.COMMENT_START);
  if (at < 0 || at >= limit) throw new FormatError(`javadoc page: no generator comment "${S.COMMENT_START}" in its head`, reader.base);
  const lineEnd = lineEndAt(text, at);
  const line = text.slice(at, lineEnd);
  const on = line.indexOf(S.COMMENT_DATE_AFTER);
  if (on < 0) throw new FormatError(`javadoc generator comment at ${hex(at)}: no "${S.COMMENT_DATE_AFTER.trim()}" after the version on its line`, reader.base + at);
  const dateStart = at + on + S.COMMENT_DATE_AFTER.length;
  const end = line.indexOf(S.COMMENT_END, on + S.COMMENT_DATE_AFTER.length - 1);
  if (end < 0) throw new FormatError(`javadoc generator comment at ${hex(at)}: not closed by "${S.COMMENT_END.trim()}" on its line`, reader.base + at);
  const dateEnd = Math.max(dateStart, at + end);
  const comment = { start: at, end: at + end + S.COMMENT_END.length, text: line.slice(0, end + S.COMMENT_END.length) };
  const date = { start: dateStart, end: dateEnd, text: text.slice(dateStart, dateEnd) };

  const metas: JavadocHead['metas'] = [];
  for (const m of text.slice(0, limit).matchAll(S.META_RE)) {
    const start = m.index + m[0].length - 2 - m[2].length;
    metas.push({ start, end: start + m[2].length, text: m[2], name: m[1] });
  }
  return { comment, date, metas, headEnd, scanned };
}

function lineEndAt(text: string, from: number): number {
  const n = text.indexOf('\n', from);
  return n < 0 ? text.length : n;
}
