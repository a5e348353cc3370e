// cpio archives (samples/make-cpio-samples.sh): GNU cpio and bsdtar output, each built
// twice from copies of one tree at other clocks, mtimes, owners, TZ, st_dev and inodes.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { cli, copySample, expectRefused, have, samples, sh, sha256, tempDir, type Corrupt } from '../helpers.js';

interface PairCase {
  dir: string;
  file: string;
}

const demo = (dir: string): PairCase => ({ dir: `cpio/${dir}`, file: 'demo.cpio' });
const pairs: PairCase[] = [
  demo('gnu-newc'),
  demo('gnu-crc'),
  demo('gnu-odc'),
  demo('gnu-bin'),
  demo('bsdtar-newc'),
  demo('bsdtar-odc'),
  demo('bsdtar-bin'),
  { dir: 'cpio/initramfs', file: 'initramfs.cpio' },
  { dir: 'cpio/initramfs-early', file: 'initramfs.cpio' },
];

const tools = have('cpio') && have('bsdtar') && have('ar');

/** A tool reading the archive on its stdin (cpio), with dates in UTC. */
function run(cmd: string, args: string[], input: Buffer, cwd?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { input, cwd, env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' }, maxBuffer: 1 << 26 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/**
 * Where each archive of the file starts: an initramfs may hold several, one after
 * another's trailer and padding. Found by their names and magics, not by unstamp.
 */
function archiveStarts(bytes: Buffer): number[] {
  const starts = [0];
  for (let at = bytes.indexOf('TRAILER!!!'); at >= 0; at = bytes.indexOf('TRAILER!!!', at + 1)) {
    let next = at + 'TRAILER!!!'.length;
    while (next < bytes.length && bytes[next] === 0) next++;
    if (next < bytes.length && /^07070[127]/.test(bytes.toString('latin1', next, next + 6))) starts.push(next);
  }
  return starts;
}

/** `cpio -itv` of every archive in the file. */
function listing(file: string): string {
  const bytes = readFileSync(file);
  return archiveStarts(bytes)
    .map((s) => {
      const r = run('cpio', ['-itv', '--quiet'], bytes.subarray(s));
      if (r.code !== 0) throw new Error(`cpio -itv ${file} (archive at ${s}) failed: ${r.stderr}`);
      return r.stdout;
    })
    .join('');
}

interface Extracted {
  /** path -> type, permissions and content (gzip: decompressed; ar: `ar p`; symlink: target). */
  files: Record<string, string>;
  /** Paths that share an inode, grouped. */
  links: string[][];
}

/**
 * Every archive of the file unpacked with `cpio -idm` into one fresh folder (as the
 * kernel unpacks an initramfs), the device node left out (mknod needs root; the
 * listing shows it). The checksums of the crc format are verified by cpio on the way.
 */
function extract(t: Test, file: string): Extracted {
  const dir = tempDir(t);
  const bytes = readFileSync(file);
  for (const s of archiveStarts(bytes)) {
    const r = run('cpio', ['-idm', '--quiet', '--no-absolute-filenames', '-f', 'dev/console'], bytes.subarray(s), dir);
    if (r.code !== 0 || r.stderr !== '') throw new Error(`cpio -idm ${file} (archive at ${s}): exit ${r.code}: ${r.stderr}`);
  }
  const files: Record<string, string> = {};
  const inodes = new Map<number, string[]>();
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const p = path.join(rel, name);
      const full = path.join(dir, p);
      const st = lstatSync(full);
      const perm = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) files[p] = `symlink -> ${readlinkSync(full)}`;
      else if (st.isDirectory()) {
        files[p] = `dir ${perm}`;
        walk(p);
      } else {
        const data = readFileSync(full);
        let content = data.toString('hex');
        if (name.endsWith('.gz')) content = `gunzip ${gunzipSync(data).toString('hex')}`;
        if (name.endsWith('.a')) content = `ar ${sh('ar', ['t', full]).stdout.toString()} ${sh('ar', ['p', full]).stdout.toString('hex')}`;
        files[p] = `file ${perm} ${content}`;
        if (st.nlink > 1) inodes.set(st.ino, [...(inodes.get(st.ino) ?? []), p]);
      }
    }
  };
  walk('.');
  const links = [...inodes.values()].map((g) => g.sort()).sort();
  return { files, links };
}

for (const c of pairs) {
  t.test(`${c.dir}: pair made identical, cpio and bsdtar still read it, contents unchanged, idempotent`, { skip: !tools && 'cpio, bsdtar or ar is not installed' }, async (t) => {
    const dir = copySample(t, c.dir);
    const a = path.join(dir, 'a', c.file);
    const b = path.join(dir, 'b', c.file);
    const size = readFileSync(a).length;
    t.not(sha256(a), sha256(b), 'the two builds differ before');
    const names = run('cpio', ['-it', '--quiet'], readFileSync(a)).stdout;
    t.equal(run('cpio', ['-it', '--quiet'], readFileSync(b)).stdout, names, 'both builds list the same entries');
    const contents = extract(t, a);
    t.same(extract(t, b), contents, 'both builds unpack to the same files and hard links');
    t.ok(contents.links.length > 0, 'the tree has a hard link');

    const check = cli(['check', dir]);
    t.equal(check.code, 1, 'check exits 1 before');
    const r = cli([dir]);
    t.equal(r.code, 0, r.stderr);
    t.equal(sha256(a), sha256(b), 'byte-identical after');
    t.equal(readFileSync(a).length, size, 'size unchanged');

    t.equal(run('cpio', ['-it', '--quiet'], readFileSync(a)).stdout, names, 'cpio -t lists the same entries');
    const bsdtar = sh('bsdtar', ['-tf', a]);
    t.equal(bsdtar.code, 0, `bsdtar -tf accepts it ${bsdtar.stderr}`);
    t.equal(bsdtar.stdout.toString(), names, 'bsdtar -tf lists the same entries');
    const list = listing(a);
    t.notMatch(list, /\b(1000|4321|8765)\b/, 'no build owner left');
    for (const line of list.trim().split('\n')) t.match(line, /^\S+\s+\d+ root +root .* Jan  1  1970 /, `owner root and the epoch: ${line}`);
    t.same(extract(t, a), contents, 'unpacks to the same files, modes and hard links (crc checksums verified by cpio)');

    const again = cli(['--json', dir]);
    t.equal(again.code, 0);
    t.equal(JSON.parse(again.stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
    t.equal(cli(['check', dir]).code, 0, 'check exits 0 after');
  });
}

t.test('inode numbers: 1, 2, 3... in archive order, a hard-link group shares one; dev 0; a device keeps its rdev', { skip: !tools && 'cpio is not installed' }, async (t) => {
  const dir = copySample(t, 'cpio/initramfs');
  const a = path.join(dir, 'a', 'initramfs.cpio');
  t.match(listing(a), /^crw------- +1 \S+ +\S+ +5, +1 .* dev\/console$/m, 'dev/console is c 5,1 before');
  const r = cli(['-v', a]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /entry bin\/busybox c_ino: \d+ -> (\d+)\n(?:.*\n)*?.*entry bin\/sh c_ino: \d+ -> \1\n/, 'the two links share their new number');
  t.notMatch(r.stdout, /entry dev\/console c_rdev/, 'the device keeps its rdev');
  t.match(listing(a), /^crw------- +1 root +root +5, +1 Jan  1  1970 dev\/console$/m, 'dev/console is still c 5,1');
  // Read the headers back: c_ino in order, links equal; every c_dev 0.
  const bytes = readFileSync(a);
  const inos: [string, number][] = [];
  for (let at = 0; ; ) {
    const num = (off: number) => parseInt(bytes.toString('latin1', at + off, at + off + 8), 16);
    const namesize = num(94);
    const name = bytes.toString('latin1', at + 110, at + 110 + namesize - 1);
    t.same([num(62), num(70)], [0, 0], `${name}: c_devmajor, c_devminor 0`);
    if (name === 'TRAILER!!!') {
      t.same([num(6), num(14), num(38), num(46)], [0, 0, 1, 0], 'trailer: c_ino 0, c_mode 0, c_nlink 1, c_mtime 0 (as GNU cpio writes it)');
      break;
    }
    inos.push([name, num(6)]);
    at = Math.ceil((Math.ceil((at + 110 + namesize) / 4) * 4 + num(54)) / 4) * 4;
  }
  const shared = inos.filter(([n]) => n === 'bin/busybox' || n === 'bin/sh').map(([, i]) => i);
  t.equal(new Set(shared).size, 1, 'bin/busybox and bin/sh share c_ino');
  const distinct = [...new Set(inos.map(([, i]) => i))];
  t.same(distinct, distinct.map((_, i) => i + 1), 'numbers run 1, 2, 3... in archive order');
});

t.test('crc: c_check of an entry whose gzip or ar inside was normalized is the sum of the new bytes', { skip: !tools && 'cpio is not installed' }, async (t) => {
  const dir = copySample(t, 'cpio/gnu-crc');
  const a = path.join(dir, 'a', 'demo.cpio');
  const r = cli(['-v', a]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /entry notes\.txt\.gz c_check: 0x[0-9a-f]+ -> 0x[0-9a-f]+/);
  t.match(r.stdout, /notes\.txt\.gz: MTIME: 1577934245 \(2020-01-02 03:04:05 UTC\) -> 0/);
  t.match(r.stdout, /libnotes\.a: member notes\.txt ar_date: 1577934245/);
  // cpio -i verifies each checksum (it warns "checksum error" otherwise: extract() fails on any stderr).
  const x = extract(t, a);
  t.match(x.files['notes.txt.gz'], /^file 644 gunzip /);
});

t.test('crc inside crc around a gzip with FHCRC: every checksum derived after the values inside it', { skip: !tools && 'cpio is not installed' }, async (t) => {
  // GNU cpio -H crc over the zlib-full pair (a gzip whose FHCRC covers its MTIME), and a
  // second crc archive around that one: FHCRC, then the inner c_check, then the outer.
  const dir = tempDir(t);
  for (const side of ['a', 'b']) {
    const work = path.join(dir, `work-${side}`);
    mkdirSync(work);
    cpSync(path.join(samples, 'gzip/zlib-full', side, 'full.gz'), path.join(work, 'full.gz'));
    const inner = spawnSync('sh', ['-c', 'echo full.gz | cpio --quiet -o -H crc > inner.cpio && echo inner.cpio | cpio --quiet -o -H crc > outer.cpio'], { cwd: work });
    t.equal(inner.status, 0, `cpio made the archives of ${side}`);
    mkdirSync(path.join(dir, side));
    cpSync(path.join(work, 'outer.cpio'), path.join(dir, side, 'outer.cpio'));
  }
  const a = path.join(dir, 'a', 'outer.cpio');
  const b = path.join(dir, 'b', 'outer.cpio');
  t.not(sha256(a), sha256(b), 'the two builds differ before');
  const r = cli(['-v', path.join(dir, 'a'), path.join(dir, 'b')]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /inner\.cpio: full\.gz: FHCRC: 0x[0-9a-f]+ -> 0x[0-9a-f]+/);
  t.match(r.stdout, /inner\.cpio: entry full\.gz c_check: 0x[0-9a-f]+ -> 0x[0-9a-f]+/);
  t.match(r.stdout, /entry inner\.cpio c_check: 0x[0-9a-f]+ -> 0x[0-9a-f]+/);
  t.equal(sha256(a), sha256(b), 'byte-identical after');
  // cpio -i checks each c_check (extract() fails on any "checksum error"); gunzip checks FHCRC.
  const outer = extract(t, a);
  const innerFile = path.join(tempDir(t), 'inner.cpio');
  writeFileSync(innerFile, Buffer.from(outer.files['inner.cpio'].split(' ')[2], 'hex'));
  t.match(extract(t, innerFile).files['full.gz'], /^file [0-7]+ gunzip [0-9a-f]+$/, 'the gzip inside still decompresses');
});

t.test('--clamp: only dates after the epoch are lowered', { skip: !tools && 'cpio is not installed' }, async (t) => {
  const dir = copySample(t, 'cpio/gnu-newc');
  const a = path.join(dir, 'a', 'demo.cpio');
  const b = path.join(dir, 'b', 'demo.cpio');
  // Build a is dated 2020, build b 2022: clamping at 2021-01-01 changes only b's dates.
  const epoch = '2021-01-01T00:00:00Z';
  t.notMatch(cli(['explain', '--clamp', '--epoch', epoch, a]).stdout, /c_mtime: \d+ \(2020-[^)]*\) ->/, "a's dates are kept");
  t.match(cli(['explain', '--clamp', '--epoch', epoch, b]).stdout, /entry hello\.txt c_mtime: 1654589350 \(2022-06-07 08:09:10 UTC\) -> 1609459200 \(2021-01-01 00:00:00 UTC\)/);
  t.equal(cli(['--clamp', '--epoch', epoch, dir]).code, 0);
  t.match(listing(a), /^-rw-r--r-- +2 root +root +\d+ Jan  2  2020 sub\/hello-link\.txt$/m, 'a keeps 2020-01-02');
  t.match(listing(b), /^-rw-r--r-- +2 root +root +\d+ Jan  1  2021 sub\/hello-link\.txt$/m, 'b is lowered to 2021-01-01');
  t.equal(cli(['check', '--clamp', '--epoch', epoch, dir]).code, 0, 'clean under the same options');
  t.equal(cli(['--epoch', epoch, dir]).code, 0);
  t.equal(sha256(a), sha256(b), 'without --clamp both get the epoch: identical');
});

/** The headers of an old binary archive with every 16-bit word swapped: the big-endian variant. */
function swapBinHeaders(le: Buffer): Buffer {
  const out = Buffer.from(le);
  for (let at = 0; ; ) {
    const namesize = le.readUInt16LE(at + 20);
    const filesize = le.readUInt16LE(at + 22) * 0x10000 + le.readUInt16LE(at + 24);
    out.subarray(at, at + 26).swap16();
    const name = le.toString('latin1', at + 26, at + 26 + namesize - 1);
    if (name === 'TRAILER!!!') return out;
    const data = at + 26 + namesize + (namesize % 2);
    at = data + filesize + (filesize % 2);
  }
}

t.test('old binary cpio, big-endian: the same normalization with the words the other way round', { skip: !tools && 'cpio is not installed' }, async (t) => {
  // GNU cpio and bsdtar write the old binary format in the machine's byte order; the
  // big-endian pair is the gnu-bin pair with each header's words swapped (GNU cpio
  // reads either order).
  const dir = tempDir(t);
  const le = { a: readFileSync(path.join(samples, 'cpio/gnu-bin/a/demo.cpio')), b: readFileSync(path.join(samples, 'cpio/gnu-bin/b/demo.cpio')) };
  const a = path.join(dir, 'a.cpio');
  const b = path.join(dir, 'b.cpio');
  writeFileSync(a, swapBinHeaders(le.a));
  writeFileSync(b, swapBinHeaders(le.b));
  t.same([...readFileSync(a).subarray(0, 2)], [0x71, 0xc7], 'big-endian magic 71 c7');
  const names = run('cpio', ['-it', '--quiet'], readFileSync(a));
  t.equal(names.code, 0, 'GNU cpio reads the big-endian archive');
  t.equal(names.stdout, run('cpio', ['-it', '--quiet'], le.a).stdout, 'the same entries as the little-endian one');
  const r = cli(['-v', dir]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /\[cpio\]/);
  t.equal(sha256(a), sha256(b), 'byte-identical after');
  t.equal(run('cpio', ['-it', '--quiet'], readFileSync(a)).stdout, names.stdout, 'cpio -t lists the same entries');
  t.equal(sh('bsdtar', ['-tf', a]).code, 0, 'bsdtar -tf accepts it');
  // Normalizing then swapping equals swapping then normalizing.
  mkdirSync(path.join(dir, 'le'));
  const leCopy = path.join(dir, 'le', 'demo.cpio');
  cpSync(path.join(samples, 'cpio/gnu-bin/a/demo.cpio'), leCopy);
  t.equal(cli([leCopy]).code, 0);
  t.ok(swapBinHeaders(readFileSync(leCopy)).equals(readFileSync(a)), 'the same fields, the same values');
});

t.test('explain a b: a difference left in an entry is located in its data', { skip: !tools && 'cpio is not installed' }, async (t) => {
  const dir = copySample(t, 'cpio/initramfs');
  const b = path.join(dir, 'b', 'initramfs.cpio');
  const bytes = readFileSync(b);
  const at = bytes.indexOf('exec /bin/sh');
  t.ok(at > 0);
  bytes[at] = 0x58; // "Xxec"
  writeFileSync(b, bytes);
  const r = cli(['explain', path.join(dir, 'a', 'initramfs.cpio'), b]);
  t.equal(r.code, 1, 'a pair that still differs');
  t.match(r.stdout, new RegExp(`0x${at.toString(16)}\\.\\.0x${(at + 1).toString(16)} \\(1 byte\\) +entry init \\(data\\) at offset 0x[0-9a-f]+`));
  t.match(r.stdout, /entry etc\/hostname c_mtime: a 1577934245 \(2020-01-02 03:04:05 UTC\), b 1654589350 \(2022-06-07 08:09:10 UTC\) -> 0/, 'the fields unstamp fixes are listed');

  // A mode that differs (kept by unstamp) is named by its header field.
  const header = bytes.indexOf('etc/hostname') - 110;
  t.equal(bytes.toString('latin1', header + 14, header + 22), '000081A4', 'etc/hostname: mode 0644');
  bytes.write('000081B4', header + 14, 'latin1');
  writeFileSync(b, bytes);
  const m = cli(['explain', path.join(dir, 'a', 'initramfs.cpio'), b]);
  t.match(m.stdout, new RegExp(`0x${(header + 20).toString(16)}\\.\\.0x${(header + 21).toString(16)} \\(1 byte\\) +entry etc/hostname \\(header\\) > entry etc/hostname c_mode`));
});

t.test('initramfs with an early archive in front: both archives normalized, each numbered from 1, explained past the first trailer', { skip: !tools && 'cpio is not installed' }, async (t) => {
  const dir = copySample(t, 'cpio/initramfs-early');
  const a = path.join(dir, 'a', 'initramfs.cpio');
  const b = path.join(dir, 'b', 'initramfs.cpio');
  t.equal(archiveStarts(readFileSync(a)).length, 2, 'two archives');
  const bytes = readFileSync(b);
  const at = bytes.indexOf('exec /bin/sh');
  bytes[at] = 0x58;
  writeFileSync(b, bytes);
  const e = cli(['explain', a, b]);
  t.match(e.stdout, /entry kernel\/x86\/microcode\/GenuineIntel\.bin c_mtime: a 1577934245/, 'the first archive');
  t.match(e.stdout, /entry bin\/sh c_mtime: a 1577934245/, 'the second archive');
  t.match(e.stdout, new RegExp(`0x${at.toString(16)}\\.\\.0x${(at + 1).toString(16)} \\(1 byte\\) +entry init \\(data\\)`), 'a difference in the second archive is located');
  const r = cli(['-v', a]);
  t.equal(r.code, 0, r.stderr);
  t.equal([...r.stdout.matchAll(/entry \. c_ino: \d+ -> 1$/gm)].length, 2, 'each archive numbers its entries from 1');
  t.equal([...r.stdout.matchAll(/trailer TRAILER!!! /g)].length, 0, 'both trailers were already as GNU cpio writes them');
});

t.test('inode numbers that do not fit: 65535 entries of the old binary format are renumbered, 65536 refused', { skip: !tools && 'cpio is not installed' }, async (t) => {
  // GNU cpio writes every name given, the same file again and again: entries with c_nlink 1.
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'empty'), '');
  for (const n of [65535, 65536]) {
    const r = spawnSync('sh', ['-c', `yes empty | head -${n} | cpio --quiet -o -H bin > many-${n}.cpio`], { cwd: dir });
    t.equal(r.status, 0, `cpio wrote ${n} entries`);
  }
  const fits = path.join(dir, 'many-65535.cpio');
  const r = cli([fits]);
  t.equal(r.code, 0, r.stderr);
  t.equal(run('cpio', ['-t', '--quiet'], readFileSync(fits)).stdout.split('\n').filter(Boolean).length, 65535, 'cpio -t lists every entry');
  const bytes = readFileSync(fits);
  const lastIno = bytes.readUInt16LE(bytes.indexOf('TRAILER!!!') - 26 - 32 + 4);
  t.equal(lastIno, 65535, 'the last entry got number 65535');
  expectRefused(t, { name: 'too many', bytes: readFileSync(path.join(dir, 'many-65536.cpio')), file: 'many.cpio', message: /cpio entry "empty" at 0x1fffe0: renumbering needs inode 65536, more than the bin c_ino holds \(65535\)/ });
});

t.test('strip-nondeterminism fixes only c_mtime: its two builds still differ', { skip: !have('strip-nondeterminism') && 'strip-nondeterminism is not installed' }, async (t) => {
  for (const c of pairs) {
    const dir = copySample(t, c.dir);
    const a = path.join(dir, 'a', c.file);
    const b = path.join(dir, 'b', c.file);
    for (const f of [a, b]) {
      const r = sh('strip-nondeterminism', ['-t', 'cpio', '--timestamp', '0', f]);
      t.equal(r.code, 0, `${c.dir}: strip-nondeterminism ran ${r.stderr}`);
    }
    t.not(sha256(a), sha256(b), `${c.dir}: its builds still differ (owners, device and inode numbers)`);
  }
});

// Corrupt variants of real archives: each must fail with its rule named and stay untouched.
const newc = readFileSync(path.join(samples, 'cpio/gnu-newc/a/demo.cpio'));
const crc = readFileSync(path.join(samples, 'cpio/gnu-crc/a/demo.cpio'));
const odc = readFileSync(path.join(samples, 'cpio/gnu-odc/a/demo.cpio'));
const bin = readFileSync(path.join(samples, 'cpio/gnu-bin/a/demo.cpio'));

/** Offsets of the newc/crc headers, found by their magic (the samples hold no magic in their data). */
function newcHeaders(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let at = bytes.indexOf('07070'); at >= 0; at = bytes.indexOf('07070', at + 1)) out.push(at);
  return out;
}
function put(bytes: Buffer, offset: number, text: string): Buffer {
  const out = Buffer.from(bytes);
  out.write(text, offset, 'latin1');
  return out;
}
const h = newcHeaders(newc);
const trailer = h[h.length - 1];
const hex = (n: number) => `0x${n.toString(16)}`;
const notesAt = h.find((x) => newc.toString('latin1', x + 110, x + 122) === 'notes.txt.gz')!;
const crcNotes = newcHeaders(crc).find((x) => crc.toString('latin1', x + 110, x + 122) === 'notes.txt.gz')!;
const binTrailer = bin.indexOf('TRAILER!!!') - 26;
const secondNamesize = parseInt(newc.toString('latin1', h[1] + 94, h[1] + 102), 16);
// odc has no padding: the second header follows the first entry's name and data.
const odcSecond = 76 + parseInt(odc.toString('latin1', 59, 65), 8) + parseInt(odc.toString('latin1', 65, 76), 8);

const corrupt: Corrupt[] = [
  { name: 'name past the end', bytes: put(newc.subarray(0, trailer + 200), trailer + 94, '00000400'), message: new RegExp(`cpio header at ${hex(trailer)}: c_namesize 1024 runs past the end of the archive`) },
  { name: 'size past the end', bytes: put(newc, notesAt + 54, '00100000'), message: new RegExp(`cpio entry "notes.txt.gz" at ${hex(notesAt)}: c_filesize 1048576 runs past the end of the archive`) },
  { name: 'bad magic mid-archive', bytes: put(newc, h[2], '07X701'), message: new RegExp(`cpio header at ${hex(h[2])}: magic "07X701" is not a cpio magic`) },
  { name: 'another variant mid-archive', bytes: put(newc, h[2], '070702'), message: new RegExp(`cpio header at ${hex(h[2])}: crc .* magic in an archive that began as newc`) },
  { name: 'truncated before the trailer', bytes: newc.subarray(0, trailer), message: new RegExp(`cpio archive ends at ${hex(trailer)} without a TRAILER!!! entry`) },
  { name: 'truncated inside the trailer header', bytes: newc.subarray(0, trailer + 50), message: new RegExp(`cpio header at ${hex(trailer)} is truncated: 50 bytes left, a newc header takes 110`) },
  { name: 'bad hex digit', bytes: put(newc, h[1] + 46, 'ZZZZZZZZ'), message: /c_mtime "ZZZZZZZZ" is not 8 hexadecimal digits/ },
  { name: 'name without its NUL', bytes: put(newc, h[1] + 110 + secondNamesize - 1, 'X'), message: new RegExp(`cpio header at ${hex(h[1])}: the name \\(c_namesize ${secondNamesize}\\) does not end with a NUL`) },
  { name: 'c_namesize 0', bytes: put(newc, h[1] + 94, '00000000'), message: /c_namesize is 0/ },
  { name: 'crc checksum wrong', bytes: put(crc, crcNotes + 102, '00000001'), message: new RegExp(`cpio entry "notes.txt.gz" at ${hex(crcNotes)}: c_check 0x1 does not match the sum of its data bytes 0x[0-9a-f]+`) },
  { name: 'odc: bad octal digit', bytes: put(odc, odcSecond + 65, '0000000009x'), message: new RegExp(`cpio header at ${hex(odcSecond)}: c_filesize "0000000009x" is not 11 octal digits`) },
  { name: 'odc: truncated', bytes: odc.subarray(0, odc.indexOf('TRAILER!!!') - 76), message: /cpio archive ends at 0x[0-9a-f]+ without a TRAILER!!! entry/ },
  { name: 'bin: truncated in the trailer', bytes: bin.subarray(0, binTrailer + 10), message: new RegExp(`cpio header at ${hex(binTrailer)} is truncated: 10 bytes left, a bin header takes 26`) },
];

for (const c of corrupt) {
  t.test(`corrupt archive (${c.name}) exits 3 and is left untouched`, async (t) => expectRefused(t, { ...c, file: 'bad.cpio' }, 'cpio/gnu-newc/b/demo.cpio'));
}

t.test('a file that only begins like a cpio archive is not taken for one', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'dates.csv');
  const text = Buffer.from('070701,070702,070707\n'.repeat(8));
  writeFileSync(f, text);
  const r = cli(['-v', f]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^skipped +\S+dates\.csv: unknown format$/m);
  t.ok(readFileSync(f).equals(text), 'untouched');
  // A first header with a broken digit is no archive either: the magic alone does not decide.
  const broken = path.join(dir, 'broken.cpio');
  writeFileSync(broken, put(newc, 46, 'ZZZZZZZZ'));
  const b = cli(['-v', broken]);
  t.equal(b.code, 0, 'not refused as a broken archive');
  t.match(b.stdout, /broken\.cpio: unknown format/);
});

t.test('bytes after the trailer that are not an archive are left alone, with a note', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'junk.cpio');
  const junk = Buffer.concat([newc, Buffer.from('not an archive\n')]);
  writeFileSync(f, junk);
  const r = cli(['explain', f]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, new RegExp(`15 bytes at ${hex(newc.length)} after the trailer are not a cpio archive: left alone`));
  t.equal(cli([f]).code, 0);
  t.ok(readFileSync(f).subarray(newc.length).equals(Buffer.from('not an archive\n')), 'kept as they were');
});
