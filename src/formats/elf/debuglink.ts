// .gnu_debuglink under --remap-path. A stripped program names its separate debug file
// (objcopy --only-keep-debug, then --add-gnu-debuglink) and holds the CRC-32 of that
// file's bytes; gdb and binutils load the debug file only when the CRC matches. The
// debug file's paths are remapped too, so its CRC changes, and the program must carry
// the new one. The engine plans linked files primary first and hands values from the
// primary to its companions, the wrong way round here (the program needs a value of the
// debug file), so the program computes it itself: it reads the debug file beside it
// (PlanContext.sibling), plans it in memory exactly as the run plans it on disk (the
// same ELF planner and rules: the result does not depend on which of the two is written
// first, and a debug file already normalized plans to itself), and takes the CRC-32 of
// the result.
import { crc32 } from 'node:zlib';
import { hex } from '../../core/errors.js';
import { MAX_SIBLING, type Format, type PlanContext } from '../../core/format.js';
import { buildPlan } from '../../core/plan.js';
import { BufferSource, RangeReader } from '../../core/reader.js';
import { u32be, u32le } from '../shared/bytes.js';
import { readElf, readLarge, type ElfFile, type ElfSection } from './file.js';
import { planElf } from './plan.js';
import * as S from './spec.js';

export const DEBUGLINK = '.gnu_debuglink';

/** The parts of a .gnu_debuglink section: the file name, then (4-aligned) its CRC-32. */
export interface Debuglink {
  name: string;
  /** Offset of the CRC-32 in the file, and its value. */
  crcAt: number;
  crc: number;
}

/** The section's name and CRC, or undefined if it does not have that shape (then it is left alone). */
export async function readDebuglink(ctx: PlanContext, elf: ElfFile, s: ElfSection): Promise<Debuglink | undefined> {
  const raw = await readLarge(ctx.reader, s.offset, s.size, `${DEBUGLINK} section`);
  const nul = raw.indexOf(0);
  if (nul <= 0) return undefined;
  const at = (nul + 4) & ~3;
  if (at + 4 !== raw.length) return undefined;
  return { name: raw.toString('latin1', 0, nul), crcAt: s.offset + at, crc: elf.le ? raw.readUInt32LE(at) : raw.readUInt32BE(at) };
}

/** ELF planned with nothing else: a debug file holds no members. */
const elfOnly: Format = { name: 'elf', title: 'ELF', detect: () => true, plan: planElf, fields: [], leftAlone: [] };

/** SHF_ALLOC sections by name, address and size: what a debug file keeps of its program (as NOBITS). */
function layout(elf: ElfFile): string {
  return elf.sections
    .filter((s) => s.index > 0 && s.flags & S.SHF_ALLOC)
    .map((s) => `${s.name}@${s.addr}+${s.size}`)
    .join(' ');
}

/**
 * Patch the debuglink CRC with the CRC-32 of the debug file as this run leaves it.
 * Returns whether the CRC changes. The debug file must be this program's: its CRC as
 * stored, or its allocated sections the same as the program's (a debug file already
 * normalized no longer has the CRC the program was given). Otherwise, or when the file
 * is not beside the program, the CRC is left and a warning says why.
 */
export async function followDebuglink(ctx: PlanContext, elf: ElfFile, link: Debuglink): Promise<boolean> {
  const where = `${DEBUGLINK} at ${hex(link.crcAt)}`;
  const field = `${DEBUGLINK} CRC-32 of ${JSON.stringify(link.name)} (after --remap-path)`;
  if (link.name.includes('/')) {
    ctx.warn(`--remap-path: ${where} names ${JSON.stringify(link.name)}, not a file name; its CRC-32 is left as it is`);
    return false;
  }
  if (ctx.depth > 0) {
    ctx.warn(`--remap-path: ${where} names the debug file ${JSON.stringify(link.name)}, but this is a member of a container, beside no file; its CRC-32 is left as it is`);
    return false;
  }
  // A file written while it is read (the run normalizing it at the same time) reads as
  // undefined: asked once more, it is read whole, before or after.
  const sibling = (await ctx.sibling(link.name)) ?? (await ctx.sibling(link.name));
  if (!sibling) {
    ctx.warn(
      `--remap-path: ${where} names the debug file ${JSON.stringify(link.name)}, which is not beside this file (or is over ${MAX_SIBLING >> 20} MiB, or could not be read); ` +
        'its CRC-32 is left as it is, so if that file is remapped elsewhere, gdb will no longer load it',
    );
    return false;
  }
  const source = new BufferSource(sibling.bytes);
  let debug: ElfFile;
  let normal: Buffer;
  try {
    debug = await readElf(RangeReader.of(source));
    const plan = await buildPlan(source, elfOnly, [elfOnly], ctx.options);
    normal = Buffer.from(sibling.bytes);
    for (const p of plan.patches) p.bytes.copy(normal, p.offset);
  } catch (e) {
    ctx.warn(`--remap-path: ${where} names ${JSON.stringify(link.name)}, which unstamp cannot plan as an ELF file (${e instanceof Error ? e.message : String(e)}); its CRC-32 is left as it is`);
    return false;
  }
  const now = crc32(sibling.bytes) >>> 0;
  const after = crc32(normal) >>> 0;
  if (link.crc !== now && link.crc !== after && layout(debug) !== layout(elf)) {
    ctx.warn(`--remap-path: ${where} names ${JSON.stringify(link.name)}, but that file is not its debug file (CRC-32 ${hex(now)}, not ${hex(link.crc)}, and other sections); its CRC-32 is left as it is`);
    return false;
  }
  const bytes = elf.le ? u32le(after) : u32be(after);
  const oldBytes = await ctx.reader.read(link.crcAt, 4, `${DEBUGLINK} CRC-32`);
  ctx.patch({ offset: link.crcAt, bytes, oldBytes, field, old: hex(link.crc), new: hex(after) });
  if (after !== now) {
    ctx.note(
      `--remap-path: this file and its debug file ${JSON.stringify(link.name)} each get a build ID recomputed from their own remapped bytes, so the two IDs no longer equal each other ` +
        '(gdb pairs them by the CRC-32, which matches; a lookup by build ID, as debuginfod does, would not find the debug file)',
    );
  }
  return after !== link.crc;
}
