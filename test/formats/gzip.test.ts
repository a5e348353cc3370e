import t from 'tap';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { cli, copySample, have, samples, sh, sha256, tempDir, expectRefused, type Corrupt } from '../helpers.js';

interface PairCase {
  dir: string;
  file: string;
  identical?: boolean;
  /** FLG.FHCRC set: zlib checks the recomputed header CRC on decompression. */
  hcrc?: boolean;
}

const pairs: PairCase[] = [
  { dir: 'gzip/gnu', file: 'hello.txt.gz' },
  { dir: 'gzip/gnu-n', file: 'hello.txt.gz', identical: true },
  { dir: 'gzip/perl-full', file: 'full.gz' },
  { dir: 'gzip/zlib-full', file: 'full.gz', hcrc: true },
];

for (const c of pairs) {
  t.test(`${c.dir}: pair made identical, still valid gzip, payload unchanged, idempotent`, async (t) => {
    const dir = copySample(t, c.dir);
    const a = path.join(dir, 'a', c.file);
    const b = path.join(dir, 'b', c.file);
    if (c.identical) t.equal(sha256(a), sha256(b), 'both builds are already identical (gzip -n)');
    else t.not(sha256(a), sha256(b), 'the two builds differ before');
    const payload = gunzipSync(readFileSync(a));
    t.ok(payload.equals(gunzipSync(readFileSync(b))), 'same payload in both builds');

    t.equal(cli(['check', dir]).code, c.identical ? 0 : 1);
    const run = cli(['-v', dir]);
    t.equal(run.code, 0, run.stderr);
    if (c.hcrc) t.match(run.stdout, /FHCRC: 0x[0-9a-f]+ -> 0x[0-9a-f]+/, 'the header CRC is recomputed');
    t.equal(sha256(a), sha256(b), 'byte-identical after');
    // zlib verifies the header CRC when FHCRC is set, and the trailer CRC-32 of the data.
    t.ok(gunzipSync(readFileSync(a)).equals(payload), 'zlib decompresses the same payload');
    t.equal(readFileSync(a).readUInt32LE(4), 0, 'MTIME is 0 with the default epoch');
    if (have('gzip')) t.equal(sh('gzip', ['-t', a]).code, 0, 'gzip -t accepts it');
    else t.skip('gzip -t: gzip is not installed');
    t.equal(cli(['check', dir]).code, 0, 'check exits 0 after');
    t.equal(JSON.parse(cli(['--json', dir]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
  });
}

t.test('an MTIME of 0 ("no time stored", gzip -n) stays 0 whatever the epoch, with or without --clamp', async (t) => {
  const dir = copySample(t, 'gzip/gnu-n');
  const a = path.join(dir, 'a', 'hello.txt.gz');
  const before = readFileSync(a);
  t.equal(before.readUInt32LE(4), 0, 'gzip -n stored no time');
  for (const args of [['--epoch', '1700000000'], ['--epoch', '1700000000', '--clamp']]) {
    t.equal(cli(['check', ...args, a]).code, 0, `check ${args.join(' ')}: nothing to change`);
    const r = cli([...args, a]);
    t.equal(r.code, 0, r.stderr);
    t.ok(readFileSync(a).equals(before), `${args.join(' ')}: the file keeps every byte`);
  }
  // A stored time still becomes the epoch: only 0 is special.
  const stamped = copySample(t, 'gzip/gnu');
  const g = path.join(stamped, 'a', 'hello.txt.gz');
  t.not(readFileSync(g).readUInt32LE(4), 0);
  t.equal(cli(['--epoch', '1700000000', g]).code, 0);
  t.equal(readFileSync(g).readUInt32LE(4), 1700000000, 'a non-zero MTIME is set to the epoch');
});

t.test('--gzip-name drop: two gzip runs over temporary names become identical, shorter, and still valid', { skip: !have('gzip') && 'gzip is not installed' }, async (t) => {
  // The same content compressed twice by GNU gzip under the temporary names a build step
  // gives its input: FNAME (and MTIME) differ.
  const dir = tempDir(t);
  const payload = readFileSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'));
  const files = ['a/tmp.Xy12ab.txt', 'b/tmp.Q9zz70.txt'].map((rel, i) => {
    const src = path.join(dir, rel);
    mkdirSync(path.dirname(src), { recursive: true });
    writeFileSync(src, gunzipSync(payload));
    utimesSync(src, 1600000000 + i * 86400, 1600000000 + i * 86400);
    t.equal(sh('gzip', [src]).code, 0, `gzip ${rel}`);
    return `${src}.gz`;
  });
  const [a, b] = files;
  const before = files.map((f) => readFileSync(f));
  t.not(sha256(a), sha256(b), 'the two differ before');
  t.equal(cli(['--epoch', '0', dir]).code, 0);
  t.not(sha256(a), sha256(b), 'without --gzip-name drop the names still differ');
  t.equal(cli(['check', '--gzip-name', 'drop', dir]).code, 1, 'check sees the names');
  const r = cli(['-v', '--gzip-name', 'drop', dir]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /FNAME\/FCOMMENT: FNAME "tmp\.Xy12ab\.txt" -> dropped/);
  t.equal(sha256(a), sha256(b), 'byte-identical after');
  const after = readFileSync(a);
  t.equal(after.length, before[0].length - 'tmp.Xy12ab.txt'.length - 1, 'shorter by the name and its NUL');
  t.equal(after[3] & 0x08, 0, 'FLG.FNAME cleared');
  t.ok(gunzipSync(after).equals(gunzipSync(payload)), 'the same payload');
  t.equal(sh('gzip', ['-t', a]).code, 0, 'gzip -t accepts it');
  t.notOk(after.includes('tmp.Xy12ab'), 'the name is nowhere in the file');
  t.equal(JSON.parse(cli(['--json', '--gzip-name', 'drop', dir]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
});

t.test('--gzip-name drop with FEXTRA, FCOMMENT and FHCRC (zlib): the header CRC is recomputed for the shorter header', async (t) => {
  const dir = copySample(t, 'gzip/zlib-full');
  const a = path.join(dir, 'a', 'full.gz');
  const before = readFileSync(a);
  const r = cli(['-v', '--gzip-name', 'drop', dir]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /FNAME "full\.txt", FCOMMENT \(14 bytes\) -> dropped/);
  const after = readFileSync(a);
  t.equal(after.length, before.length - 'full.txt'.length - 1 - 'sample comment'.length - 1);
  t.equal(after[3] & 0x18, 0, 'FNAME and FCOMMENT flags cleared');
  t.equal(after[3] & 0x06, before[3] & 0x06, 'FEXTRA and FHCRC kept');
  // zlib checks FHCRC against the header it reads.
  t.ok(gunzipSync(after).equals(gunzipSync(before)), 'zlib accepts the header CRC and gives the same payload');
  t.equal(sha256(a), sha256(path.join(dir, 'b', 'full.gz')), 'the pair is identical');
  if (have('gzip')) t.equal(sh('gzip', ['-t', a]).code, 0, 'gzip -t accepts it');
});

t.test('multi-member file: only the first member header is rewritten (documented limit)', async (t) => {
  const dir = copySample(t, 'gzip/multi');
  const a = path.join(dir, 'a', 'multi.gz');
  const b = path.join(dir, 'b', 'multi.gz');
  const before = readFileSync(b);
  const second = before.indexOf(Buffer.from([0x1f, 0x8b, 8]), 10);
  t.ok(second > 0, 'a second member exists');
  t.equal(cli(['--epoch', '1000', dir]).code, 0);
  const [afterA, afterB] = [readFileSync(a), readFileSync(b)];
  t.equal(afterB.readUInt32LE(4), 1000, 'first member MTIME set');
  t.ok(afterB.subarray(10).equals(before.subarray(10)), 'nothing after the first fixed header changes');
  const differing = [...afterA.keys()].filter((i) => afterA[i] !== afterB[i]);
  t.ok(differing.length > 0 && differing.every((i) => i >= second + 4 && i < second + 8), 'the builds now differ only in the second member MTIME');
  t.ok(gunzipSync(afterB).equals(gunzipSync(before)), 'payload unchanged');
});

t.test('--clamp keeps an older MTIME and lowers a newer one', async (t) => {
  const dir = copySample(t, 'gzip/gnu');
  const a = path.join(dir, 'a', 'hello.txt.gz');
  const b = path.join(dir, 'b', 'hello.txt.gz');
  const olderA = readFileSync(a).readUInt32LE(4);
  const epoch = 1600000000;
  t.ok(olderA < epoch && readFileSync(b).readUInt32LE(4) > epoch, 'build a predates the epoch, build b does not');
  t.equal(cli(['--clamp', '--epoch', String(epoch), dir]).code, 0);
  t.equal(readFileSync(a).readUInt32LE(4), olderA);
  t.equal(readFileSync(b).readUInt32LE(4), epoch);
});

t.test('a header CRC that was already wrong is replaced by the right one', async (t) => {
  // IO::Compress::Gzip 2.106 stores only the low byte of the header CRC (see samples/README.md).
  const file = copySample(t, 'invalid/gzip-perl-hcrc/a/full.gz');
  t.throws(() => gunzipSync(readFileSync(file)), /header crc mismatch/i, 'zlib rejects the tool output');
  t.equal(cli([file]).code, 0);
  t.doesNotThrow(() => gunzipSync(readFileSync(file)), 'zlib accepts it after');
});

const real = readFileSync(path.join(samples, 'gzip/zlib-full/a/full.gz'));
const withByte = (at: number, v: number) => {
  const b = Buffer.from(real);
  b[at] = v;
  return b;
};
const corrupt: Corrupt[] = [
  { name: 'truncated fixed header', bytes: real.subarray(0, 7), message: /gzip header at 0x0 \(10 bytes\) runs past the end \(size 0x7\)/ },
  { name: 'compression method not deflate', bytes: withByte(2, 7), message: /compression method at 0x2 is 7, not 8/ },
  { name: 'reserved flag bits', bytes: withByte(3, real[3] | 0x80), message: /reserved bits 0xe0 are set/ },
  { name: 'XLEN past the end', bytes: Buffer.concat([real.subarray(0, 10), Buffer.from([0xff, 0xff]), Buffer.alloc(20)]), message: /XLEN 65535 runs past the end of the file/ },
  { name: 'FNAME without NUL', bytes: Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x08, 1, 2, 3, 4, 0, 3]), Buffer.from('name-without-end')]), message: /gzip FNAME at 0xa has no terminating NUL/ },
  { name: 'no room for the trailer', bytes: real.subarray(0, real.indexOf(0, 40) + 4), message: /leaving no room for compressed data and the 8-byte trailer|runs past the end/ },
];
for (const c of corrupt) {
  t.test(`corrupt gzip (${c.name}) exits 3 and is left untouched`, async (t) => expectRefused(t, { ...c, file: 'bad.gz' }));
}
