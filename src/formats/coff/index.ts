import type { Format } from '../../core/format.js';
import { onFirstUse } from '../shared/lazy.js';
import { classify } from './kind.js';

/**
 * Regular objects have no magic number: detection rests on the header's shape (see
 * classify), so this handler goes last in the detection order.
 */
const planner = onFirstUse(() => import('./plan.js'));

export const coff: Format = {
  name: 'coff',
  title: 'COFF objects (.obj), /bigobj objects and short import objects',
  detect: (head, size) => classify(head, size) !== undefined,
  plan: async (ctx) => (await planner()).planCoff(ctx),
  regions: async (r) => (await import('./regions.js')).coffRegions(r),
  symbols: async (r) => (await import('./symbols.js')).coffSymbols(r),
  fields: [
    { field: 'IMAGE_FILE_HEADER TimeDateStamp (regular object)', value: 'the epoch (--clamp: only if newer); 0 is what clang /Brepro, GNU as and dlltool write' },
    { field: 'ANON_OBJECT_HEADER_BIGOBJ TimeDateStamp (/bigobj object)', value: 'the epoch (--clamp: only if newer)' },
    { field: 'IMPORT_OBJECT_HEADER TimeDateStamp (short import object, in a .lib)', value: 'the epoch (--clamp: only if newer)' },
    { field: 'ANON_OBJECT_HEADER TimeDateStamp (cl /GL link-time code generation object)', value: 'the epoch (--clamp: only if newer)' },
    { field: 'with --remap-path OLD=NEW: paths in section contents (CodeView, DWARF, __FILE__), .file symbols and the string table', value: 'NEW in place of OLD (8-bit and UTF-16LE, / and \\ swapped too)' },
    { field: 'with --remap-path: a changed section\'s CheckSum (section definition)', value: 'JamCRC of the new contents, where it was that of the old ones (LLVM)' },
    { field: 'with --remap-path: string literal symbol names ??_C@_<type><length><CRC><first 32 bytes>@ of changed literals', value: 'the name the compiler gives the new literal (same length, else the object is refused)' },
  ],
  leftAlone: [
    'section contents, relocations, symbols and the string table (checked to lie inside the file, rewritten only by --remap-path)',
    'CodeView .debug$S, which can hold the object path, the compiler command line and source paths (their folder is replaced by --remap-path)',
    'the intermediate code after the header of a /GL object',
    'anonymous objects (00 00 ff ff) of other ClassIDs: skipped, with the ClassID as the reason',
    'objects with Machine IMAGE_FILE_MACHINE_UNKNOWN (0) or with no sections: not recognized, so skipped',
  ],
};
