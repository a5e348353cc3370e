import { FormatError, SkipFile, hex } from '../../core/errors.js';
import type { PlanContext, SiblingFile } from '../../core/format.js';
import { renderTime } from '../../core/time.js';
import { u32le } from '../shared/bytes.js';
import { siphash } from './siphash.js';
import * as S from './spec.js';

/** _imp.source_hash for the pyc's magic: SipHash keyed by the magic, of the source's bytes. */
export function sourceHash(magicBytes: Buffer, source: Buffer): Buffer {
  const [c, d] = S.hashRounds(magicBytes.readUInt16LE(0));
  return siphash(S.hashKey(magicBytes), source, c, d);
}

const flagsText = (f: number) => `${f} (${f & S.FLAG_HASH_BASED ? (f & S.FLAG_CHECK_SOURCE ? 'checked hash-based' : 'unchecked hash-based') : 'timestamp'})`;

/**
 * A timestamp pyc whose source is where the importer looks for it (and is the source it
 * was compiled from: its mtime and size match the header) becomes a checked hash-based
 * pyc (PEP 552): flags 3 and the SipHash of the source in place of mtime and size, valid
 * whatever the files' times. Without its source (a member of an archive, a pyc shipped
 * alone) only the mtime is set to the epoch. Hash-based pycs are already deterministic.
 */
export async function planPyc(ctx: PlanContext): Promise<void> {
  const { reader } = ctx;
  const head = await reader.read(0, S.HEADER_SIZE, 'pyc header');
  const magic = head.readUInt16LE(0);
  const python = S.pythonOf(magic);
  if (magic < S.MAGIC_PEP552) throw new SkipFile(`Python ${python} pyc (magic ${magic}): a header from before PEP 552 (3.7), left alone`);
  if (magic >= S.MAGIC_KNOWN_END || (magic >= 3440 && magic < S.MAGIC_3_11)) throw new SkipFile(`pyc magic ${magic} is not a known CPython magic (3.7 to 3.15): left alone`);
  const flags = head.readUInt32LE(S.OFF_FLAGS);
  if (flags & ~S.FLAGS_KNOWN) {
    throw new FormatError(`pyc flags at 0x4 are ${hex(flags)}: only bits 0 (hash-based) and 1 (check_source) are defined; Python refuses it ("invalid flags")`, reader.base + S.OFF_FLAGS);
  }
  const magicBytes = head.subarray(0, 4);
  const where = ctx.file ? S.sourceOf(ctx.file) : undefined;
  const source = where ? await ctx.sibling(where) : undefined;
  const rounds = S.hashRounds(magic).join('-');

  if (flags & S.FLAG_HASH_BASED) {
    const stored = head.subarray(S.OFF_HASH, S.OFF_HASH + 8);
    if (!(flags & S.FLAG_CHECK_SOURCE)) ctx.note(`Python ${python} unchecked hash-based pyc: holds no time, left as it is`);
    else if (!source) ctx.note(`Python ${python} checked hash-based pyc: holds no time, left as it is`);
    else if (sourceHash(magicBytes, source.bytes).equals(stored)) ctx.note(`Python ${python} checked hash-based pyc: its hash matches ${where}`);
    else ctx.warn(`checked hash-based pyc: its hash ${stored.toString('hex')} is not the SipHash-${rounds} of ${where}: Python recompiles it; left as it is`);
    return;
  }

  const mtime = head.readUInt32LE(S.OFF_MTIME);
  const size = head.readUInt32LE(S.OFF_SOURCE_SIZE);
  if (source && matches(source, mtime, size)) {
    const hash = sourceHash(magicBytes, source.bytes);
    ctx.patch({ offset: S.OFF_FLAGS, oldBytes: head.subarray(4, 8), bytes: u32le(S.FLAGS_CHECKED_HASH), field: 'flags', old: flagsText(flags), new: flagsText(S.FLAGS_CHECKED_HASH) });
    ctx.patch({
      offset: S.OFF_MTIME,
      oldBytes: head.subarray(8, 16),
      bytes: hash,
      field: 'mtime and source size -> source hash',
      old: `mtime ${renderTime(mtime)}, source size ${size}`,
      new: `SipHash-${rounds} of ${where}: ${hash.toString('hex')}`,
    });
    return;
  }
  const value = ctx.time(mtime);
  ctx.patch({ offset: S.OFF_MTIME, oldBytes: head.subarray(8, 12), bytes: u32le(value), field: 'mtime', old: renderTime(mtime), new: renderTime(value) });
  if (source) {
    ctx.warn(`its source ${where} has another mtime or size than the pyc records (mtime ${renderTime(S.pythonMtime(source.mtimeNs))}, size ${source.size}): Python recompiles it anyway; only its mtime was set`);
  } else {
    const why = ctx.depth > 0 ? 'inside an archive' : where ? `no regular file ${where} beside it` : 'not in a __pycache__ folder nor named *.pyc';
    ctx.warn(`timestamp pyc without its source (${why}): mtime set to the epoch; Python recompiles it unless the source's mtime is the epoch too`);
  }
}

/** What _validate_timestamp_pyc checks: the header's mtime and size are the source's. */
function matches(source: SiblingFile, mtime: number, size: number): boolean {
  return S.pythonMtime(source.mtimeNs) === mtime && (source.size & 0xffffffff) >>> 0 === size;
}
