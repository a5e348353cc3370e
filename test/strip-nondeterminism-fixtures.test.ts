// strip-nondeterminism's own fixtures (test/fixtures/strip-nondeterminism/, GPL-3+, see the
// README there), run the way its t/fixtures.t runs them: every normalizer on, canonical
// time 1423159771 (2015-02-05 18:09:31 UTC), no clamping. unstamp's output must be
// byte-equal to the expected `.out`, except where unstamp differs on purpose; each such
// difference is asserted exactly (which bytes, which values), so any other change fails.
//
// | fixture                     | result                | why                                                        |
// |-----------------------------|-----------------------|------------------------------------------------------------|
// | ar/one.a                    | documented difference | member cfile (mode 100775): unstamp writes 644, as `ar D`  |
// |                             |                       | does for every member; strip-nondeterminism writes 755 for |
// |                             |                       | an executable member                                       |
// | png/tEXt.png                | documented difference | date:create / date:modify: unstamp writes the epoch with   |
// |                             |                       | the ISO 8601 UTC offset "+00:00"; strip-nondeterminism     |
// |                             |                       | writes RFC 3339's "-00:00" (unknown offset); the two chunk |
// |                             |                       | CRCs differ accordingly                                    |
// | png/huge-chunk-size.png     | equal (refused)       | a chunk length of 0xffffffff: unstamp refuses the file     |
// |                             |                       | (exit 3) and leaves it as it is, which is the `.out`       |
// | jar/android.apk             | documented difference | a v1-signed APK (META-INF/CERT.SF): strip-nondeterminism   |
// |                             |                       | skips signed jars; unstamp rewrites the members' DOS times |
// |                             |                       | (a v1 signature covers contents, not header times; an APK  |
// |                             |                       | with a v2+ Signing Block is skipped by unstamp too)        |
// | zip/test.zip                | documented difference | unstamp keeps the MS-DOS attribute bits of the external    |
// |                             |                       | attributes (0x8020); strip-nondeterminism clears them      |
// | zip/encrypted.zip           | documented difference | strip-nondeterminism skips encrypted archives; unstamp     |
// |                             |                       | rewrites the extra fields' times (UT) and owners (ux), and |
// |                             |                       | keeps the DOS time, which the ZipCrypto header checks      |
// | gzip/vimoutliner_vo_readme  | equal                 | with --gzip-name drop (strip-nondeterminism drops FNAME)   |
// | cpio/test.cpio              | documented difference | strip-nondeterminism sets only c_mtime; unstamp also zeroes|
// |                             |                       | c_dev, c_uid, c_gid and numbers c_ino from 1, as it does   |
// |                             |                       | for every cpio archive (two copies of a tree differ there) |
// | javadoc/a.html, java11.html | documented difference | strip-nondeterminism deletes the generator comment and     |
// |                             |                       | <html lang>; unstamp works in place: the comment's date    |
// |                             |                       | becomes the epoch in UTC (padded to its length), lang stays|
// |                             |                       | (the meta date is the same in both)                        |
// | every other fixture         | equal                 |                                                            |
import t, { type Test } from 'tap';
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, root, tempDir } from './helpers.js';

const DIR = path.join(root, 'test', 'fixtures', 'strip-nondeterminism');
/** strip-nondeterminism's t/fixtures.t: $File::StripNondeterminism::canonical_time. */
const CANONICAL_TIME = '1423159771';

type Expect =
  | { expect: 'equal'; args?: string[]; code?: number; why?: string }
  | { expect: 'difference'; args?: string[]; why: string; sizeDiffers?: boolean; check: (t: Tap, got: Buffer, want: Buffer, input: Buffer) => void }
  | { expect: 'todo'; args?: string[]; why: string };
type Tap = Test;

/** Offsets at which two buffers of the same length differ. */
function differing(a: Buffer, b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

/** Offsets of every record with this 4-byte signature (zip headers). */
function records(buf: Buffer, sig: number): number[] {
  const out: number[] = [];
  for (let i = buf.indexOf(Buffer.from([0x50, 0x4b])); i >= 0; i = buf.indexOf(Buffer.from([0x50, 0x4b]), i + 1)) if (buf.readUInt32LE(i) === sig) out.push(i);
  return out;
}

/** PNG chunks keyed by type and keyword (text) or type: where the data lies. */
function pngText(buf: Buffer): Map<string, { data: Buffer; crcAt: number }> {
  const m = new Map<string, { data: Buffer; crcAt: number }>();
  for (let pos = 8; pos + 12 <= buf.length; ) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    m.set(type === 'tEXt' ? `tEXt ${data.toString('latin1', 0, data.indexOf(0))}` : type, { data, crcAt: pos + 8 + len });
    pos += 12 + len;
  }
  return m;
}

/**
 * A javadoc fixture: strip-nondeterminism deletes the generator comment's line and the
 * <html lang> attribute (the page gets shorter); unstamp rewrites in place, the comment's date
 * to the epoch as Date.toString() in UTC, padded with spaces to the original length. The meta
 * date is the same in both. Everything else is asserted equal: the expected output is exactly
 * unstamp's with those two deletions.
 */
function javadocDifference(date: string, meta: string): Expect {
  return {
    expect: 'difference',
    sizeDiffers: true,
    why: 'strip-nondeterminism deletes the generator comment and <html lang>; unstamp sets the comment\'s date to the epoch in place and keeps lang',
    check(t, got, want, input) {
      const text = got.toString('latin1');
      const epoch = 'Thu Feb 05 18:09:31 UTC 2015'.padEnd(date.length, ' ');
      t.equal(got.length, input.length, 'unstamp keeps the size');
      const comment = `<!-- Generated by javadoc (${/javadoc \(([^)]*)\)/.exec(input.toString('latin1'))![1]}) on ${epoch} -->`;
      t.ok(text.includes(`\n${comment}\n`), `unstamp: ${comment}`);
      t.ok(text.includes(`<meta name="${meta}" content="2015-02-05">`), `unstamp: <meta name="${meta}"> is the epoch's day`);
      const input2 = input.toString('latin1').replace(date, epoch).replace(/(<meta name="(?:date|dc\.created)" content=")[^"]*/, (_m, start: string) => `${start}2015-02-05`);
      t.equal(text, input2, 'nothing else changed');
      const stripped = text.replace(`${comment}\n`, '').replace(/<html lang="[^"]+">/, '<html>');
      t.equal(stripped, want.toString('latin1'), 'the expected output is unstamp\'s without the comment line and lang');
    },
  };
}

const FIXTURES: Record<string, Expect> = {
  'ar/long_member_name.a': { expect: 'equal' },
  'ar/longnames_symtab.a': { expect: 'equal' },
  'ar/one.a': {
    expect: 'difference',
    why: 'ar_mode of the executable member cfile: 644 as `ar D` writes (unstamp), 755 (strip-nondeterminism)',
    check(t, got, want, input) {
      const cfile = input.indexOf('cfile/');
      const mode = cfile + 40; // ar_mode: 8 bytes at +40 of the 60-byte header
      t.equal(input.toString('latin1', mode, mode + 6), '100775', 'the input member is executable');
      t.same(differing(got, want), [mode, mode + 1, mode + 2], 'only the 3 mode digits differ');
      t.equal(got.toString('latin1', mode, mode + 8).trim(), '644', 'unstamp: 644');
      t.equal(want.toString('latin1', mode, mode + 8).trim(), '755', 'strip-nondeterminism: 755');
    },
  },
  'ar/symbol_table.a': { expect: 'equal' },
  'bflt/hello.bflt': { expect: 'equal' },
  'cpio/test.cpio': {
    expect: 'difference',
    why: 'strip-nondeterminism sets only c_mtime; unstamp also zeroes c_dev, c_uid, c_gid and numbers c_ino from 1',
    check(t, got, want, input) {
      // An old binary archive, little-endian words: c_magic c_dev c_ino c_mode c_uid c_gid c_nlink c_rdev c_mtime[2] ...
      t.equal(input.readUInt16LE(0), 0o070707, 'old binary cpio, little-endian');
      const word = (b: Buffer, at: number) => b.readUInt16LE(at);
      const mtime = (b: Buffer) => word(b, 16) * 65536 + word(b, 18);
      t.equal(mtime(got), 1423159771, 'c_mtime: the canonical time (unstamp)');
      t.equal(mtime(want), 1423159771, 'c_mtime: the canonical time (strip-nondeterminism)');
      const fields = { c_dev: 2, c_ino: 4, c_uid: 8, c_gid: 10 };
      t.same(Object.fromEntries(Object.entries(fields).map(([k, at]) => [k, word(got, at)])), { c_dev: 0, c_ino: 1, c_uid: 0, c_gid: 0 }, 'unstamp');
      t.same(Object.fromEntries(Object.entries(fields).map(([k, at]) => [k, word(want, at)])), Object.fromEntries(Object.entries(fields).map(([k, at]) => [k, word(input, at)])), 'strip-nondeterminism keeps them');
      const inFields = new Set(Object.values(fields).flatMap((at) => [at, at + 1]));
      const diff = differing(got, want);
      t.ok(diff.length > 0);
      t.same(diff.filter((i) => !inFields.has(i)), [], 'only those four fields differ');
    },
  },
  'gzip/vimoutliner_vo_readme_txt.gz': { expect: 'equal', args: ['--gzip-name', 'drop'], why: 'strip-nondeterminism drops FNAME: unstamp does with --gzip-name drop' },
  'jar/android.apk': {
    expect: 'difference',
    why: 'strip-nondeterminism skips a signed jar (META-INF/*.SF); unstamp rewrites its members\' DOS times, which a v1 signature does not cover',
    check(t, got, want, input) {
      t.ok(input.includes('META-INF/CERT.SF'), 'the input is v1-signed');
      t.ok(want.equals(input), 'strip-nondeterminism leaves it unchanged');
      // DOS time and date: local header +10..+14, central directory entry +12..+16.
      const dosFields = new Set<number>();
      for (const at of records(input, 0x04034b50)) for (let i = 10; i < 14; i++) dosFields.add(at + i);
      for (const at of records(input, 0x02014b50)) for (let i = 12; i < 16; i++) dosFields.add(at + i);
      const diff = differing(got, want);
      t.ok(diff.length > 0, `unstamp changed ${diff.length} bytes`);
      t.same(diff.filter((i) => !dosFields.has(i)), [], 'every changed byte is in a DOS time/date field');
      for (const at of records(got, 0x04034b50)) t.equal(got.readUInt32LE(at + 10), 0x4645912f, `local header at 0x${at.toString(16)}: DOS 2015-02-05 18:09:30`);
    },
  },
  'jar/jdependency.jar': { expect: 'equal' },
  'javadoc/a.html': javadocDifference('Mon Oct 27 21:31:13 GMT 2014', 'date'),
  'javadoc/java11.html': javadocDifference('Wed Nov 07 09:50:23 CET 2018', 'dc.created'),
  'jmod/test1.jmod': { expect: 'equal' },
  'png/1x1.png': { expect: 'equal' },
  'png/bug_802057.png': { expect: 'equal', why: 'bytes after IEND kept' },
  'png/bug_931039.png': { expect: 'equal' },
  'png/huge-chunk-size.png': { expect: 'equal', code: 3, why: 'a chunk length past the end: refused, left untouched, which is the expected output' },
  'png/kmidimon1.png': { expect: 'equal' },
  'png/tEXt.png': {
    expect: 'difference',
    why: 'the date values\' UTC offset: "+00:00" (ISO 8601, unstamp) vs "-00:00" (strip-nondeterminism), and the two CRCs',
    check(t, got, want) {
      const g = pngText(got);
      const w = pngText(want);
      t.ok(g.get('tIME')!.data.equals(w.get('tIME')!.data), 'the same tIME');
      const expected: number[] = [];
      for (const key of ['tEXt date:create', 'tEXt date:modify']) {
        t.equal(g.get(key)!.data.toString('latin1').split('\0')[1], '2015-02-05T18:09:31+00:00', `${key}: unstamp`);
        t.equal(w.get(key)!.data.toString('latin1').split('\0')[1], '2015-02-05T18:09:31-00:00', `${key}: strip-nondeterminism`);
        const sign = g.get(key)!.crcAt - 6;
        expected.push(sign, ...[0, 1, 2, 3].map((i) => g.get(key)!.crcAt + i).filter((i) => got[i] !== want[i]));
      }
      t.same(differing(got, want), expected, 'only the two signs and the two CRCs differ');
    },
  },
  'pyzip/pyzip': { expect: 'equal' },
  'uimage/Linux-1001.uImage': { expect: 'equal' },
  'zip/encrypted.zip': {
    expect: 'difference',
    why: 'strip-nondeterminism skips encrypted archives; unstamp rewrites the UT times and ux owners and keeps the DOS time that ZipCrypto checks',
    check(t, got, want, input) {
      t.ok(want.equals(input), 'strip-nondeterminism leaves it unchanged');
      const local = records(input, 0x04034b50)[0];
      t.equal(got.readUInt32LE(local + 10), input.readUInt32LE(local + 10), 'the local DOS time/date is kept (the encryption header checks it)');
      t.ok(input.readUInt16LE(local + 6) & 1, 'the member is encrypted');
      // Every changed byte lies in the extra fields (local and central), none in the encrypted data.
      const extras: [number, number][] = [];
      const nameLen = input.readUInt16LE(local + 26);
      const localExtra = local + 30 + nameLen;
      extras.push([localExtra, localExtra + input.readUInt16LE(local + 28)]);
      const central = records(input, 0x02014b50)[0];
      const centralExtra = central + 46 + input.readUInt16LE(central + 28);
      extras.push([centralExtra, centralExtra + input.readUInt16LE(central + 30)]);
      const diff = differing(got, want);
      t.ok(diff.length > 0, `unstamp changed ${diff.length} bytes`);
      t.same(diff.filter((i) => !extras.some(([s, e]) => i >= s && i < e)), [], 'only bytes of the extra fields changed');
    },
  },
  'zip/test.zip': {
    expect: 'difference',
    why: 'the MS-DOS attribute bits of the external attributes are kept by unstamp, cleared by strip-nondeterminism',
    check(t, got, want, input) {
      const central = records(input, 0x02014b50)[0];
      const attrs = central + 38;
      t.same(differing(got, want), [attrs, attrs + 1], 'only the low two bytes of the external attributes differ');
      t.equal(got.readUInt32LE(attrs), input.readUInt32LE(attrs), 'unstamp keeps them');
      t.equal(got.readUInt16LE(attrs), 0x8020, 'MS-DOS attributes 0x8020 (archive) kept');
      t.equal(want.readUInt16LE(attrs), 0, 'strip-nondeterminism: 0');
    },
  },
};

const table: string[] = [];

t.test('every fixture upstream has is in the table', async (t) => {
  const { readdirSync } = await import('node:fs');
  const found = readdirSync(DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(path.join(DIR, d.name)).filter((f) => f.endsWith('.in')).map((f) => `${d.name}/${f.slice(0, -3)}`))
    .sort();
  t.same(found, Object.keys(FIXTURES).sort());
  t.equal(found.length, 22, "the 22 fixtures of strip-nondeterminism 1.14.1");
});

for (const [name, e] of Object.entries(FIXTURES)) {
  const input = readFileSync(path.join(DIR, `${name}.in`));
  const want = readFileSync(path.join(DIR, `${name}.out`));
  const run = (t: { teardown(fn: () => void): void }) => {
    const file = path.join(tempDir(t), path.basename(name));
    copyFileSync(path.join(DIR, `${name}.in`), file);
    const r = cli(['--epoch', CANONICAL_TIME, ...(e.args ?? []), file]);
    return { r, got: readFileSync(file) };
  };
  if (e.expect === 'todo') {
    table.push(`${name.padEnd(36)} todo: ${e.why}`);
    t.test(name, { todo: e.why }, async (t) => {
      const { got } = run(t);
      t.ok(got.equals(want), 'byte-equal to the expected output');
    });
    continue;
  }
  t.test(`${name}: ${e.expect}${e.why ? ` (${e.why})` : ''}`, async (t) => {
    const { r, got } = run(t);
    if (!(e.expect === 'difference' && e.sizeDiffers)) t.equal(got.length, want.length, 'the size the expected output has');
    if (e.expect === 'equal') {
      t.equal(r.code, e.code ?? 0, r.stderr);
      t.ok(got.equals(want), 'byte-equal to the expected output');
    } else {
      t.equal(r.code, 0, r.stderr);
      t.notOk(got.equals(want), 'not byte-equal: the documented difference');
      e.check(t, got, want, input);
    }
    table.push(`${name.padEnd(36)} ${e.expect === 'equal' ? 'equal' : 'documented difference'}${e.why ? `: ${e.why}` : ''}`);
  });
}

t.teardown(() => {
  console.log(`# strip-nondeterminism fixtures (epoch ${CANONICAL_TIME}):\n${table.map((l) => `#   ${l}`).join('\n')}`);
});
