// ELF has no timestamp, owner or random field of its own: the planner checks the
// structure (so a damaged file is refused, not reported clean) and says what it saw and
// leaves alone. What differs between two ELF builds comes from the compiler and the
// linker (paths, __DATE__, order), which `unstamp explain a b` locates.
import { hex } from '../../core/errors.js';
import type { PlanContext } from '../../core/format.js';
import { hasContents, readElf, readHeader, readLarge, type ElfFile, type ElfSection } from './file.js';
import * as S from './spec.js';
import { remapWanted } from '../../core/remap.js';
import { remapElf } from './remap.js';

/** .comment is read to quote the compiler versions only up to this size. */
const MAX_COMMENT = 4096;

export async function planElf(ctx: PlanContext): Promise<void> {
  const r = ctx.reader;
  const head = await readHeader(r);
  if (head.type === S.ET_CORE) {
    ctx.note('core file (a process memory image): nothing unstamp rewrites, left alone');
    return;
  }
  const elf = await readElf(r);
  for (const text of await notes(elf, ctx)) ctx.note(text);
  if (remapWanted(ctx)) await remapElf(ctx, elf);
}

async function notes(elf: ElfFile, ctx: PlanContext): Promise<string[]> {
  const out: string[] = [];
  const named = (name: string) => elf.sections.find((s) => s.name === name && hasContents(s));
  const buildId = elf.sections.find((s) => s.name === '.note.gnu.build-id');
  if (buildId) {
    out.push(`.note.gnu.build-id at ${hex(buildId.offset)}: the build ID, a hash the linker computed from the linked content; left alone (it is the same when the content is)`);
  }
  const comment = named('.comment');
  if (comment) {
    const raw = await ctx.reader.read(comment.offset, Math.min(comment.size, MAX_COMMENT), '.comment section');
    const versions = [...new Set(raw.toString('latin1').split('\0').filter((x) => x.length > 0))];
    out.push(`.comment: the versions of the tools that made it (${versions.map((v) => JSON.stringify(v)).join(', ')}); left alone`);
  }
  const debug = elf.sections.filter((s) => s.name.startsWith('.debug_') || s.name.startsWith('.zdebug_'));
  if (debug.length > 0) {
    const compressed = debug.filter((s) => s.flags & S.SHF_COMPRESSED);
    out.push(
      `DWARF debug sections (${debug.map((s) => s.name).join(', ')})${compressed.length > 0 ? `, ${compressed.length} compressed` : ''}: ` +
        'can hold the build directory (DW_AT_comp_dir) and source paths; left alone (build with -ffile-prefix-map=<dir>=., or give --remap-path <dir>=<other dir of the same length>)',
    );
  }
  const debuglink = named('.gnu_debuglink');
  if (debuglink) {
    const raw = await readLarge(ctx.reader, debuglink.offset, Math.min(debuglink.size, MAX_COMMENT), '.gnu_debuglink section');
    const nul = raw.indexOf(0);
    const remap = remapWanted(ctx) ? ' (with --remap-path, its CRC-32 follows the remapped debug file beside it)' : '';
    out.push(`.gnu_debuglink: names the separate debug file ${JSON.stringify(raw.toString('latin1', 0, nul < 0 ? raw.length : nul))} and holds its CRC-32; left alone${remap}`);
  }
  if (elf.sections.length === 0 && elf.segments.length === 0) out.push('no sections and no program headers');
  return out;
}

export type { ElfSection };
