import type { Format } from '../../core/format.js';
import { onFirstUse } from '../shared/lazy.js';
import * as S from './spec.js';

const thinMagics = new Set([S.MH_MAGIC, S.MH_CIGAM, S.MH_MAGIC_64, S.MH_CIGAM_64]);

const planner = onFirstUse(() => import('./plan.js'));

export const macho: Format = {
  name: 'macho',
  title: 'Mach-O thin and fat (universal) binaries, 32/64-bit, either byte order',
  detect: (head) => {
    if (head.length < 8) return false;
    const magic = head.readUInt32BE(0);
    if (thinMagics.has(magic)) return true;
    if (magic !== S.FAT_MAGIC && magic !== S.FAT_MAGIC_64) return false;
    // A Java class file also starts with 0xcafebabe, then its version: minor 0, major 45
    // to 64 reads as an nfat_arch in range. What tells them apart is the first fat_arch's
    // cputype, which has 0 where a class file has its first constant's tag. A fat header
    // with an absurd nfat_arch but a real cputype after it is a damaged fat file: claimed,
    // so the planner says what is wrong instead of skipping it as unknown.
    return head.length >= 12 && S.FAT_CPU_TYPES.has(head.readUInt32BE(8));
  },
  plan: async (ctx) => {
    const magic = (await ctx.reader.read(0, 4, 'magic')).readUInt32BE(0);
    return magic === S.FAT_MAGIC || magic === S.FAT_MAGIC_64 ? (await planner()).planFat(ctx) : (await planner()).planThin(ctx);
  },
  regions: async (r) => (await import('./regions.js')).machoRegions(r),
  symbols: async (r) => (await import('./symbols.js')).machoSymbols(r),
  fields: [
    { field: 'dylib_command timestamp (LC_ID_DYLIB, LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, LC_LAZY_LOAD_DYLIB, LC_LOAD_UPWARD_DYLIB)', value: 'the epoch (--clamp: only if newer); ld64.lld writes 0' },
    { field: 'N_OSO stab n_value (the object file mtime in the debug map)', value: '0, as ZERO_AR_DATE=1 makes the linker write' },
    { field: 'LC_UUID', value: 'SHA-256 of the normalized slice with the UUID and the code signature zeroed, first 16 bytes, RFC 4122 version 5 / variant bits' },
    { field: 'ad-hoc code signature: every code slot hash of every CodeDirectory', value: 'recomputed over the final bytes (its hash type and page size)' },
    { field: 'fat files', value: 'each slice normalized on its own (Mach-O slices, or ar archives in universal static libraries)' },
    { field: 'with --remap-path OLD=NEW: paths in every section (__cstring, __DWARF) and the string table (N_SO / N_OSO stabs)', value: 'NEW in place of OLD (also with / and \\ swapped), before LC_UUID and the signature are computed' },
  ],
  leftAlone: [
    'MH_OBJECT files: nothing time-dependent (reported clean)',
    'signatures made with an identity (CMS blob): the file is skipped, sign after unstamp',
    'special slots, identifier, flags and the CodeDirectory layout',
  ],
};
