import type { Format } from '../../core/format.js';
import { kindOf } from './header.js';
import { planCpio } from './plan.js';
import { BIN } from './spec.js';

/**
 * The ASCII variants by their six-digit magic; the binary one by its two-byte magic, and
 * only if its name ends with a NUL where c_namesize says (two bytes alone are too loose).
 */
function detect(head: Buffer): boolean {
  const kind = kindOf(head);
  if (!kind) return false;
  if (kind.layout !== BIN) return true;
  if (head.length < BIN.headerSize) return false;
  const namesize = kind.le ? head.readUInt16LE(BIN.c_namesize.offset) : head.readUInt16BE(BIN.c_namesize.offset);
  const nul = BIN.headerSize + namesize - 1;
  return namesize > 0 && (nul >= head.length || head[nul] === 0);
}

export const cpio: Format = {
  name: 'cpio',
  title: 'cpio archives: newc, crc, odc, old binary (initramfs, RPM payloads)',
  detect,
  plan: planCpio,
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
