import t from 'tap';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, copySample, have, output, samples, sh, sha256, tempDir, expectRefused, type Corrupt } from '../helpers.js';

const tools = have('llvm-objdump') && have('dsymutil');

/**
 * Independent check of an ad-hoc signature: walk the (little-endian, 64-bit) Mach-O to
 * LC_CODE_SIGNATURE, then recompute every code slot of every CodeDirectory from the
 * file bytes. Returns [slots checked, slots wrong]. Written from the cs_blobs.h layout,
 * apart from unstamp's own parser.
 */
function verifySignature(image: Buffer): [number, number] {
  const ncmds = image.readUInt32LE(16);
  let at = 32;
  let sig: [number, number] | undefined;
  for (let i = 0; i < ncmds; i++) {
    if (image.readUInt32LE(at) === 0x1d) sig = [image.readUInt32LE(at + 8), image.readUInt32LE(at + 12)];
    at += image.readUInt32LE(at + 4);
  }
  if (!sig) return [0, 0];
  const [off] = sig;
  const count = image.readUInt32BE(off + 8);
  let checked = 0;
  let wrong = 0;
  for (let i = 0; i < count; i++) {
    const type = image.readUInt32BE(off + 12 + i * 8);
    if (type !== 0 && !(type >= 0x1000 && type < 0x1005)) continue;
    const cd = off + image.readUInt32BE(off + 16 + i * 8);
    const hashOffset = image.readUInt32BE(cd + 16);
    const slots = image.readUInt32BE(cd + 28);
    const limit = image.readUInt32BE(cd + 32);
    const size = image[cd + 36];
    const algorithm = { 1: 'sha1', 2: 'sha256', 3: 'sha256', 4: 'sha384' }[image[cd + 37]]!;
    const page = 2 ** image[cd + 39];
    for (let s = 0; s < slots; s++) {
      const want = createHash(algorithm).update(image.subarray(s * page, Math.min((s + 1) * page, limit))).digest().subarray(0, size);
      const stored = image.subarray(cd + hashOffset + s * size, cd + hashOffset + (s + 1) * size);
      checked++;
      if (!want.equals(stored)) wrong++;
    }
  }
  return [checked, wrong];
}

/** The thin images of a file: itself, or each Mach-O slice of a fat file. */
function images(file: Buffer): Buffer[] {
  if (file.readUInt32BE(0) !== 0xcafebabe) return [file];
  const n = file.readUInt32BE(4);
  return Array.from({ length: n }, (_, i) => file.subarray(file.readUInt32BE(8 + i * 20 + 8), file.readUInt32BE(8 + i * 20 + 8) + file.readUInt32BE(8 + i * 20 + 12)));
}

function osoValues(file: string): string[] {
  return output('dsymutil', ['-s', file])
    .split('\n')
    .filter((l) => l.includes('(N_OSO'))
    .map((l) => /\s([0-9a-f]{16}) '/.exec(l)![1]);
}

const pairs = [
  { dir: 'macho/x86_64-dylib', files: ['libdemo.dylib', 'libbase.dylib'], signed: false },
  { dir: 'macho/arm64-dylib', files: ['libdemo.dylib', 'libbase.dylib'], signed: true },
  { dir: 'macho/arm64-exe', files: ['app'], signed: true },
  { dir: 'macho/fat', files: ['libdemo.dylib'], signed: true },
];

for (const c of pairs) {
  t.test(`${c.dir}: pair identical, accepted, N_OSO 0, signature valid, idempotent`, { skip: !tools && 'llvm-objdump/dsymutil are not installed' }, async (t) => {
    const dir = copySample(t, c.dir);
    for (const f of c.files) t.not(sha256(path.join(dir, 'a', f)), sha256(path.join(dir, 'b', f)), `${f}: builds differ before`);
    const disBefore = c.files.map((f) => output('llvm-objdump', ['-d', '--no-show-raw-insn', path.join(dir, 'a', f)]).split('\n').slice(1).join('\n'));
    t.equal(cli(['check', dir]).code, 1);
    const r = cli([dir]);
    t.equal(r.code, 0, r.stderr);
    for (const [i, f] of c.files.entries()) {
      const a = path.join(dir, 'a', f);
      t.equal(sha256(a), sha256(path.join(dir, 'b', f)), `${f}: byte-identical after`);
      t.equal(sh('llvm-objdump', ['--macho', '--private-headers', a]).code, 0, `${f}: llvm-objdump --macho accepts it`);
      t.equal(output('llvm-objdump', ['-d', '--no-show-raw-insn', a]).split('\n').slice(1).join('\n'), disBefore[i], `${f}: code unchanged`);
      const oso = osoValues(a);
      t.ok(oso.length > 0 && oso.every((v) => v === '0000000000000000'), `${f}: dsymutil -s shows ${oso.length} N_OSO values, all 0`);
      for (const image of images(readFileSync(a))) {
        const [checked, wrong] = verifySignature(image);
        if (c.signed && image.readUInt32LE(4) === 0x0100000c) t.ok(checked > 0, `${f}: arm64 image is signed (${checked} code slots)`);
        t.equal(wrong, 0, `${f}: every code slot hash is valid`);
      }
    }
    t.equal(JSON.parse(cli(['--json', dir]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
  });
}

t.test('LC_UUID follows content: same after normalizing two builds, different for different code', async (t) => {
  const dir = copySample(t, 'macho/arm64-dylib');
  t.equal(cli([dir]).code, 0);
  const uuid = (f: string) => /uuid ([0-9A-F-]{36})/.exec(output('llvm-objdump', ['--macho', '--private-headers', f]))![1];
  const [demo, base] = [uuid(path.join(dir, 'a/libdemo.dylib')), uuid(path.join(dir, 'a/libbase.dylib'))];
  t.equal(demo, uuid(path.join(dir, 'b/libdemo.dylib')));
  t.not(demo, base, 'different images get different UUIDs');
  t.match(demo, /^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-/, 'RFC 4122 version 5, variant 10');
});

t.test('oracle: a link with ZERO_AR_DATE=1 and one without give the same bytes after unstamp', async (t) => {
  const dir = copySample(t, 'macho/oracle-zero-ar-date');
  const files = readdirSync(path.join(dir, 'plain'));
  for (const f of files) t.not(sha256(path.join(dir, 'plain', f)), sha256(path.join(dir, 'zero', f)), `${f}: differ before`);
  t.equal(cli([dir]).code, 0);
  for (const f of files) t.equal(sha256(path.join(dir, 'plain', f)), sha256(path.join(dir, 'zero', f)), `${f}: identical after`);
});

t.test('Mach-O objects and static libraries of them', async (t) => {
  const dir = copySample(t, 'macho');
  const r = JSON.parse(cli(['check', '--json', path.join(dir, 'objects')]).stdout);
  t.ok(r.files.length > 0 && r.files.every((f: { format: string; status: string }) => f.format === 'macho' && f.status === 'clean'), 'MH_OBJECT files are reported clean');
  const st = path.join(dir, 'static');
  t.equal(cli([st]).code, 0);
  for (const f of readdirSync(path.join(st, 'a'))) t.equal(sha256(path.join(st, 'a', f)), sha256(path.join(st, 'b', f)), `${f}: identical after`);
  if (have('llvm-ar')) t.equal(sh('llvm-ar', ['t', path.join(st, 'a', 'libdemo-darwin.a')]).code, 0, 'llvm-ar still reads the darwin archive');
  else t.skip('llvm-ar is not installed');
});

const dylib = readFileSync(path.join(samples, 'macho/arm64-dylib/a/libdemo.dylib'));
const fat = readFileSync(path.join(samples, 'macho/fat/a/libdemo.dylib'));
const edit = (src: Buffer, fn: (b: Buffer) => void) => {
  const b = Buffer.from(src);
  fn(b);
  return b;
};
/** Offset of the first load command of the given type in the arm64 dylib. */
function lcOffset(cmd: number): number {
  let at = 32;
  for (let i = 0; i < dylib.readUInt32LE(16); i++) {
    if (dylib.readUInt32LE(at) === cmd) return at;
    at += dylib.readUInt32LE(at + 4);
  }
  throw new Error(`no load command ${cmd}`);
}
const corrupt: Corrupt[] = [
  { name: 'ncmds past the header', bytes: edit(dylib, (b) => b.writeUInt32LE(100000, 16)), message: /ncmds 100000 cannot fit in sizeofcmds/ },
  { name: 'sizeofcmds past EOF', bytes: edit(dylib, (b) => b.writeUInt32LE(0x7fffffff, 20)), message: /sizeofcmds 2147483647 runs past the end of the file/ },
  { name: 'cmdsize 0', bytes: edit(dylib, (b) => b.writeUInt32LE(0, 32 + 4)), message: /load command 0 at 0x20: cmdsize 0 is below 8/ },
  { name: 'symtab past EOF', bytes: edit(dylib, (b) => b.writeUInt32LE(0x7ffff000, lcOffset(0x2) + 8)), message: /LC_SYMTAB: \d+ symbols at 0x7ffff000 run past the end of the file/ },
  {
    name: 'CodeDirectory with absurd nCodeSlots',
    bytes: edit(dylib, (b) => {
      const sig = b.readUInt32LE(lcOffset(0x1d) + 8);
      b.writeUInt32BE(0x00ffffff, sig + b.readUInt32BE(sig + 16) + 28);
    }),
    message: /nCodeSlots 16777215 does not match codeLimit/,
  },
  { name: 'fat slice overlapping another', bytes: edit(fat, (b) => b.writeUInt32BE(b.readUInt32BE(8 + 8) + 0x100, 8 + 20 + 8)), message: /overlaps the slice at 0x1000|lies outside the file/ },
];
for (const c of corrupt) {
  t.test(`corrupt Mach-O (${c.name}) exits 3 and is left untouched`, async (t) => expectRefused(t, { ...c, file: 'bad.dylib' }));
}
