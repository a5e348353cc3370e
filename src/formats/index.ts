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
import { pyc } from './pyc/index.js';
import { png } from './png/index.js';
import { uimage } from './uimage/index.js';
import { zip } from './zip/index.js';

/** Every handler, in detection order. The core takes this list; it names no format itself. */
export const allFormats: readonly Format[] = [ar, gzip, elf, macho, pdb, pe, png, mo, uimage, bflt, zip, cpio, pyc, coff, javadoc];
