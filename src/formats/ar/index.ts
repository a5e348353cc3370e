import { startsWith, type Format } from '../../core/format.js';
import { lazyRewrite, onFirstUse } from '../shared/lazy.js';
import { ARMAG, ARMAG_THIN } from './spec.js';

const planner = onFirstUse(() => import('./plan.js'));

export const ar: Format = {
  name: 'ar',
  title: 'ar archives: GNU/SysV, BSD, GNU thin, MSVC .lib',
  detect: (head) => startsWith(head, ARMAG) || startsWith(head, ARMAG_THIN),
  plan: async (ctx) => (await planner()).planAr(ctx),
  rewrite: lazyRewrite(async () => (await import('./rewrite.js')).arRewrite),
  regions: async (r) => (await import('./regions.js')).arRegions(r),
  fields: [
    { field: 'member header ar_date', value: 'the epoch (--clamp: only if newer)' },
    { field: 'member header ar_uid, ar_gid', value: '0' },
    { field: 'member header ar_mode', value: '644 (what `ar D` writes)' },
    { field: 'symbol table (/, /SYM64/, __.SYMDEF*) ar_date, ar_uid, ar_gid', value: 'epoch, 0, 0, mode 0' },
    { field: 'members of a known format (objects, gzip, ...)', value: 'normalized in place by their own handler' },
    {
      field: 'members whose own format needs a rewrite (the control.tar.gz and data.tar.gz of a .deb, whose tar is recompressed); --recompress auto',
      value: 'the archive written again with those members rewritten and their ar_size updated, every other member copied as it is (temporary file and atomic rename)',
    },
    { field: 'with --remap-path: string literal symbols renamed in COFF members', value: 'renamed in the symbol index (/, /SYM64/, the MSVC second linker member, BSD __.SYMDEF) too' },
    { field: 'with --remap-path: member names holding OLD (the paths of a thin archive, in the // table)', value: 'NEW in place of OLD (also with / and \\ swapped)' },
  ],
  leftAlone: [
    'blank header fields (MSVC, the // long-name table) stay blank',
    'member order, names (except paths under --remap-path) and symbol table contents',
    'thin archives: the member files themselves are separate files',
    'a member that would need a rewrite in an archive with a symbol table (its member offsets would move): noted, left alone',
  ],
};
