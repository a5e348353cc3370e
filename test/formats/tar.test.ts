import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { cli, copySample, expectRefused, have, samples, sh, sha256, tempDir, type Corrupt } from '../helpers.js';

interface PairCase {
  dir: string;
  files: string[];
  /** Entries that are another format unstamp normalizes: compared by their decoded payload. */
  nested?: Record<string, 'ar' | 'gzip'>;
}

const pairs: PairCase[] = [
  { dir: 'tar/gnu', files: ['demo.tar'] },
  { dir: 'tar/oldgnu', files: ['demo.tar'] },
  { dir: 'tar/ustar', files: ['demo.tar'] },
  { dir: 'tar/v7', files: ['demo.tar'] },
  { dir: 'tar/pax', files: ['demo.tar'] },
  { dir: 'tar/gnu-long', files: ['demo.tar'] },
  { dir: 'tar/pax-long', files: ['demo.tar'] },
  { dir: 'tar/gnu-incremental', files: ['demo.tar'] },
  { dir: 'tar/sparse', files: ['gnu-sparse.tar', 'pax-sparse.tar'] },
  { dir: 'tar/bsdtar', files: ['demo.tar'] },
  { dir: 'tar/bsdtar-pax', files: ['demo.tar'] },
  { dir: 'tar/big-ids', files: ['gnu-big.tar', 'pax-big.tar', 'bsdtar-big.tar', 'pax-names.tar', 'pax-long-names.tar'] },
  { dir: 'tar/nested', files: ['demo.tar'], nested: { 'libdemo.a': 'ar', 'hello.txt.gz': 'gzip' } },
];

const tools = have('tar') && have('bsdtar');

function must(cmd: string, args: string[]): Buffer {
  const r = sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** What the tools read: GNU tar's and bsdtar's listings (names, types, modes, links) and every regular entry's bytes. */
function payload(archive: string, nested: PairCase['nested'] = {}): { names: string[]; modes: string[]; data: Record<string, string> } {
  const names = must('tar', ['-tf', archive]).toString().split('\n').filter(Boolean);
  t.same(must('bsdtar', ['-tf', archive]).toString().split('\n').filter(Boolean).map((n) => n.replace(/\/$/, '')), names.map((n) => n.replace(/\/$/, '')), `bsdtar lists what GNU tar lists in ${path.basename(archive)}`);
  // Mode and type column, and the link targets, of the verbose listing: what unstamp keeps.
  const modes = must('tar', ['-tvf', archive]).toString().split('\n').filter(Boolean).map((l) => `${l.split(/\s+/)[0]} ${l.replace(/^.*\d\d:\d\d(:\d\d)? /, '')}`);
  const data: Record<string, string> = {};
  const dir = path.dirname(archive);
  for (const n of names) {
    if (n.endsWith('/')) continue;
    let bytes = must('tar', ['-xOf', archive, n]);
    const kind = nested[path.basename(n)];
    if (kind === 'gzip') bytes = gunzipSync(bytes);
    if (kind === 'ar') {
      const lib = path.join(dir, `member-${path.basename(n)}`);
      writeFileSync(lib, bytes);
      const members = must('ar', ['t', lib]).toString().split('\n').filter(Boolean);
      bytes = Buffer.concat(members.map((m) => Buffer.concat([Buffer.from(`${m}\n`), must('ar', ['p', lib, m])])));
    }
    data[n] = bytes.toString('hex');
  }
  return { names, modes, data };
}

for (const c of pairs) {
  for (const file of c.files) {
    t.test(`${c.dir}/${file}: pair made identical, tar and bsdtar still read it, same contents, idempotent`, { skip: !tools && 'GNU tar and bsdtar are needed' }, async (t) => {
      const dir = copySample(t, c.dir);
      const a = path.join(dir, 'a', file);
      const b = path.join(dir, 'b', file);
      t.not(sha256(a), sha256(b), 'the two builds differ before');
      const before = payload(a, c.nested);
      t.same(payload(b, c.nested), before, 'both builds hold the same entries');

      t.equal(cli(['check', dir]).code, 1, 'check exits 1 before');
      const run = cli([dir]);
      t.equal(run.code, 0, run.stderr);
      t.equal(sha256(a), sha256(b), 'byte-identical after');
      t.same(payload(a, c.nested), before, 'same names, modes, links and contents after');
      t.equal(readFileSync(a).length, readFileSync(path.join(samples, c.dir, 'a', file)).length, 'size unchanged');

      // GNU tar reads every time (pax records included) as the epoch and every owner as 0.
      const listing = must('tar', ['--numeric-owner', '--full-time', '-tvf', a]).toString().split('\n').filter(Boolean);
      t.ok(listing.length > 0);
      for (const line of listing) t.match(line, /^\S+ 0\/0 .* 1970-01-01 00:00:00 /, `normalized: ${line}`);
      t.equal(sh('bsdtar', ['-tvf', a]).code, 0, 'bsdtar -tvf exits 0');

      const again = cli(['--json', dir]);
      t.equal(again.code, 0);
      t.equal(JSON.parse(again.stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
      t.equal(cli(['check', dir]).code, 0, 'check exits 0 after');
    });
  }
}

for (const fmt of ['gnu', 'ustar']) {
  t.test(`oracle ${fmt}: GNU tar's plain output normalized equals its --owner=0 --group=0 --numeric-owner --mtime=@0 output`, async (t) => {
    const dir = copySample(t, path.join('tar/oracle', fmt));
    const plain = path.join(dir, 'plain', 'demo.tar');
    const repro = path.join(dir, 'repro', 'demo.tar');
    t.not(sha256(plain), sha256(repro), 'they differ before');
    t.equal(cli(['check', repro]).code, 0, 'GNU tar\'s reproducible output is already clean');
    t.equal(cli([plain]).code, 0);
    t.equal(sha256(plain), sha256(repro), 'byte-identical to GNU tar\'s reproducible output');
  });
}

t.test('--clamp keeps older times (pax fractions included) and lowers newer ones', { skip: !have('tar') && 'GNU tar is needed' }, async (t) => {
  const dir = copySample(t, 'tar/pax');
  const a = path.join(dir, 'a', 'demo.tar');
  const b = path.join(dir, 'b', 'demo.tar');
  // a's mtimes (2020-01-02 03:04:05.123456789) are older than the epoch, b's (2022) newer;
  // both ctimes (the build clocks, 2021 and 2023) are newer.
  const epoch = 1600000000;
  const run = cli(['--clamp', '--epoch', String(epoch), dir]);
  t.equal(run.code, 0, run.stderr);
  const text = (f: string) => readFileSync(f).toString('latin1');
  t.match(text(a), /30 mtime=1577934245\.123456789\n30 atime=1577934245\.123456789\n20 ctime=1600000000\n/, 'a: mtime and atime kept with their fraction, ctime clamped');
  t.match(text(b), /30 mtime=0001600000000\.000000000|30 mtime=1600000000\.000000000\n30 atime=1600000000\.000000000\n20 ctime=1600000000\n/, 'b: every time clamped, fraction zeroed');
  for (const line of must('tar', ['--full-time', '-tvf', a]).toString().split('\n').filter(Boolean)) t.match(line, / 2020-01-02 03:04:05\.123456789 /, `a keeps its mtime (and fraction): ${line}`);
  for (const line of must('tar', ['--full-time', '-tvf', b]).toString().split('\n').filter(Boolean)) t.match(line, / 2020-09-13 12:26:40 /, `b gets the epoch: ${line}`);
  t.equal(cli(['check', '--clamp', '--epoch', String(epoch), dir]).code, 0, 'clean after');
});

t.test('pax uname/gname become empty at the same record length; GNU tar, bsdtar and Python read them', { skip: !tools && 'GNU tar and bsdtar are needed' }, async (t) => {
  const file = path.join(copySample(t, 'tar/big-ids/a'), 'pax-names.tar');
  t.match(readFileSync(file).toString('latin1'), /19 uname=builder-a\n/);
  t.equal(cli([file]).code, 0);
  const bytes = readFileSync(file).toString('latin1');
  t.match(bytes, /00000000019 uname=\n/, 'the length field takes the name\'s bytes as leading zeros');
  t.match(bytes, /00000000019 gname=\n/);
  t.notMatch(bytes, /builder-a/);
  t.equal(sh('tar', ['-tvf', file]).stderr, '', 'GNU tar reads the records without a word');
  t.equal(sh('bsdtar', ['-tvf', file]).stderr, '', 'bsdtar reads the records without a word');
  if (have('python3')) {
    const py = sh('python3', ['-c', 'import sys,tarfile; m=tarfile.open(sys.argv[1]).getmembers()[0]; print(repr(m.uname), repr(m.gname), m.uid, m.mtime)', file]);
    t.equal(py.stdout.toString().trim(), "'' '' 0 0.0", 'Python\'s tarfile reads an empty name, uid 0, mtime 0');
  }
});

t.test('a pax name too long for a 20-digit length field becomes a comment record the readers ignore', { skip: !tools && 'GNU tar and bsdtar are needed' }, async (t) => {
  const file = path.join(copySample(t, 'tar/big-ids/a'), 'pax-long-names.tar');
  t.match(readFileSync(file).toString('latin1'), /52 uname=builder-a-a-user-name-longer-than-32-bytes\n/);
  t.equal(cli([file]).code, 0);
  const bytes = readFileSync(file).toString('latin1');
  t.equal(bytes.match(/52 comment=0{40}\n/g)?.length, 2, 'uname and gname records are now comments of the same length');
  t.notMatch(bytes, /builder-a/);
  t.equal(sh('tar', ['-tvf', file]).stderr, '', 'GNU tar reads it without a word');
  t.equal(sh('bsdtar', ['-tvf', file]).stderr, '', 'bsdtar reads it without a word');
  t.match(must('tar', ['--numeric-owner', '-tvf', file]).toString(), /^-rw-r--r-- 0\/0 /);
});

t.test('explain locates what still differs: inside a member of a tar entry, in a pax record', async (t) => {
  const dir = copySample(t, 'tar/nested');
  const b = path.join(dir, 'b', 'demo.tar');
  const bytes = readFileSync(b);
  // Byte 2 of data.bin inside the ar archive libdemo.a, the second tar entry.
  const at = bytes.indexOf('data.bin/', 0x600) + 60 + 2;
  bytes[at] ^= 0xff;
  writeFileSync(b, bytes);
  const r = cli(['explain', path.join(dir, 'a', 'demo.tar'), b]);
  t.match(r.stdout, /tar header libdemo\.a: mtime/, 'the tar header fields are named');
  t.match(r.stdout, /libdemo\.a: member data\.bin ar_date/, 'the ar fields inside the entry are named');
  t.match(r.stdout, new RegExp(`0x${at.toString(16)}\\.\\.0x${(at + 1).toString(16)} \\(1 byte\\)\\s+tar entry libdemo\\.a \\(data\\) > member data\\.bin \\(data\\) at offset 0x2`));

  const pax = copySample(t, 'tar/pax-long');
  const pb = path.join(pax, 'b', 'demo.tar');
  const pbytes = readFileSync(pb);
  const rec = pbytes.indexOf('139 path=');
  pbytes[rec + 20] ^= 0x01; // a letter of the long path: a real difference
  writeFileSync(pb, pbytes);
  const p = cli(['explain', path.join(pax, 'a', 'demo.tar'), pb]);
  t.match(p.stdout, /tar pax header [^\n]*: pax record path/, 'the pax record is named');
});

// --- refused input -------------------------------------------------------------------------

const gnu = () => readFileSync(path.join(samples, 'tar/gnu/a/demo.tar'));
const pax = () => readFileSync(path.join(samples, 'tar/pax/a/demo.tar'));

/** Write a header's checksum as tar does, so a test reaches the rule after it. */
function fixChecksum(b: Buffer, at: number): void {
  b.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + 512; i++) sum += b[i];
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
}

function corrupt(): Corrupt[] {
  const out: Corrupt[] = [];
  {
    const b = gnu();
    b[0x400] ^= 0x01; // the second entry's name: its checksum no longer matches
    out.push({ name: 'bad header checksum', bytes: b, file: 'bad.tar', message: /tar header at 0x400: checksum 0o\d+ does not match the computed 0o\d+/ });
  }
  {
    const b = gnu();
    b.write('77777777777\0', 512 * 2 + 124, 'latin1'); // the second entry (data.bin at 0x400)
    fixChecksum(b, 512 * 2);
    out.push({ name: 'size past the end', bytes: b, file: 'big.tar', message: /tar header at 0x400: size 8589934591 runs past the end of the file/ });
  }
  {
    const b = pax();
    const at = b.indexOf('30 mtime=');
    b.write('31', at, 'latin1');
    out.push({ name: 'pax record length lying', bytes: b, file: 'lie.tar', message: new RegExp(`pax record at 0x${at.toString(16)}: length 31 does not end at a newline`) });
  }
  {
    const b = gnu();
    b.write('garbage!', 0x400 + 257, 'latin1');
    fixChecksum(b, 0x400);
    out.push({ name: 'unknown magic', bytes: b, file: 'magic.tar', message: /tar header at 0x400: magic "garbage!" is neither/ });
  }
  {
    const b = gnu().subarray(0, 512 + 100); // the first entry's data cut short
    out.push({ name: 'truncated data', bytes: Buffer.from(b), file: 'cut.tar', message: /tar header at 0x0: the data \(78 bytes\) and its padding to 512 bytes run past the end of the file \(100 bytes left/ });
  }
  return out;
}

for (const c of corrupt()) {
  t.test(`refused: ${c.name}`, async (t) => {
    expectRefused(t, c, 'tar/gnu/a/demo.tar');
  });
}

t.test('refused: a pax time too short to hold the epoch at the same length', async (t) => {
  const b = pax();
  const at = b.indexOf('20 ctime=');
  b.write('20 ctime=00000005.5\n', at, 'latin1'); // 8 digits: room for 0, not for 1700000000
  const dir = tempDir(t);
  const file = path.join(dir, 'short.tar');
  writeFileSync(file, b);
  const r = cli(['--epoch', '1700000000', file]);
  t.equal(r.code, 3);
  t.match(r.stderr, new RegExp(`pax record ctime at 0x${at.toString(16)}: "00000005\\.5" has 8 digits before the fraction, too few to write 1700000000 at the same length.*left untouched`));
  t.ok(readFileSync(file).equals(b), 'byte-for-byte untouched');
  // With the epoch 0 the same record has room.
  t.equal(cli(['--epoch', '0', file]).code, 0);
  t.match(readFileSync(file).toString('latin1'), /20 ctime=00000000\.0\n/);
});

t.test('a v7-looking block with a bad checksum is not taken for a tar', async (t) => {
  const dir = tempDir(t);
  const b = readFileSync(path.join(samples, 'tar/v7/a/demo.tar'));
  t.equal(cli(['check', path.join(samples, 'tar/v7/a/demo.tar')]).code, 1, 'the real v7 archive is detected (and not clean)');
  b[148] ^= 0x01;
  const file = path.join(dir, 'notv7.bin');
  writeFileSync(file, b);
  const r = cli(['--json', file]);
  t.equal(r.code, 0);
  const f = JSON.parse(r.stdout).files[0];
  t.same([f.status, f.reason], ['skipped', 'unknown format'], 'no format claims it');
  t.ok(readFileSync(file).equals(b), 'untouched');
});
