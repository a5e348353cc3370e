import type { Format } from '../core/format.js';
import { ar } from './ar/index.js';
import { bflt } from './bflt/index.js';
import { coff } from './coff/index.js';
import { cpio } from './cpio/index.js';
import { elf } from './elf/index.js';
import { gzip } from './gzip/index.js';
import { javadoc } from './javadoc/index.js';
import { macho } from './macho/index.js';
import { mo } from './mo/index.js';
import { pdb } from './pdb/index.js';
import { pe } from './pe/index.js';
import { png } from './png/index.js';
import { pyc } from './pyc/index.js';
import { tar } from './tar/index.js';
import { uimage } from './uimage/index.js';
import { zip } from './zip/index.js';

/**
 * Every handler, in detection order. The core takes this list; it names no format itself.
 * tar comes before the formats whose magic is only a few bytes at offset 0 (a tar's first
 * bytes are a file name, which could start "MZ" or "070701"); it claims a file only by a
 * whole header with a matching checksum.
 */
export const allFormats: readonly Format[] = [ar, gzip, tar, elf, macho, pdb, pe, png, mo, uimage, bflt, zip, cpio, pyc, coff, javadoc];
