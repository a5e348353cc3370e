import { startsWith, type Format } from '../../core/format.js';
import { onFirstUse } from '../shared/lazy.js';
import { ELFMAG } from './spec.js';

const planner = onFirstUse(() => import('./plan.js'));

export const elf: Format = {
  name: 'elf',
  title: 'ELF executables, shared objects and relocatable objects, 32/64-bit, either byte order',
  detect: (head) => startsWith(head, ELFMAG),
  plan: async (ctx) => (await planner()).planElf(ctx),
  regions: async (r) => (await import('./regions.js')).elfRegions(r),
  symbols: async (r) => (await import('./symbols.js')).elfSymbols(r),
  fields: [
    { field: 'with --remap-path OLD=NEW: paths in every section (DWARF strings and line tables, .comment, __FILE__ in .rodata, STT_FILE names)', value: 'NEW in place of OLD (also with / and \\ swapped)' },
    { field: 'with --remap-path: zlib-compressed sections (SHF_COMPRESSED) holding OLD', value: 'inflated, remapped, deflated again to exactly their size (else the file is refused)' },
    { field: 'with --remap-path: .gnu_debuglink CRC-32 of the separate debug file beside it', value: 'the CRC-32 of that debug file as the run remaps it (a warning if it is not beside it)' },
    { field: 'with --remap-path, when a path changed: .note.gnu.build-id', value: 'SHA-256 of the remapped file (the ID left out), cut to the ID length' },
  ],
  leftAlone: [
    'ELF has no timestamp, owner or random field: files are checked and reported clean',
    '.note.gnu.build-id: a hash of the linked content, the same when the content is',
    'DWARF debug sections (compressed or not): the build directory (DW_AT_comp_dir) and source paths, unless --remap-path is given',
    'zstd-compressed sections: not looked into by --remap-path (a warning says so)',
    '.comment: the compiler and linker versions',
    '.gnu_debuglink: the name of the separate debug file, and its CRC-32 unless --remap-path is given',
    'core files: detected, left alone',
  ],
};
