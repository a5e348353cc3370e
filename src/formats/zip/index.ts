import type { Format } from '../../core/format.js';
import { onFirstUse } from '../shared/lazy.js';
import { END_OF_CENTRAL_DIRECTORY_SIGNATURE, LOCAL_FILE_HEADER_SIGNATURE } from './spec.js';

const planner = onFirstUse(() => import('./plan.js'));
const EOCD = Buffer.alloc(4);
EOCD.writeUInt32LE(END_OF_CENTRAL_DIRECTORY_SIGNATURE);
const orderPart = onFirstUse(() => import('./order.js'));
const recompressPart = onFirstUse(() => import('./recompress.js'));

export const zip: Format = {
  name: 'zip',
  title: 'zip family: zip, jar, apk, aar, whl, nupkg, vsix (zip64 included)',
  detect: (head) => head.length >= 4 && (head.readUInt32LE(0) === LOCAL_FILE_HEADER_SIGNATURE || head.readUInt32LE(0) === END_OF_CENTRAL_DIRECTORY_SIGNATURE),
  // A zip behind a stub (self-extractor, a zip appended to another file): its end record.
  // Each candidate found by a native search: every member no format claims by its head asks.
  detectTail: (tail) => {
    for (let i = tail.length - 22; i >= 0; i--) {
      i = tail.lastIndexOf(EOCD, i);
      if (i < 0) return false;
      if (i + 22 + tail.readUInt16LE(i + 20) === tail.length) return true;
    }
    return false;
  },
  plan: async (ctx) => (await planner()).planZip(ctx),
  options: [
    {
      name: 'zip-order',
      describe: '"name" rewrites archives with members sorted by name (their bytes copied as they are, unless --recompress recompresses one; temporary file and atomic rename); "keep" leaves the order',
      choices: ['keep', 'name'],
      default: 'keep',
    },
  ],
  // One rewrite for both: members in name order (--zip-order name), and deflated members
  // of a known format recompressed once normalized (--recompress auto).
  rewrite: {
    async needed(reader, tools) {
      const why = tools.settings['zip-order'] === 'name' ? await (await orderPart()).orderNeeded(reader) : undefined;
      const order = why === undefined ? [] : [{ field: 'member order', offset: 0, old: why, new: 'sorted by name' }];
      return [...order, ...(await (await recompressPart()).recompressNeeded(reader, tools))];
    },
    write: async (reader, out, tools) =>
      tools.recompress === 'never'
        ? (await orderPart()).writeOrdered(reader, out)
        : (await recompressPart()).writeRewritten(reader, out, tools, tools.settings['zip-order'] === 'name'),
  },
  regions: async (r) => (await import('./regions.js')).zipRegions(r),
  fields: [
    { field: 'DOS time and date, local header and central directory', value: 'the epoch in UTC, clamped to 1980-01-01..2107-12-31 (epoch 0 writes 1980-01-01 00:00:00: date 0x0021, time 0x0000); --clamp: only if newer' },
    { field: 'extra 0x5455 extended timestamp (local: mtime/atime/ctime per flags; central: mtime)', value: 'the epoch' },
    { field: 'extra 0x000a NTFS mtime/atime/ctime', value: 'the epoch as FILETIME' },
    { field: 'extra 0x5855 (Info-ZIP Unix, old) and 0x000d (PKWARE Unix) times; uid/gid', value: 'the epoch; 0' },
    { field: 'extra 0x7875 (ux) and 0x7855 (Ux) uid/gid', value: '0, at the same size' },
    { field: 'members stored uncompressed (method 0) of a known format: a jar in a zip, a gzip, a PE', value: 'normalized in place, recursively; their CRC-32 recomputed in the local header, central directory and data descriptor' },
    {
      field: 'deflated members (method 8) whose content is a known format that changes (javadoc HTML, a .pyc, a PNG, a nested jar or .a); --recompress auto',
      value: 'inflated, normalized like a file of their own, deflated again at the level the general purpose flag bits 1-2 name (0 -> 6, 1 -> 9, 2 and 3 -> 1); local header, data descriptor, CRC-32, sizes, central directory and end records rewritten to match, every other member copied as it is; in an aligned archive (every stored member at a multiple of 4, a .so at 4096) a stored member moved by it gets the least padding that aligns it again, as zipalign writes it (zero bytes at the end of its local extra field, or inside apksigner\'s 0xd935 field) (temporary file and atomic rename)',
    },
    { field: 'external attributes of entries made by Unix', value: 'file type kept; regular files 0644, or 0755 if the owner could execute; directories 0755; symlinks unchanged' },
  ],
  leftAlone: [
    'compressed data of members no format claims (only their first 512 bytes are inflated, to tell), names, member order, comments, prefixed data, bytes appended after the archive',
    'deflated members that are encrypted, or whose central directory sizes are in a zip64 extra (a local zip64 extra, as bsdtar writes, is rewritten); with --recompress never, every deflated member (what would change is listed as kept)',
    'the DOS time of entries encrypted with a data descriptor (it is the password check byte)',
    'unknown extra fields, and zipalign\'s zero padding at the end of a local extra field (an aligned APK stays aligned)',
    'an APK signed with APK Signature Scheme v2 or later (an APK Signing Block before the central directory): skipped whole, as any change breaks its signatures',
  ],
};
