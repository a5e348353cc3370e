// Deflated zip members of a known format: inflated, normalized, deflated again. The
// archives are made here with the real tools (ar, zip, jar, zipalign), twice, at
// different times and owners.
import t from 'tap';
import { chownSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { cli, copySample, expectRefused, have, sh, sha256, tempDir } from '../helpers.js';

const PY = '/usr/bin/python3';

/** Every member's name and inflated bytes (Python's zipfile checks each CRC-32 as it reads). */
function members(file: string): Map<string, Buffer> {
  const code = 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor i in z.infolist(): sys.stdout.write(i.filename + "\\0" + z.read(i).hex() + "\\n")';
  const r = sh(PY, ['-c', code, file]);
  if (r.code !== 0) throw new Error(`zipfile rejected ${file}: ${r.stderr}`);
  return new Map(r.stdout.toString().trim().split('\n').map((l) => l.split('\0')).map(([n, h]) => [n, Buffer.from(h, 'hex')]));
}

/** A GNU ar archive of two text files, with real times and owners (ar U), as build `side` makes it. */
function makeAr(dir: string, side: number): string {
  const src = path.join(dir, `ar-src-${side}`);
  mkdirSync(src, { recursive: true });
  for (const f of ['x.txt', 'y.txt']) {
    writeFileSync(path.join(src, f), `member ${f}\n`.repeat(20));
    chownSync(path.join(src, f), 1000 + side * 3321, 1000 + side * 7765);
    utimesSync(path.join(src, f), 1577934245 + side * 76655105, 1577934245 + side * 76655105);
  }
  const out = path.join(src, 'libx.a');
  if (sh('ar', ['rcU', out, 'x.txt', 'y.txt'], src).code !== 0) throw new Error('ar failed');
  return out;
}

/** The bytes unstamp makes of `bytes` as a file of its own. */
function normalizedAlone(t: Parameters<typeof tempDir>[0], bytes: Buffer, name: string): Buffer {
  const f = path.join(tempDir(t), name);
  writeFileSync(f, bytes);
  if (cli([f]).code !== 0) throw new Error(`unstamp ${name} failed`);
  return readFileSync(f);
}

t.test('an aligned APK with a deflated .a inside: identical after, the .a normalized, zipalign -c -p 4 still passes', { skip: ['zip', 'zipalign', 'ar', 'unzip'].some((x) => !have(x)) && 'zip, zipalign, ar or unzip missing' }, async (t) => {
  const dir = tempDir(t);
  const apks = [0, 1].map((side) => {
    const src = path.join(dir, `src-${side}`);
    mkdirSync(path.join(src, 'res'), { recursive: true });
    writeFileSync(path.join(src, 'AndroidManifest.xml'), 'manifest\n');
    writeFileSync(path.join(src, 'res', 'odd-name-1.bin'), Buffer.alloc(333, 7));
    writeFileSync(path.join(src, 'res', 'ab.png'), Buffer.alloc(100, 9));
    writeFileSync(path.join(src, 'libx.a'), readFileSync(makeAr(dir, side)));
    for (const f of ['AndroidManifest.xml', 'res/odd-name-1.bin', 'res/ab.png', 'libx.a']) utimesSync(path.join(src, f), 1600000000 + side * 1e7, 1600000000 + side * 1e7);
    const raw = path.join(dir, `raw-${side}.apk`);
    // The manifest and the .a deflated, the resources stored: zipalign pads the stored ones.
    t.equal(sh('zip', ['-q', '-X', raw, 'AndroidManifest.xml', 'libx.a'], src).code, 0);
    t.equal(sh('zip', ['-q', '-X', '-0', raw, 'res/odd-name-1.bin', 'res/ab.png'], src).code, 0);
    const apk = path.join(dir, `app-${side}.apk`);
    t.equal(sh('zipalign', ['-f', '-p', '4', raw, apk]).code, 0, 'zipalign');
    return apk;
  });
  const [a, b] = apks;
  t.equal(sh('zipalign', ['-c', '-p', '4', a]).code, 0, 'aligned before');
  t.not(sha256(a), sha256(b), 'the builds differ');
  const before = members(a);
  t.not(members(b).get('libx.a')!.equals(before.get('libx.a')!), 'the .a inside differs between the builds');
  const expected = normalizedAlone(t, before.get('libx.a')!, 'libx.a');

  const check = cli(['check', '-v', a]);
  t.equal(check.code, 1);
  t.match(check.stdout, /libx\.a \(ar\): member x\.txt ar_date: .* -> 0/);
  t.match(check.stdout, /libx\.a \(ar\): deflate data: deflated \(\d+ bytes\) -> recompressed at level 6; CRC-32, sizes and offsets rewritten/);
  const r = cli([...apks, '-v']);
  t.equal(r.code, 0, r.stderr);
  t.equal(sha256(a), sha256(b), 'byte-identical after');
  t.equal(sh('zipalign', ['-c', '-p', '4', a]).code, 0, 'zipalign -c -p 4 still passes');
  t.equal(sh('unzip', ['-tqq', a]).code, 0, 'unzip -t accepts it');
  const after = members(a);
  t.ok(after.get('libx.a')!.equals(expected), 'the .a inside is what unstamp makes of it alone');
  for (const [name, data] of before) if (name !== 'libx.a') t.ok(after.get(name)!.equals(data), `${name}: same contents`);
  const loose = path.join(tempDir(t), 'libx.a');
  writeFileSync(loose, after.get('libx.a')!);
  t.match(sh('env', ['TZ=UTC', 'ar', 'tv', loose]).stdout.toString(), /^rw-r--r-- 0\/0 +\d+ Jan  1 00:00 1970 x\.txt$/m, 'ar lists the normalized .a');
  t.equal(cli(['check', a]).code, 0, 'check: clean after');
});

t.test('jar: a deflated nested jar (data descriptors, level from the flags) made identical; jar tf and zipfile accept it', { skip: ['jar', 'zip'].some((x) => !have(x)) && 'jar or zip missing' }, async (t) => {
  const dir = tempDir(t);
  const outers = [0, 1].map((side) => {
    const src = path.join(dir, `j-${side}`);
    mkdirSync(path.join(src, 'inner'), { recursive: true });
    writeFileSync(path.join(src, 'inner', 'a.txt'), 'inner text\n'.repeat(30));
    const time = 1600000000 + side * 12345678;
    utimesSync(path.join(src, 'inner', 'a.txt'), time, time);
    t.equal(sh('jar', ['cf', 'inner.jar', '-C', 'inner', 'a.txt'], src).code, 0, 'jar (inner)');
    utimesSync(path.join(src, 'inner.jar'), time, time);
    writeFileSync(path.join(src, 'readme.txt'), 'readme\n');
    utimesSync(path.join(src, 'readme.txt'), time, time);
    t.equal(sh('jar', ['cf', 'outer.jar', 'inner.jar', 'readme.txt'], src).code, 0, 'jar (outer)');
    return path.join(src, 'outer.jar');
  });
  const [a, b] = outers;
  t.not(sha256(a), sha256(b));
  const raw = readFileSync(a);
  const local = raw.indexOf(Buffer.from('inner.jar'));
  t.ok(raw.readUInt16LE(local - 30 + 6) & 0x08, 'jar wrote a data descriptor for the nested jar');
  const expected = normalizedAlone(t, members(a).get('inner.jar')!, 'inner.jar');
  const r = cli(['-v', ...outers]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /inner\.jar \(zip\): a\.txt: local DOS time\/date/);
  t.equal(sha256(a), sha256(b), 'byte-identical after');
  t.ok(members(a).get('inner.jar')!.equals(expected), 'the nested jar is what unstamp makes of it alone');
  t.match(sh('jar', ['tf', a]).stdout.toString(), /inner\.jar/, 'jar tf lists it');
  if (have('unzip')) t.equal(sh('unzip', ['-tqq', a]).code, 0, 'unzip -t accepts it');
  // The recompressed data is zlib's deflate at the level the member's flags name (jar: 0 -> 6).
  const out = readFileSync(a);
  const at = out.indexOf(Buffer.from('inner.jar'));
  const flags = out.readUInt16LE(at - 30 + 6);
  t.equal((flags >> 1) & 3, 0, 'jar uses the normal option');
  const dataAt = at + out.readUInt16LE(at - 30 + 26) + out.readUInt16LE(at - 30 + 28);
  const deflated = deflateRawSync(expected, { level: 6 });
  t.ok(out.subarray(dataAt, dataAt + deflated.length).equals(deflated), 'level 6 deflate of the normalized jar');
  t.equal(out.readUInt32LE(dataAt + deflated.length), 0x08074b50, 'a data descriptor (with its signature, as jar wrote it) follows');
  t.equal(cli(['check', ...outers]).code, 0, 'clean after');
});

t.test('corrupt: a deflated member of a known format whose CRC-32 does not match is refused, untouched', { skip: !have('zip') && 'zip missing' }, async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'inner.a'), readFileSync(makeAr(dir, 0)));
  t.equal(sh('zip', ['-q', '-X', 'o.zip', 'inner.a'], dir).code, 0);
  const bytes = readFileSync(path.join(dir, 'o.zip'));
  const cd = bytes.indexOf(Buffer.from([0x50, 0x4b, 1, 2]));
  bytes.writeUInt32LE((bytes.readUInt32LE(cd + 16) ^ 1) >>> 0, cd + 16);
  await expectRefused(t, { name: 'crc', file: 'bad.zip', bytes, message: /member inner\.a: CRC-32 0x[0-9a-f]+ and size \d+ in the central directory do not match the inflated data's/ });
});

t.test('a -javadoc.jar built twice (javadoc + jar under faketime): different today with --recompress never, identical with auto', { skip: ['javadoc', 'jar', 'faketime', 'unzip'].some((x) => !have(x)) && 'javadoc, jar, faketime or unzip missing' }, async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'src', 'demo'), { recursive: true });
  writeFileSync(path.join(dir, 'src', 'demo', 'Hello.java'), 'package demo;\n/** A demo class. */\npublic class Hello {\n  /** Says hello. @return a greeting */\n  public String hi() { return "hi"; }\n}\n');
  const jars = ['2021-03-04 05:06:07', '2023-09-10 11:12:13'].map((clock, i) => {
    const doc = path.join(dir, `doc-${i}`);
    t.equal(sh('faketime', ['-f', `@${clock}`, 'javadoc', '-quiet', '-d', doc, '-sourcepath', path.join(dir, 'src'), 'demo']).code, 0, `javadoc at ${clock}`);
    const jar = path.join(dir, `${i}`, 'demo-javadoc.jar');
    mkdirSync(path.dirname(jar));
    t.equal(sh('faketime', ['-f', `@${clock}`, 'jar', 'cf', jar, '-C', doc, '.']).code, 0, 'jar');
    return jar;
  });
  const [a, b] = jars;
  const pages = (f: string) => [...members(f).keys()].filter((n) => n.endsWith('.html')).length;
  t.ok(pages(a) > 3, `javadoc wrote ${pages(a)} pages`);
  const raw = readFileSync(a);
  t.equal(raw.readUInt16LE(raw.indexOf(Buffer.from('demo/Hello.html')) - 30 + 8), 8, 'jar deflated the pages');
  t.not(sha256(a), sha256(b));

  t.equal(cli(['--recompress', 'never', ...jars]).code, 0);
  t.not(sha256(a), sha256(b), 'in place only, the deflated pages still differ');
  const explain = cli(['explain', '--recompress', 'never', a]).stdout;
  t.match(explain, /kept: demo\/Hello\.html \(javadoc\): \d+ fields would change, not recompressed: --recompress never/);

  const r = cli(['-v', ...jars]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /demo\/Hello\.html \(javadoc\): .*-> /);
  t.match(r.stdout, /demo\/Hello\.html \(javadoc\): deflate data: deflated \(\d+ bytes\) -> recompressed at level 6/);
  t.equal(sha256(a), sha256(b), 'byte-identical after');
  t.equal(sh('unzip', ['-tqq', a]).code, 0, 'unzip -t accepts it');
  const page = members(a).get('demo/Hello.html')!.toString('utf8');
  t.match(page, /<!-- Generated by javadoc \(\d+\)/, 'the page keeps its generator comment');
  t.notMatch(page, /2021|2023/, 'and no build date');
  t.equal(cli(['check', ...jars]).code, 0, 'clean after');
});

t.test('a jar of Java classes (0xcafebabe, like a fat Mach-O) is normalized: the deflated classes are not taken for Mach-O', { skip: ['javac', 'jar'].some((x) => !have(x)) && 'javac or jar missing' }, async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'Hello.java'), 'public class Hello { public static void main(String[] a) { System.out.println("hi"); } }\n');
  t.equal(sh('javac', ['--release', '8', 'Hello.java'], dir).code, 0, 'javac');
  const cls = readFileSync(path.join(dir, 'Hello.class'));
  t.equal(cls.readUInt32BE(0), 0xcafebabe, 'a class file starts with the fat Mach-O magic');
  t.equal(cls.readUInt32BE(4), 52, 'and its version (minor 0, major 52) reads as nfat_arch 52');
  t.match(cli(['-v', path.join(dir, 'Hello.class')]).stdout, /skipped +.*Hello\.class: unknown format/, 'alone it is no known format');
  t.equal(sh('jar', ['cf', 'app.jar', 'Hello.class'], dir).code, 0, 'jar');
  const r = cli([path.join(dir, 'app.jar')]);
  t.equal(r.code, 0, r.stderr);
  t.equal(cli(['check', path.join(dir, 'app.jar')]).code, 0, 'normalized, then clean');
});

t.test('a PNG deflated in a jar (ImageMagick + jar under faketime): its tIME and date texts normalized, the jar identical, pngcheck accepts the PNG', { skip: ['convert', 'jar', 'faketime', 'pngcheck'].some((x) => !have(x)) && 'convert, jar, faketime or pngcheck missing' }, async (t) => {
  const dir = tempDir(t);
  const jars = ['2021-03-04 05:06:07', '2023-09-10 11:12:13'].map((clock, i) => {
    const src = path.join(dir, `d${i}`);
    mkdirSync(path.join(src, 'img'), { recursive: true });
    t.equal(sh('faketime', ['-f', `@${clock}`, 'convert', '-size', '16x16', 'xc:red', path.join(src, 'img', 'red.png')]).code, 0, 'convert');
    const jar = path.join(dir, `app${i}.jar`);
    t.equal(sh('faketime', ['-f', `@${clock}`, 'jar', 'cf', jar, '-C', src, 'img/red.png']).code, 0, 'jar');
    return jar;
  });
  const [a, b] = jars;
  t.not(sha256(a), sha256(b));
  const pixels = (f: string) => {
    const png = path.join(tempDir(t), 'p.png');
    writeFileSync(png, members(f).get('img/red.png')!);
    return sh('convert', [png, 'rgba:-']).stdout;
  };
  const before = pixels(a);
  // pngcheck takes no tIME before 1996: an epoch it accepts.
  const r = cli(['-v', '--epoch', '1700000000', ...jars]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /img\/red\.png \(png\): tIME: 1614834367 .* -> 1700000000/);
  t.match(r.stdout, /img\/red\.png \(png\): deflate data: deflated \(\d+ bytes\) -> recompressed at level 6/);
  t.equal(sha256(a), sha256(b), 'byte-identical after');
  const png = path.join(dir, 'red.png');
  writeFileSync(png, members(a).get('img/red.png')!);
  t.equal(sh('pngcheck', [png]).code, 0, 'pngcheck accepts the PNG from the jar');
  t.ok(pixels(a).equals(before), 'same pixels');
  t.equal(cli(['check', '--epoch', '1700000000', ...jars]).code, 0, 'clean after');
});

t.test('bsdtar zip64 (zip64 extras in every local header, data descriptors with 8-byte sizes, zip64 end records): a deflated .a recompressed, the pair identical', { skip: ['bsdtar', 'ar', 'unzip'].some((x) => !have(x)) && 'bsdtar, ar or unzip missing' }, async (t) => {
  const dir = tempDir(t);
  const zips = [0, 1].map((side) => {
    const src = path.join(dir, `z-${side}`);
    mkdirSync(src);
    writeFileSync(path.join(src, 'libx.a'), readFileSync(makeAr(dir, side)));
    writeFileSync(path.join(src, 'after.txt'), 'a member after the recompressed one\n');
    for (const f of ['libx.a', 'after.txt']) utimesSync(path.join(src, f), 1600000000 + side * 1e7, 1600000000 + side * 1e7);
    const out = path.join(dir, `${side}.zip`);
    t.equal(sh('bsdtar', ['--format', 'zip', '--options', 'zip:zip64', '-cf', out, '-C', src, 'libx.a', 'after.txt']).code, 0, 'bsdtar');
    return out;
  });
  const [a, b] = zips;
  const raw = readFileSync(a);
  t.ok(raw.includes(Buffer.from([0x50, 0x4b, 6, 6])), 'bsdtar wrote a zip64 end of central directory record');
  t.equal(raw.readUInt32LE(18), 0xffffffff, 'and the local sizes in a zip64 extra');
  const expected = normalizedAlone(t, members(a).get('libx.a')!, 'libx.a');
  const r = cli(['-v', ...zips]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /libx\.a \(ar\): deflate data: deflated \(\d+ bytes\) -> recompressed/);
  t.equal(sha256(a), sha256(b), 'byte-identical after');
  t.equal(sh('unzip', ['-tqq', a]).code, 0, 'unzip -t accepts it');
  t.equal(sh('bsdtar', ['-tf', a]).code, 0, 'bsdtar reads it');
  const after = members(a);
  t.ok(after.get('libx.a')!.equals(expected), 'the .a is what unstamp makes of it alone');
  t.equal(after.get('after.txt')!.toString(), 'a member after the recompressed one\n');
  // The zip64 end record points at the central directory where it now is.
  const out = readFileSync(a);
  const z64 = out.lastIndexOf(Buffer.from([0x50, 0x4b, 6, 6]));
  const cd = Number(out.readBigUInt64LE(z64 + 48));
  t.equal(out.readUInt32LE(cd), 0x02014b50, 'zip64 end record: central directory offset right');
  t.equal(Number(out.readBigUInt64LE(out.lastIndexOf(Buffer.from([0x50, 0x4b, 6, 7])) + 8)), z64, 'zip64 locator: record offset right');
  t.equal(cli(['check', ...zips]).code, 0, 'clean after');
});

for (const v of ['zip-a', 'zip64-a']) {
  t.test(`samples gzip-payload/${v}: the deflated .a recompressed, the pair identical, unzip -t and zipfile accept it`, { skip: !have('unzip') && 'unzip missing' }, async (t) => {
    const dir = copySample(t, `gzip-payload/${v}`);
    const [a, b] = ['a', 'b'].map((s) => path.join(dir, s, 'demo.zip'));
    t.not(sha256(a), sha256(b));
    const expected = normalizedAlone(t, members(a).get('lib.a')!, 'lib.a');
    t.equal(cli([dir]).code, 0);
    t.equal(sha256(a), sha256(b), 'byte-identical after');
    t.equal(sh('unzip', ['-tqq', a]).code, 0, 'unzip -t accepts it');
    t.ok(members(a).get('lib.a')!.equals(expected), 'the .a is what unstamp makes of it alone');
    t.equal(cli(['check', dir]).code, 0, 'clean after');
  });
}
