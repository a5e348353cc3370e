import t from 'tap';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { cli, copySample, expectRefused, have, samples, sh, sha256, tempDir } from '../helpers.js';

/** The chunks of a PNG: type, data and where the chunk starts. */
function chunks(buf: Buffer): { type: string; data: Buffer; at: number }[] {
  const out = [];
  for (let pos = 8; pos + 12 <= buf.length; ) {
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    out.push({ type, data: buf.subarray(pos + 8, pos + 8 + length), at: pos });
    pos += 12 + length;
    if (type === 'IEND') break;
  }
  return out;
}

/** A chunk with its length and CRC, as a writer makes it. */
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])));
  return Buffer.concat([head, data, crc]);
}

/** `png` with `extra` chunks put before IEND. */
function withChunks(png: Buffer, extra: Buffer[]): Buffer {
  const iend = chunks(png).find((c) => c.type === 'IEND')!;
  return Buffer.concat([png.subarray(0, iend.at), ...extra, png.subarray(iend.at)]);
}

const idat = (buf: Buffer) => Buffer.concat(chunks(buf).filter((c) => c.type === 'IDAT').map((c) => c.data));
/** What ImageMagick decodes: the pixels as RGBA bytes. */
const pixels = (file: string) => sh('convert', [file, 'rgba:-']).stdout;

const EPOCH = 1700000000; // 2023-11-14 22:13:20 UTC

for (const v of ['imagemagick', 'imagemagick-zip']) {
  t.test(`png/${v}: pair made identical, pngcheck accepts, pixels unchanged, idempotent`, async (t) => {
    const dir = copySample(t, `png/${v}`);
    const a = path.join(dir, 'a', 'image.png');
    const b = path.join(dir, 'b', 'image.png');
    t.not(sha256(a), sha256(b), 'the two builds differ before');
    const before = readFileSync(a);
    const beforePixels = have('convert') ? pixels(a) : undefined;
    t.equal(cli(['check', dir]).code, 1, 'check sees what would change');

    const r = cli(['-v', '--epoch', String(EPOCH), dir]);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /tIME: 1614834367 \(2021-03-04 05:06:07 UTC\) -> 1700000000 \(2023-11-14 22:13:20 UTC\)/);
    const kind = v === 'imagemagick' ? 'tEXt' : 'zTXt';
    t.match(r.stdout, new RegExp(`${kind} "date:create": "2021-03-04T05:06:07\\+00:00" \\(ISO 8601[^)]*\\) -> "2023-11-14T22:13:20\\+00:00"`));
    t.match(r.stdout, new RegExp(`${kind} "date:modify": "2020-01-02T03:04:05\\+00:00"`));
    t.equal(sha256(a), sha256(b), 'byte-identical after');

    const after = readFileSync(a);
    t.equal(after.length, before.length, 'same size');
    t.ok(idat(after).equals(idat(before)), 'IDAT bytes unchanged');
    const time = chunks(after).find((c) => c.type === 'tIME')!.data;
    t.same([time.readUInt16BE(0), ...time.subarray(2)], [2023, 11, 14, 22, 13, 20], 'tIME is the epoch in UTC');
    for (const c of chunks(after).filter((x) => x.type === kind)) {
      const nul = c.data.indexOf(0);
      const value = kind === 'tEXt' ? c.data.subarray(nul + 1) : inflateSync(c.data.subarray(nul + 2));
      t.equal(value.toString('latin1'), '2023-11-14T22:13:20+00:00', `${c.data.toString('latin1', 0, nul)} holds the epoch (zlib inflates it)`);
    }
    if (have('pngcheck')) {
      const check = sh('pngcheck', ['-v', a]);
      t.equal(check.code, 0, `pngcheck -v accepts it: ${check.stdout.toString().split('\n').slice(-2).join(' ')}`);
      t.match(check.stdout.toString(), /tIME .*14 Nov 2023 22:13:20 UTC/);
    } else t.skip('pngcheck is not installed');
    if (beforePixels) t.ok(pixels(a).equals(beforePixels), 'ImageMagick decodes the same pixels');
    else t.skip('convert is not installed');
    t.equal(cli(['check', '--epoch', String(EPOCH), dir]).code, 0, 'check exits 0 after');
    t.equal(JSON.parse(cli(['--json', '--epoch', String(EPOCH), dir]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
  });
}

t.test('epoch 0: the file is valid PNG; pngcheck\'s only complaint is its own rule that a tIME year is >= 1995', { skip: !have('pngcheck') && 'pngcheck is not installed' }, async (t) => {
  const dir = copySample(t, 'png/imagemagick');
  const a = path.join(dir, 'a', 'image.png');
  t.equal(cli([a]).code, 0);
  const check = sh('pngcheck', [a]).stdout.toString();
  t.match(check, /invalid tIME year \(1970\)/, 'pngcheck 3.0.3 refuses years before PNG existed');
  // Every other check passes: the same file with a 1995 tIME is accepted.
  t.equal(cli(['--epoch', '1995-01-01', a]).code, 0);
  t.equal(sh('pngcheck', [a]).code, 0, 'with a tIME in 1995 pngcheck accepts it');
});

t.test('--clamp keeps older dates in every field and lowers newer ones', async (t) => {
  const dir = copySample(t, 'png/imagemagick');
  const a = path.join(dir, 'a', 'image.png');
  const b = path.join(dir, 'b', 'image.png');
  const beforeA = readFileSync(a);
  t.equal(cli(['--clamp', '--epoch', '2022-01-01', dir]).code, 0);
  t.ok(readFileSync(a).equals(beforeA), 'build a (2021) predates the epoch: every byte kept');
  const text = chunks(readFileSync(b)).filter((c) => c.type === 'tEXt').map((c) => c.data.toString('latin1').replace('\0', '='));
  t.same(text, ['date:create=2022-01-01T00:00:00+00:00', 'date:modify=2022-01-01T00:00:00+00:00'], 'build b (2022-06, 2023-09) lowered to the epoch');
});

t.test('iTXt and zTXt dates of other shapes (RFC 1123, asctime), compressed or not; a value that cannot fit is noted', async (t) => {
  const dir = tempDir(t);
  const base = readFileSync(path.join(samples, 'png/imagemagick/a/image.png'));
  const itxt = (keyword: string, text: string, compressed: boolean) =>
    chunk('iTXt', Buffer.concat([Buffer.from(`${keyword}\0${compressed ? '\x01' : '\0'}\0\0\0`, 'latin1'), compressed ? deflateSync(text, { level: 9 }) : Buffer.from(text)]));
  const file = path.join(dir, 'more.png');
  writeFileSync(
    file,
    withChunks(base, [
      itxt('Creation Time', 'Sat, 27 Nov 2021 10:11:12 GMT', false),
      itxt('Modification Time', 'Mon Nov  1 08:09:10 2021', true),
      chunk('zTXt', Buffer.concat([Buffer.from('date:timestamp\0\0', 'latin1'), deflateSync('2021-11-27T10:11:12Z')])),
      // One digit of day cannot hold the 14th: noted, kept.
      chunk('tEXt', Buffer.from('Creation Time\x001 Nov 2021 08:09:10 +0100', 'latin1')),
      chunk('tEXt', Buffer.from('date:other\0not a date', 'latin1')),
    ]),
  );
  const e = cli(['explain', '--epoch', String(EPOCH), file]);
  t.equal(e.code, 0, e.stderr);
  t.match(e.stdout, /iTXt "Creation Time": "Sat, 27 Nov 2021 10:11:12 GMT" \(RFC 1123\) -> "Tue, 14 Nov 2023 22:13:20 GMT"/);
  t.match(e.stdout, /iTXt "Modification Time": "Mon Nov  1 08:09:10 2021" \(asctime, zlib, \d+ bytes\) -> "Tue Nov 14 22:13:20 2023"/);
  t.match(e.stdout, /zTXt "date:timestamp": "2021-11-27T10:11:12Z" \(ISO 8601, zlib, \d+ bytes\) -> "2023-11-14T22:13:20Z"/);
  t.match(e.stdout, /tEXt "Creation Time" at 0x[0-9a-f]+: "1 Nov 2021 08:09:10 \+0100" \(RFC 1123\) cannot hold the new time at the same length; left as it is/);
  t.match(e.stdout, /tEXt "date:other" at 0x[0-9a-f]+: "not a date" is not a date in a shape unstamp knows/);
  const before = readFileSync(file);
  t.equal(cli(['--epoch', String(EPOCH), file]).code, 0);
  const after = readFileSync(file);
  t.equal(after.length, before.length, 'same size');
  const get = (type: string, keyword: string) => chunks(after).find((c) => c.type === type && c.data.toString('latin1').startsWith(`${keyword}\0`))!.data;
  t.equal(inflateSync(get('iTXt', 'Modification Time').subarray('Modification Time'.length + 5)).toString(), 'Tue Nov 14 22:13:20 2023', 'the compressed iTXt inflates to the epoch');
  t.equal(inflateSync(get('zTXt', 'date:timestamp').subarray('date:timestamp'.length + 2)).toString(), '2023-11-14T22:13:20Z');
  if (have('pngcheck')) t.equal(sh('pngcheck', ['-v', file]).code, 0, 'pngcheck accepts every CRC and chunk');
  t.equal(cli(['check', '--epoch', String(EPOCH), file]).code, 0, 'idempotent');
});

t.test('bad input is refused with the offset, the file untouched', async (t) => {
  const good = readFileSync(path.join(samples, 'png/imagemagick/a/image.png'));
  const time = chunks(good).find((c) => c.type === 'tIME')!;
  const badCrc = Buffer.from(good);
  badCrc[time.at + 8] ^= 1;
  expectRefused(t, { name: 'crc', bytes: badCrc, file: 'crc.png', message: /PNG chunk tIME at 0x9a: CRC 0x[0-9a-f]+ does not match the computed 0x[0-9a-f]+/ }, 'png/imagemagick/b/image.png');
  const long = Buffer.from(good);
  long.writeUInt32BE(0x1000, time.at);
  expectRefused(t, { name: 'length', bytes: long, file: 'long.png', message: /PNG chunk tIME at 0x9a: length 4096 runs past the end of the file/ });
  expectRefused(t, { name: 'truncated', bytes: good.subarray(0, good.length - 12), file: 'cut.png', message: /PNG ends at 0x[0-9a-f]+ without an IEND chunk/ });
  // The tIME chunk (7 bytes of data, 19 in all) replaced by one of 6 bytes with a good CRC.
  const shortTime = Buffer.concat([good.subarray(0, time.at), chunk('tIME', Buffer.from([7, 0xe5, 1, 1, 0, 0])), good.subarray(time.at + 19)]);
  expectRefused(t, { name: 'tIME length', bytes: shortTime, file: 'time.png', message: /PNG tIME chunk at 0x[0-9a-f]+: length 6, not 7/ });
});

t.test('bytes after IEND are kept and noted', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'tail.png');
  writeFileSync(file, Buffer.concat([readFileSync(path.join(samples, 'png/imagemagick/a/image.png')), Buffer.from('trailing junk')]));
  const e = cli(['explain', file]);
  t.match(e.stdout, /13 bytes after the IEND chunk kept as they are/);
  t.equal(cli([file]).code, 0);
  t.ok(readFileSync(file).subarray(-13).equals(Buffer.from('trailing junk')), 'the trailing bytes are kept');
});

t.test('a compressed date that compresses shorter (epoch 0) is padded to its length with empty deflate blocks; zlib reads it', async (t) => {
  const dir = copySample(t, 'png/imagemagick-zip');
  const a = path.join(dir, 'a', 'image.png');
  const b = path.join(dir, 'b', 'image.png');
  // "1970-01-01T00:00:00+00:00" deflates to 26 bytes at every level; the chunks hold 33.
  t.equal(deflateSync('1970-01-01T00:00:00+00:00', { level: 9 }).length, 26);
  const r = cli(['-v', '--epoch', '0', dir]);
  t.equal(r.code, 0, r.stderr);
  t.equal(sha256(a), sha256(b), 'byte-identical after');
  const z = chunks(readFileSync(a)).filter((c) => c.type === 'zTXt');
  t.equal(z.length, 2);
  for (const c of z) {
    const stream = c.data.subarray(c.data.indexOf(0) + 2);
    t.equal(stream.length, 33, 'the chunk keeps its length');
    t.equal(inflateSync(stream).toString(), '1970-01-01T00:00:00+00:00', 'Node zlib inflates it');
    // Python's zlib module, a separate reader of the same stream, checks the Adler-32 too.
    const py = sh('/usr/bin/python3', ['-c', 'import sys,zlib; sys.stdout.write(zlib.decompress(bytes.fromhex(sys.argv[1])).decode())', stream.toString('hex')]);
    t.equal(py.stdout.toString(), '1970-01-01T00:00:00+00:00', 'Python zlib inflates it');
  }
  if (have('pngcheck')) t.match(sh('pngcheck', [a]).stdout.toString(), /invalid tIME year \(1970\)/, 'pngcheck: only its tIME year rule (every CRC good)');
  t.equal(JSON.parse(cli(['--json', '--epoch', '0', dir]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
});

t.test('a PNG stored in a zip (as in jars and APKs) is normalized in place as a member', { skip: !have('zip') && 'zip is not installed' }, async (t) => {
  const dir = tempDir(t);
  const zips = ['a', 'b'].map((side) => {
    const src = path.join(dir, side);
    cpSync(path.join(samples, 'png/imagemagick', side), src, { recursive: true });
    const out = path.join(dir, `${side}.zip`);
    t.equal(sh('zip', ['-0', '-X', '-q', out, 'image.png'], src).code, 0, `zip -0 ${side}`);
    return out;
  });
  t.not(sha256(zips[0]), sha256(zips[1]));
  const r = cli(['-v', '--epoch', String(EPOCH), ...zips]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /image\.png: tIME: 1614834367 .* -> 1700000000/);
  t.equal(sha256(zips[0]), sha256(zips[1]), 'the two zips are byte-identical');
  t.equal(sh('unzip', ['-tqq', zips[0]]).code, 0, 'unzip -t: the member CRC-32 was recomputed');
  const png = sh('unzip', ['-p', zips[0], 'image.png']).stdout;
  t.same([...chunks(png).find((c) => c.type === 'tIME')!.data], [0x07, 0xe7, 11, 14, 22, 13, 20], 'the member\'s tIME is the epoch');
});
