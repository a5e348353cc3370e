// Members that can only be normalized by a rewrite of their own (the control.tar.gz and
// data.tar.gz of a .deb, whose tar payloads are recompressed): the archive is written
// again with those members replaced and their ar_size updated; every other member's
// header and data are copied as they are.
import { FormatError, hex } from '../../core/errors.js';
import type { FormatRewrite, NormalizedPayload, RewriteChange, RewriteTools } from '../../core/format.js';
import { MAX_READ, type RangeReader } from '../../core/reader.js';
import * as S from './spec.js';
import { fieldNumber, fieldText } from './fields.js';

interface Member {
  /** Header offset. */
  at: number;
  name: string;
  /** ar_name as stored. */
  stored: string;
  size: number;
  /** BSD "#1/N": the name's bytes at the start of the data. */
  nameLength: number;
  /** Where the next header starts (after the data and its pad byte). */
  next: number;
  /** The HEAD bytes from the member's data on (fewer at the end of the archive), read with its header; undefined for a BSD #1/N name. */
  head?: Buffer;
}

/**
 * The members of an archive one by one, read just enough to copy them: the planner has
 * already checked every rule, on these same bytes. A thin archive has no data to rewrite.
 * None is held: an archive of half a million members costs one at a time.
 */
async function* membersOf(r: RangeReader): AsyncGenerator<Member> {
  const magic = (await r.read(0, S.SARMAG, 'archive magic')).toString('latin1');
  if (magic === S.ARMAG_THIN) return;
  let longnames: Buffer | undefined;
  let at = S.SARMAG;
  while (at + S.AR_HDR_SIZE <= r.size) {
    // The header and the first bytes of the data in one read: detection looks at those.
    const block = r.sync ? r.readUpToSync(at, S.AR_HDR_SIZE + HEAD, 'member header') : await r.readUpTo(at, S.AR_HDR_SIZE + HEAD, 'member header');
    const h = block.subarray(0, S.AR_HDR_SIZE);
    // Digits read from the bytes; anything else as Number() takes the text, as before.
    const digits = fieldNumber(h, S.ar_size, 10);
    const size = digits === undefined || Number.isNaN(digits) ? Number(fieldText(h, S.ar_size)) : digits;
    const stored = fieldText(h, S.ar_name);
    const data = at + S.AR_HDR_SIZE;
    if (!Number.isSafeInteger(size) || data + size > r.size) throw new FormatError(`member header at ${hex(at)}: ar_size ${JSON.stringify(fieldText(h, S.ar_size))} runs past the end`, r.base + at + S.ar_size.offset);
    let name = stored.endsWith('/') && stored.length > 1 ? stored.slice(0, -1) : stored;
    let nameLength = 0;
    if (stored === S.GNU_LONGNAMES && size <= MAX_READ) longnames = await r.read(data, size, '// table');
    else if (/^\/\d+$/.test(stored) && longnames) {
      const from = Number(stored.slice(1));
      const end = longnames.indexOf(0x0a, from);
      name = longnames.toString('latin1', from, end < 0 ? longnames.length : end).replace(/\/$/, '');
    } else if (stored.startsWith(S.BSD_LONGNAME_PREFIX)) {
      nameLength = Number(stored.slice(S.BSD_LONGNAME_PREFIX.length));
      name = (await r.read(data, nameLength, 'BSD member name')).toString('latin1').replace(/\0+$/, '');
    }
    let next = data + size;
    if (next % 2 === 1 && next < r.size) next += 1;
    const head = nameLength === 0 ? block.subarray(S.AR_HDR_SIZE) : undefined;
    yield { at, name, stored, size, nameLength, next, head };
    at = next;
  }
}

/** The bytes detection looks at (HEAD_SIZE of core/plan.ts). */
const HEAD = 512;

/** Whether the archive has a symbol index (one pass over the headers, nothing held). */
async function hasIndex(r: RangeReader): Promise<boolean> {
  for await (const m of membersOf(r)) if (isIndex(m)) return true;
  return false;
}

/** An index whose offsets point at members: a member that changes size would leave them wrong. */
const isIndex = (m: Member) => m.stored === S.GNU_SYMTAB || m.stored === S.GNU_SYMTAB64 || m.name.startsWith(S.BSD_SYMTAB_PREFIX);
const isMember = (m: Member) => !isIndex(m) && m.stored !== S.GNU_LONGNAMES;

/** A member's payload normalized, if its format has a rewrite and that rewrite changes something. */
async function rewrittenMember(r: RangeReader, m: Member, tools: RewriteTools): Promise<NormalizedPayload | undefined> {
  const start = m.at + S.AR_HDR_SIZE + m.nameLength;
  const length = m.size - m.nameLength;
  if (length <= 0) return undefined;
  const format = tools.detect(m.head ?? (await r.readUpTo(start, HEAD, 'member data')), length);
  if (!format || !tools.rewrites(format)) return undefined;
  let p: NormalizedPayload | undefined;
  try {
    p = await tools.normalize(r.sub(start, length), m.name, { alreadyPlanned: true });
  } catch (e) {
    if (e instanceof FormatError && e.offset === undefined) throw new FormatError(`member ${m.name} at ${hex(m.at)}: ${e.message}`, r.base + start);
    throw e;
  }
  return p;
}

export const arRewrite: FormatRewrite = {
  async needed(r, tools) {
    const changes: RewriteChange[] = [];
    let indexed: boolean | undefined;
    for await (const m of membersOf(r)) {
      if (!isMember(m)) continue;
      const p = await rewrittenMember(r, m, tools);
      if (!p) continue;
      try {
        p.notes.forEach((n) => tools.note(n));
        p.kept.forEach((k) => tools.keep(k));
        if (p.changes.length === 0) continue;
        indexed ??= await hasIndex(r);
        if (indexed) {
          tools.note(`member ${m.name}: ${p.changes.length} fields inside would change, but a rewrite would change its size and the symbol table's member offsets; left alone`);
          continue;
        }
        changes.push(...p.changes.map((c) => ({ ...c, field: `member ${c.field}` })));
        changes.push({ field: `member ${m.name}: ar_size`, offset: m.at + S.ar_size.offset, old: String(m.size), new: `${p.size + m.nameLength} (the member rewritten)` });
      } finally {
        await p.close();
      }
    }
    return changes;
  },

  async write(r, out, tools) {
    const indexed = await hasIndex(r);
    await out(await r.read(0, S.SARMAG, 'archive magic'));
    for await (const m of membersOf(r)) {
      const p = !indexed && isMember(m) ? await rewrittenMember(r, m, tools) : undefined;
      try {
        if (!p || p.changes.length === 0) {
          for (let pos = m.at; pos < m.next; pos += MAX_READ) await out(await r.read(pos, Math.min(MAX_READ, m.next - pos), 'member'));
          continue;
        }
        const header = Buffer.from(await r.read(m.at, S.AR_HDR_SIZE, 'member header'));
        const size = String(p.size + m.nameLength);
        if (size.length > S.ar_size.size) throw new FormatError(`member ${m.name} at ${hex(m.at)}: rewritten, its size ${size} does not fit ar_size`, r.base + m.at + S.ar_size.offset);
        header.write(size.padEnd(S.ar_size.size, ' '), S.ar_size.offset, 'latin1');
        await out(header);
        if (m.nameLength > 0) await out(await r.read(m.at + S.AR_HDR_SIZE, m.nameLength, 'BSD member name'));
        for await (const chunk of p.chunks()) await out(chunk);
        // Data ends at an even offset: the pad byte, as ar writes it.
        if ((p.size + m.nameLength) % 2 === 1) await out(Buffer.from([S.AR_PAD]));
      } finally {
        await p?.close();
      }
    }
  },
};
