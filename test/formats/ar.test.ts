import t from 'tap';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { cli, copySample, have, samples, sh, sha256, tempDir, expectRefused, type Corrupt } from '../helpers.js';

interface PairCase {
  dir: string;
  file: string;
  /** The independent reader that must still accept the archive. */
  tool: 'ar' | 'llvm-ar';
  /** Thin archives keep member data in other files: only the listing can be compared. */
  thin: boolean;
  /** Both builds already identical (nothing time-dependent written). */
  identical?: boolean;
  /** Members are gzip files normalized in place: their decompressed bytes are the payload. */
  gzipMembers?: boolean;
}

const pairs: PairCase[] = [
  { dir: 'ar/gnu', file: 'libdemo.a', tool: 'ar', thin: false },
  // GNU ar t wants a thin archive's member files present; llvm-ar lists without them.
  { dir: 'ar/gnu-thin', file: 'libthin.a', tool: 'llvm-ar', thin: true },
  { dir: 'ar/llvm-gnu', file: 'libdemo.a', tool: 'llvm-ar', thin: false },
  { dir: 'ar/llvm-sym64', file: 'libdemo.a', tool: 'llvm-ar', thin: false },
  { dir: 'ar/llvm-bsd', file: 'libdemo.a', tool: 'llvm-ar', thin: false },
  { dir: 'ar/llvm-thin', file: 'libthin.a', tool: 'llvm-ar', thin: true },
  { dir: 'ar/symtab-only', file: 'symtab-only.a', tool: 'llvm-ar', thin: false },
  { dir: 'ar/empty', file: 'empty.a', tool: 'ar', thin: false, identical: true },
  { dir: 'ar/gnu-nested-gz', file: 'libdata.a', tool: 'ar', thin: false, gzipMembers: true },
];

/** What an independent ar sees: the member list and, for regular archives, each member's bytes. */
function payload(tool: string, archive: string, thin: boolean, gzipMembers = false): { names: string[]; data: string[] } {
  const list = sh(tool, ['t', archive]);
  if (list.code !== 0) throw new Error(`${tool} t ${archive} failed: ${list.stderr}`);
  // llvm-ar prints a thin archive's members as paths resolved from the archive's folder.
  const names = list.stdout.toString().split('\n').filter(Boolean).map((n) => path.relative(path.dirname(archive), path.resolve(path.dirname(archive), n)));
  const member = (n: string) => sh(tool, ['p', archive, n]).stdout;
  const data = thin ? [] : names.map((n) => (gzipMembers ? gunzipSync(member(n)) : member(n)).toString('hex'));
  return { names, data };
}

for (const c of pairs) {
  t.test(`${c.dir}: pair made identical, still a valid archive, idempotent`, { skip: !have(c.tool) && `${c.tool} is not installed` }, async (t) => {
    const dir = copySample(t, c.dir);
    const a = path.join(dir, 'a', c.file);
    const b = path.join(dir, 'b', c.file);
    const before = { a: sha256(a), b: sha256(b) };
    if (c.identical) t.equal(before.a, before.b, 'both builds are already identical');
    else t.not(before.a, before.b, 'the two builds differ before');
    const payloadBefore = payload(c.tool, a, c.thin, c.gzipMembers);
    t.same(payloadBefore.names, payload(c.tool, b, c.thin).names);

    const check = cli(['check', dir]);
    t.equal(check.code, c.identical ? 0 : 1, `check exits ${c.identical ? 0 : 1} before`);
    t.same([sha256(a), sha256(b)], [before.a, before.b], 'check writes nothing');

    const run = cli([dir]);
    t.equal(run.code, 0, run.stderr);
    t.equal(sha256(a), sha256(b), 'byte-identical after');
    t.same(payload(c.tool, a, c.thin, c.gzipMembers), payloadBefore, `${c.tool} lists the same members with the same bytes`);
    t.equal(readFileSync(a).length, readFileSync(path.join(samples, c.dir, 'a', c.file)).length, 'size unchanged');

    const again = cli(['--json', dir]);
    t.equal(again.code, 0);
    t.equal(JSON.parse(again.stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
    t.equal(cli(['check', dir]).code, 0, 'check exits 0 after');
  });
}

const oracles = ['gnu', 'gnu-thin', 'llvm-gnu', 'llvm-sym64', 'llvm-bsd', 'llvm-thin', 'llvm-darwin-symtab-only'];
for (const o of oracles) {
  t.test(`oracle ${o}: U archive normalized with epoch 0 equals the D archive`, async (t) => {
    const dir = copySample(t, path.join('ar/oracle', o));
    const [file] = require_one(path.join(dir, 'U'));
    const u = path.join(dir, 'U', file);
    const d = path.join(dir, 'D', file);
    t.not(sha256(u), sha256(d), 'U and D differ before');
    t.equal(cli(['check', d]).code, 0, 'the D archive is already clean');
    t.equal(cli(['--epoch', '0', u]).code, 0);
    t.equal(sha256(u), sha256(d), 'identical to what the tool writes in deterministic mode');
  });
}

function require_one(dir: string): string[] {
  const files = sh('ls', [dir]).stdout.toString().split('\n').filter(Boolean);
  if (files.length !== 1) throw new Error(`${dir}: expected one file, found ${files.length}`);
  return files;
}

t.test('--epoch and --clamp: dates set to the epoch, or only lowered to it', async (t) => {
  const dir = copySample(t, 'ar/gnu');
  const a = path.join(dir, 'a', 'libdemo.a');
  const b = path.join(dir, 'b', 'libdemo.a');
  // Build a is dated 2020-2021, build b 2023: clamping at 2022-01-01 changes only b's dates.
  const epoch = '2022-01-01T00:00:00Z';
  const explainA = cli(['explain', '--clamp', '--epoch', epoch, a]).stdout;
  t.notMatch(explainA, /ar_date: \d+ \(20\d\d[^)]*\) -> 1640995200/, 'dates before the epoch are kept');
  const explainB = cli(['explain', '--clamp', '--epoch', epoch, b]).stdout;
  t.match(explainB, /ar_date: 16\d+ \(2023-[^)]*\) -> 1640995200 \(2022-01-01 00:00:00 UTC\)/);
  t.equal(cli(['--epoch', epoch, dir]).code, 0);
  t.equal(sha256(a), sha256(b));
  t.match(readFileSync(a, 'latin1'), /1640995200  0     0     644     /, 'header reads epoch, uid 0, gid 0, mode 644');
});

/** Corrupt variants of real archives: each must fail with its rule named and stay untouched. */
function setField(buf: Buffer, offset: number, text: string): Buffer {
  const out = Buffer.from(buf);
  out.write(text, offset, 'latin1');
  return out;
}
const gnu = readFileSync(path.join(samples, 'ar/gnu/a/libdemo.a'));
const bsd = readFileSync(path.join(samples, 'ar/llvm-bsd/a/libdemo.a'));
// First member header at 8; its fields: date 24, uid 36, gid 42, mode 48, size 56, fmag 66.
const corrupt: Corrupt[] = [
  { name: 'truncated header', bytes: gnu.subarray(0, 8 + 30), message: /member header at 0x8 is truncated: 30 bytes left, a header takes 60/ },
  { name: 'truncated member data', bytes: gnu.subarray(0, gnu.length - 100), message: /ar_size \d+ runs past the end of the archive/ },
  { name: 'size past end of file', bytes: setField(gnu, 56, '99999999  '), message: /ar_size 99999999 runs past the end of the archive/ },
  { name: 'bad header magic', bytes: setField(gnu, 66, 'X\n'), message: /member header at 0x8: ar_fmag is "X\\n", not "`\\n"/ },
  { name: 'non-numeric date', bytes: setField(gnu, 24, '12ab'), message: /ar_date "12ab\S* *" is not a decimal number/ },
  { name: 'negative uid', bytes: setField(gnu, 36, '-1    '), message: /ar_uid "-1    " is not a decimal number/ },
  { name: 'non-octal mode', bytes: setField(gnu, 48, '100648  '), message: /ar_mode "100648  " is not a octal number|ar_mode "100648  " is not an octal number/ },
  { name: 'non-numeric size', bytes: setField(gnu, 56, 'big       '), message: /ar_size "big       " is not a decimal number/ },
  { name: 'BSD #1/N name longer than the member', bytes: setField(bsd, 8, '#1/999          '), message: /BSD name length 999 \(#1\/999\) is longer than the member/ },
];

for (const c of corrupt) {
  t.test(`corrupt archive (${c.name}) exits 3 and is left untouched`, async (t) => expectRefused(t, { ...c, file: 'bad.a' }, 'ar/gnu/b/libdemo.a'));
}
