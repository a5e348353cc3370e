import type { Format } from '../../core/format.js';
import { looksLikeHeader } from './header.js';
import { onFirstUse } from '../shared/lazy.js';

const planner = onFirstUse(() => import('./plan.js'));

export const tar: Format = {
  name: 'tar',
  title: 'tar archives: POSIX ustar and pax, GNU, v7, bsdtar/libarchive',
  // By the first header: its magic (or, for v7, its shape) and a checksum that matches.
  detect: (head, size) => size >= 512 && looksLikeHeader(head),
  plan: async (ctx) => (await planner()).planTar(ctx),
  regions: async (r) => (await import('./regions.js')).tarRegions(r),
  fields: [
    { field: 'header mtime (every header: entries, pax x/g headers, GNU L/K long names)', value: 'the epoch (--clamp: only if newer), in the field\'s own encoding (octal digits, or base-256)' },
    { field: 'header uid, gid', value: '0, at the same width' },
    { field: 'header uname, gname', value: 'empty (NULs), as GNU tar --owner=0 --group=0 --numeric-owner writes them' },
    { field: 'header devmajor, devminor of entries that are not devices', value: '0 (blank fields stay blank)' },
    { field: 'GNU header atime, ctime (offsets 345, 357; incremental dumps)', value: 'the epoch (--clamp: only if newer); blank stays blank' },
    { field: 'header chksum', value: 'recomputed: six octal digits, NUL, space (as GNU tar and libarchive write it)' },
    { field: 'pax records mtime, atime, ctime, LIBARCHIVE.creationtime, SCHILY.*time, LIBARCHIVE.*time', value: 'the epoch zero-padded to the same width, fraction digits zeroed (1700000000.123456789 -> 0000000000.000000000); --clamp: only if newer' },
    { field: 'pax records uid, gid', value: '0 padded with zeros to the same width (1000 -> 0000)' },
    { field: 'pax records uname, gname', value: 'empty; the record keeps its length through leading zeros in its length field (17 uname=alice -> 000000017 uname=); a name too long for that (over 20 digits) makes the record a POSIX comment of zeros, which readers ignore, so the emptied header field stands' },
    { field: 'the process ID in names GNU tar makes up: pax headers (PaxHeaders.<pid>, under POSIXLY_CORRECT and in older versions), global headers (GlobalHead.<pid>.<n>), pax sparse files (GNUSparseFile.<pid>)', value: 'zeros of the same width (readers take the real names from the pax records)' },
    { field: 'entries of a known format (a .jar, an .a, a .gz, a nested tar)', value: 'normalized in place by their own handler' },
  ],
  leftAlone: [
    'mode, names, link targets and member order; every other pax record (path, size, xattrs, SCHILY.dev/ino/nlink)',
    'sparse entries\' data (not planned as a file); bytes after the end-of-archive marker',
  ],
};
