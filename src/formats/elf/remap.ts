// --remap-path in ELF: paths live in section contents (DWARF strings and line tables,
// .comment, __FILE__ in .rodata, STT_FILE names in .strtab), so every section with
// contents is searched; zlib-compressed sections (SHF_COMPRESSED) are inflated, remapped
// and recompressed to exactly their size. The .gnu_debuglink CRC follows the separate
// debug file (debuglink.ts). When anything changed, the GNU build ID is recomputed from
// the remapped file: the same content gives the same ID.
import { createHash } from 'node:crypto';
import { FormatError, hex } from '../../core/errors.js';
import type { PlanContext } from '../../core/format.js';
import { mergeSpans, needlesOf, remapRange, type Needle } from '../../core/remap.js';
import { recompressZlibTo } from '../shared/zlibfit.js';
import { DEBUGLINK, followDebuglink, readDebuglink, type Debuglink } from './debuglink.js';
import { hasContents, ints, readLarge, type ElfFile, type ElfSection } from './file.js';
import * as S from './spec.js';

const PIECE = 4096;

/** A compressed section inflated to more than this is refused rather than held in memory. */
const MAX_INFLATED = 256 << 20;

export async function remapElf(ctx: PlanContext, elf: ElfFile): Promise<void> {
  const needles = needlesOf(ctx.options.remap, false);
  const plain: { start: number; end: number; label: string }[] = [];
  let changed = 0;
  const buildIds: { offset: number; size: number }[] = [];
  let debuglink: Debuglink | undefined;
  for (const s of elf.sections) {
    if (s.index === 0 || !hasContents(s)) continue;
    const name = s.name || `#${s.index}`;
    if (s.name === DEBUGLINK && !(s.flags & S.SHF_COMPRESSED)) {
      // A file name and a CRC: the CRC follows the debug file (below), the name is not a path.
      debuglink = await readDebuglink(ctx, elf, s);
      if (debuglink) continue;
    }
    if (s.type === S.SHT_NOTE) {
      const ids = await buildIdDescs(ctx, elf, s);
      buildIds.push(...ids);
      // A note section holding the build ID is recomputed, not searched.
      if (ids.length > 0) continue;
    }
    if (s.flags & S.SHF_COMPRESSED) {
      changed += await remapCompressed(ctx, elf, s, name, needles);
      continue;
    }
    plain.push({ start: s.offset, end: s.offset + s.size, label: `section ${name}` });
  }
  // Sections may share bytes (a file made by hand, a .rela over another): each byte searched once.
  for (const span of mergeSpans(plain)) changed += await remapRange(ctx, span.start, span.end, span.label, needles);
  // The debug file's remapped paths change its CRC: a change of this file too.
  if (debuglink && (await followDebuglink(ctx, elf, debuglink))) changed++;
  if (changed === 0) return;
  for (const id of buildIds) deriveBuildId(ctx, id.offset, id.size);
  if (elf.sections.length === 0) ctx.note('--remap-path: the file has no section headers, so no path was looked for');
}

/** The desc of every NT_GNU_BUILD_ID note (owner "GNU") in a note section. */
async function buildIdDescs(ctx: PlanContext, elf: ElfFile, s: ElfSection): Promise<{ offset: number; size: number }[]> {
  const I = ints(elf.is64, elf.le);
  const out: { offset: number; size: number }[] = [];
  const data = await readLarge(ctx.reader, s.offset, s.size, `note section ${s.name}`);
  const pad = (n: number) => (n + 3) & ~3;
  for (let at = 0; at + 12 <= data.length; ) {
    const namesz = I.u32(data, at);
    const descsz = I.u32(data, at + 4);
    const type = I.u32(data, at + 8);
    const descAt = at + 12 + pad(namesz);
    if (descAt > data.length || descsz > data.length - descAt) break;
    const name = data.toString('latin1', at + 12, at + 12 + namesz);
    if (type === S.NT_GNU_BUILD_ID && name === 'GNU\0' && descsz > 0) out.push({ offset: s.offset + descAt, size: descsz });
    at = descAt + pad(descsz);
  }
  return out;
}

/**
 * The build ID after a remap: SHA-256 of the whole remapped file with the ID's own bytes
 * left out, cut to the ID's length (an ID longer than 32 bytes takes SHA-512). Not the
 * linker's own hash (GNU ld hashes headers and sections its own way, lld its chunks), but
 * equal for equal content, which is what the ID promises.
 */
function deriveBuildId(ctx: PlanContext, offset: number, size: number): void {
  if (size > 64) {
    ctx.note(`.note.gnu.build-id at ${hex(offset)}: an ID of ${size} bytes is longer than unstamp computes; left alone although paths changed`);
    return;
  }
  ctx.derive({
    offset,
    size,
    field: '.note.gnu.build-id (recomputed after --remap-path)',
    stage: 0,
    range: { start: 0, end: ctx.reader.size },
    createHasher: () => {
      const h = createHash(size > 32 ? 'sha512' : 'sha256');
      return {
        update(chunk, at) {
          const from = Math.max(offset - at, 0);
          const to = Math.min(offset + size - at, chunk.length);
          if (from >= to) return void h.update(chunk);
          h.update(chunk.subarray(0, from));
          h.update(chunk.subarray(to));
        },
        digest: () => h.digest().subarray(0, size),
      };
    },
    render: (b) => b.toString('hex'),
  });
}

/**
 * A compressed section: inflate (zlib only), look for paths, and if any, recompress to
 * exactly the section's size (padded with empty deflate blocks). One that cannot be made
 * to fit is refused: the file is left untouched.
 */
async function remapCompressed(ctx: PlanContext, elf: ElfFile, s: ElfSection, name: string, needles: readonly Needle[]): Promise<number> {
  const { L } = elf;
  const I = ints(elf.is64, elf.le);
  if (s.size < L.chdrsize) throw new FormatError(`section ${name} at ${hex(s.offset)}: SHF_COMPRESSED but smaller than its compression header (${s.size} bytes)`, ctx.reader.base + s.header);
  const chdr = await ctx.reader.read(s.offset, L.chdrsize, `compression header of section ${name}`);
  const type = I.u32(chdr, L.ch_type);
  if (type !== S.ELFCOMPRESS_ZLIB) {
    ctx.warn(`--remap-path: section ${name} is compressed with ch_type ${type} (${type === S.ELFCOMPRESS_ZSTD ? 'zstd' : 'unknown'}), which unstamp cannot inflate: paths in it are left as they are`);
    return 0;
  }
  const size = I.word(chdr, L.ch_size);
  if (size > MAX_INFLATED) throw new FormatError(`section ${name} at ${hex(s.offset)}: inflates to ${size} bytes, more than unstamp holds to look for paths`, ctx.reader.base + s.offset);
  const start = s.offset + L.chdrsize;
  const stream = await readLarge(ctx.reader, start, s.size - L.chdrsize, `section ${name} (zlib)`);
  const where = `section ${name} (zlib-compressed) at ${hex(s.offset)}`;
  const fit = recompressZlibTo(stream, needles, size, where, ctx.reader.base + start);
  if (!fit) return 0;
  // In pieces of at most PIECE bytes: reports list where each part lies, and no field is huge.
  const parts = Math.ceil(stream.length / PIECE);
  for (let i = 0; i < parts; i++) {
    const from = i * PIECE;
    const to = Math.min(from + PIECE, stream.length);
    ctx.patch({
      offset: start + from,
      bytes: fit.bytes.subarray(from, to),
      oldBytes: stream.subarray(from, to),
      field: `paths in section ${name} (zlib-compressed, recompressed to ${stream.length} bytes${parts > 1 ? `, part ${i + 1} of ${parts}` : ''})`,
      old: `${fit.hits} x ${fit.old}`,
      new: fit.new,
    });
  }
  return fit.changed ? 1 : 0;
}

