import type { Format } from '../../core/format.js';
import { kindOf, readField } from './header.js';
import { onFirstUse } from '../shared/lazy.js';

/**
 * By the magic, and the first header must hold numbers in its variant's digits and a name
 * that ends with a NUL where c_namesize says: a text file that happens to begin with
 * "070701" is no archive, and refusing it as a broken one would fail the run.
 */
function detect(head: Buffer): boolean {
  const kind = kindOf(head);
  if (!kind) return false;
  const l = kind.layout;
  if (head.length < l.headerSize) return false;
  if (l.fields.some((f) => f.name !== 'c_magic' && readField(kind, head, f) === undefined)) return false;
  const namesize = readField(kind, head, l.c_namesize)!;
  const nul = l.headerSize + namesize - 1;
  return namesize > 0 && (nul >= head.length || head[nul] === 0);
}

const planner = onFirstUse(() => import('./plan.js'));

export const cpio: Format = {
  name: 'cpio',
  title: 'cpio archives: newc, crc, odc, old binary (initramfs, RPM payloads)',
  detect,
  plan: async (ctx) => (await planner()).planCpio(ctx),
  regions: async (r) => (await import('./regions.js')).cpioRegions(r),
  fields: [
    { field: 'entry c_mtime', value: 'the epoch (--clamp: only if newer)' },
    { field: 'entry c_uid, c_gid', value: '0' },
    { field: 'entry c_ino', value: '1, 2, 3... in archive order; the entries of a hard-link group (same device and inode, c_nlink > 1) share one' },
    { field: 'entry c_dev (newc, crc: c_devmajor, c_devminor)', value: '0' },
    { field: 'entry c_rdev (newc, crc: c_rdevmajor, c_rdevminor) of all but character and block devices', value: '0' },
    { field: 'trailer TRAILER!!! numbers', value: 'as GNU cpio writes them: 0, c_nlink 1 (c_namesize, c_filesize, c_check kept)' },
    { field: 'crc c_check of an entry whose data holds a known format', value: 'the sum of the normalized data bytes' },
    { field: 'entries of a known format (an .a, a gzip, ...)', value: 'normalized in place by their own handler' },
  ],
  leftAlone: [
    'c_mode, c_nlink, names, entry order and data; which link of a hard-link group carries the data (newc: the last)',
    'c_rdev of character and block devices',
    'zero padding after the trailer; bytes after it that are not another cpio archive',
  ],
};
