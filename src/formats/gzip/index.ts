import type { Format } from '../../core/format.js';
import { lazyRewrite, onFirstUse } from '../shared/lazy.js';
import { ID1, ID2 } from './spec.js';

const planner = onFirstUse(() => import('./plan.js'));

export const gzip: Format = {
  name: 'gzip',
  title: 'gzip (RFC 1952)',
  detect: (head) => head.length >= 2 && head[0] === ID1 && head[1] === ID2,
  plan: async (ctx) => (await planner()).planGzip(ctx),
  options: [
    {
      name: 'gzip-name',
      describe: '"drop" removes the stored original file name and comment (FNAME, FCOMMENT), which differ when the input had a temporary name: the file gets shorter (temporary file and atomic rename; compressed data copied as it is); "keep" leaves them',
      choices: ['keep', 'drop'],
      default: 'keep',
    },
  ],
  rewrite: lazyRewrite(async () => (await import('./rewrite.js')).gzipRewrite),
  regions: async (r) => (await import('./regions.js')).gzipRegions(r),
  fields: [
    { field: 'MTIME (first member)', value: 'the epoch (--clamp: only if newer)' },
    { field: 'FHCRC (if FLG.FHCRC is set)', value: 'recomputed over the patched header' },
    {
      field: 'the payload of a single-member file, when it is a known format that changes (the tar of a .tar.gz, a .cpio.gz, an .a.gz); --recompress auto',
      value: 'inflated, normalized like a file of its own, deflated again at the level XFL names (2 -> 9, 4 -> 1, else 6) with a new CRC-32 and ISIZE (temporary file and atomic rename)',
    },
  ],
  leftAlone: [
    'an MTIME of 0 ("no time stored", as `gzip -n`, `tar czf` and Python\'s gzip with mtime=0 write) stays 0, whatever the epoch',
    'FNAME and FCOMMENT are kept unless --gzip-name drop; FEXTRA is kept',
    'XFL and OS bytes',
    'members after the first in a multi-member file (and then the payload too: it is not recompressed)',
    'a payload no format claims: its compressed data is copied as it is (only its first 512 bytes are inflated, to tell its format)',
  ],
};
