// The write path's promises (README "Safety"): a whole-file rewrite (--zip-order name)
// never renames over a file that changed or was replaced while it was streaming, touches
// nothing when it fails, keeps owner, set-id bits, extended attributes and ACLs; every
// write puts the file's times back never earlier than they were, to the microsecond.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  fstatSync,
  futimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { bin, cli, have, samples, sh, tempDir } from './helpers.js';
import { mulberry32 } from './fuzz-harness.mjs';
import { utimesArg } from '../src/core/utimes.js';

/** A zip whose members are out of name order, with timestamps to patch: --zip-order name rewrites it. */
const UNORDERED = path.join(samples, 'zip/infozip/a/demo.zip');
/** Another build to put in its place. */
const OTHER = path.join(samples, 'zip/python/a/demo.zip');
const ORDER = ['--epoch', '0', '--zip-order', 'name'];

const temps = (dir: string) => readdirSync(dir).filter((n) => /\.unstamp-\d+-[0-9a-f]{12}\.tmp$/.test(n));
const nsStat = (file: string) => statSync(file, { bigint: true });
/** Set a time to the nanosecond (GNU touch), which Node's utimes cannot. */
const touch = (t: Test, file: string, which: '-a' | '-m', at: string) => t.equal(sh('touch', [which, '-d', `@${at}`, file]).code, 0, `touch ${which} ${at}`);

t.test('times are put back to the microsecond, rounded up, never earlier', async (t) => {
  const dir = tempDir(t);
  // In place (gzip), through a rewrite (zip), and times only (--set-mtime --clamp on a clean file).
  const gz = path.join(dir, 'hello.txt.gz');
  cpSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'), gz);
  const zip = path.join(dir, 'app.zip');
  cpSync(UNORDERED, zip);
  const clean = path.join(dir, 'clean.gz');
  cpSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'), clean);
  t.equal(cli(['--epoch', '0', clean]).code, 0);
  const old = path.join(dir, 'old.gz');
  cpSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'), old);

  for (const f of [gz, zip, clean]) {
    touch(t, f, '-m', '1700000000.030601095');
    touch(t, f, '-a', '1700000000.123456000');
  }
  // Before 1970: Node's utimes turns a negative number into the current time.
  touch(t, old, '-m', '-5.0000015');
  touch(t, old, '-a', '-1');

  t.equal(cli([...ORDER, gz, zip, old]).code, 0);
  t.equal(cli(['--epoch', '2000000000', '--clamp', '--set-mtime', clean]).code, 0);
  for (const f of [gz, zip, clean]) {
    const st = nsStat(f);
    t.equal(st.mtimeNs, 1700000000030602000n, `${path.basename(f)}: mtime .030601095 -> .030602000`);
    t.equal(st.atimeNs, 1700000000123456000n, `${path.basename(f)}: atime on a whole microsecond, exactly`);
  }
  t.equal(nsStat(old).mtimeNs, -5000001000n, 'before 1970: -5.0000015 -> -5.000001');
  t.equal(nsStat(old).atimeNs, -1000000000n, 'before 1970: -1 exactly');
  t.equal(cli(['check', ...ORDER, gz, zip, old]).code, 0, 'all normalized');
});

t.test('utimesArg lands on the next microsecond for any time, 1901 to 2106', async (t) => {
  // Through Node's real utimes and the file system: 2,000 times, a tenth of them before 1970, and the edges.
  const file = path.join(tempDir(t), 'f');
  writeFileSync(file, '');
  const fd = openSync(file, 'r+');
  t.teardown(() => closeSync(fd));
  const rnd = mulberry32(0x7177);
  const wrong: string[] = [];
  const edges = [0n, 1n, -1n, -999n, -1_000_000_000n, 1_000_000_000n - 1n, 4_294_967_295_999_999_999n];
  for (let i = 0; i < 2000 + edges.length; i++) {
    const sec = BigInt(Math.floor(rnd() * 2 ** 32)) - (i % 10 === 0 ? 2n ** 31n : 0n);
    const ns = edges[i - 2000] ?? sec * 1_000_000_000n + BigInt(Math.floor(rnd() * 1e9));
    const want = ns % 1000n === 0n ? ns : ns - (((ns % 1000n) + 1000n) % 1000n) + 1000n;
    const arg = utimesArg(ns);
    futimesSync(fd, arg, arg);
    const got = fstatSync(fd, { bigint: true }).mtimeNs;
    if (got !== want) wrong.push(`${ns} -> ${got} (passed ${arg}), wanted ${want}`);
  }
  t.same(wrong, [], 'every one on the first microsecond at or after it');
});

interface Child {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the CLI with the before-rename hook on (UNSTAMP_DEBUG_BEFORE_RENAME): when the rewrite
 * is about to check the file and rename, it creates `<gate>` and waits for `<gate>.go`; `atGate` runs then, and the run goes on
 * once it returns. Fails the test if the run ends without reaching the gate.
 */
function runGated(t: Test, args: string[], atGate: () => void): Promise<Child> {
  const gate = path.join(tempDir(t), 'gate');
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NODE_OPTIONS: '', SOURCE_DATE_EPOCH: '', UNSTAMP_DEBUG_BEFORE_RENAME: gate } });
    let stdout = '';
    let stderr = '';
    let reached = false;
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    // The program's event is a file: look for it until it shows or the run is over.
    const watch = setInterval(() => {
      if (!existsSync(gate)) return;
      clearInterval(watch);
      reached = true;
      atGate();
      writeFileSync(`${gate}.go`, '');
    }, 5);
    p.on('close', (code) => {
      clearInterval(watch);
      if (!reached) t.fail('the run ended without reaching the point just before its rename');
      resolve({ code, stdout, stderr });
    });
  });
}

t.test('a file replaced by a new build while it is rewritten: the new build stays, exit 3', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'app.zip');
  cpSync(UNORDERED, file);
  const fresh = readFileSync(OTHER);
  const r = await runGated(t, [...ORDER, file], () => {
    writeFileSync(`${file}.new`, fresh);
    renameSync(`${file}.new`, file);
  });
  t.equal(r.code, 3, 'exit 3');
  t.match(r.stderr, /^unstamp: .*app\.zip: changed on disk while it was being rewritten \(written, or replaced by another file\); the rewrite was discarded, run unstamp on it again; left untouched$/m);
  t.notMatch(r.stdout, /normalized +.*app\.zip/, 'not reported as normalized');
  t.ok(readFileSync(file).equals(fresh), 'app.zip holds the new build, byte for byte');
  t.same(temps(dir), [], 'the temporary file is gone');
});

t.test('a file written in place while it is rewritten is not renamed over, exit 3', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'app.zip');
  cpSync(UNORDERED, file);
  let written = Buffer.alloc(0);
  const r = await runGated(t, [...ORDER, file], () => {
    // Another writer changes one byte of the last member's data, same size, same inode.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from('!'), 0, 1, 0x200);
    closeSync(fd);
    written = readFileSync(file);
  });
  t.equal(r.code, 3, 'exit 3');
  t.match(r.stderr, /app\.zip: changed on disk while it was being rewritten .*; left untouched$/m);
  t.ok(readFileSync(file).equals(written), "the other writer's bytes are what the file holds");
  t.same(temps(dir), [], 'the temporary file is gone');
});

t.test('a rewrite that fails on a full disk writes nothing, and says so', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to mount a small tmpfs');
  const mnt = tempDir(t);
  const mounted = sh('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
  if (mounted.code !== 0) return t.skip(`cannot mount a tmpfs here: ${mounted.stderr.trim()}`);
  t.teardown(() => void sh('umount', [mnt]));
  const file = path.join(mnt, 'app.zip');
  cpSync(UNORDERED, file);
  touch(t, file, '-m', '1700000000.030601095');
  // Fill the file system: the in-place fields would still fit, the rewrite's new file cannot.
  const fd = openSync(path.join(mnt, 'filler'), 'w');
  t.throws(() => {
    for (;;) writeSync(fd, Buffer.alloc(64 * 1024, 1));
  }, /ENOSPC/);
  closeSync(fd);
  const bytes = readFileSync(file);
  const { mtimeNs, ino } = nsStat(file);

  const r = cli([...ORDER, file]);
  t.equal(r.code, 3, 'exit 3');
  t.match(r.stderr, /^unstamp: .*app\.zip: write failed: no space left on device \(ENOSPC\); left untouched$/m);
  t.ok(readFileSync(file).equals(bytes), 'every byte as it was');
  t.equal(nsStat(file).mtimeNs, mtimeNs, 'the mtime as it was, to the nanosecond');
  t.equal(nsStat(file).ino, ino, 'the same file');
  t.same(temps(mnt), [], 'the temporary file is gone');

  const json = cli(['--json', ...ORDER, file]);
  t.equal(json.code, 3);
  const [f] = (JSON.parse(json.stdout) as { files: { status: string; bytesChanged: number; error?: { message: string } }[] }).files;
  t.equal(f.status, 'failed');
  t.equal(f.bytesChanged, 0, 'bytesChanged 0, and true');
  t.match(f.error?.message, /ENOSPC/);
  t.ok(readFileSync(file).equals(bytes), 'still every byte as it was');
  t.equal(nsStat(file).mtimeNs, mtimeNs, 'still the same mtime');
});

t.test('a rewritten file keeps what an uninterrupted run would write', async (t) => {
  // The rewrite reads the planned bytes through the patches, no longer from a patched file.
  const a = path.join(tempDir(t), 'a.zip');
  cpSync(UNORDERED, a);
  t.equal(cli(ORDER.concat(a)).code, 0);
  const b = path.join(tempDir(t), 'b.zip');
  cpSync(UNORDERED, b);
  t.equal(cli(['--epoch', '0', b]).code, 0, 'first the fields in place');
  t.equal(cli(ORDER.concat(b)).code, 0, 'then the order');
  t.ok(readFileSync(a).equals(readFileSync(b)), 'one pass gives the same bytes as two');
  t.equal(spawnSync('unzip', ['-tq', a]).status, 0, 'unzip -t accepts it');
});

const needAttrTools = !(have('setfattr') && have('getfattr') && have('setfacl') && have('getfacl')) && 'needs setfattr, getfattr, setfacl and getfacl (packages attr, acl)';
/** Every extended attribute (ACLs included), as getfattr dumps them, without the file name line. */
const xattrs = (file: string) =>
  sh('getfattr', ['--absolute-names', '-d', '-m', '-', '-e', 'hex', file])
    .stdout.toString()
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'));

t.test('a rewrite keeps owner, set-id bits, extended attributes and ACLs', { skip: needAttrTools || (process.getuid?.() !== 0 && 'needs root to chown') }, async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.zip');
  cpSync(UNORDERED, file);
  for (const [cmd, ...args] of [
    ['chown', '1234:2345', file],
    ['chmod', '6755', file],
    ['setfattr', '-n', 'user.origin', '-v', 'x', file],
    ['setfacl', '-m', 'u:4321:r', file],
  ]) t.equal(sh(cmd, args).code, 0, `${cmd} ${args.join(' ')}`);
  const before = statSync(file);
  const attrs = xattrs(file);
  t.equal(attrs.length, 2, 'an ACL and a user attribute to keep');

  const r = cli(['-v', ...ORDER, file]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /member order: .* -> sorted by name/);
  const after = statSync(file);
  t.not(after.ino, before.ino, 'the file was rewritten, not patched');
  t.same([after.uid, after.gid], [1234, 2345], 'owner and group');
  t.equal((after.mode & 0o7777).toString(8), '6755', 'mode with the setuid and setgid bits');
  t.same(xattrs(file), attrs, 'the same extended attributes, the ACL among them');
  t.match(sh('getfacl', ['-c', file]).stdout.toString(), /^user:4321:r--$/m, 'getfacl sees the ACL entry');
  t.equal(cli(['check', ...ORDER, file]).code, 0, 'and it is normalized');
});

t.test("a rewrite does not keep an ACL the new file inherits from its folder's default ACL", { skip: needAttrTools }, async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.zip');
  cpSync(UNORDERED, file);
  t.equal(sh('setfacl', ['-d', '-m', 'u:4321:rw', dir]).code, 0);
  t.same(xattrs(file), [], 'the original has no ACL');
  const mode = statSync(file).mode & 0o7777;
  const r = cli(['-v', ...ORDER, file]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /member order/);
  t.same(xattrs(file), [], 'nor has the rewritten file');
  t.equal((statSync(file).mode & 0o7777).toString(8), mode.toString(8), 'and its mode is as it was (the inherited ACL gave no group bits)');
});

t.test('without getfattr a rewrite fails untouched, with the reason', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.zip');
  cpSync(UNORDERED, file);
  const bytes = readFileSync(file);
  const r = cli([...ORDER, file], { env: { PATH: tempDir(t) } });
  t.equal(r.code, 3);
  t.match(r.stderr, /a\.zip: needs getfattr and setfattr \(package attr\) to keep its extended attributes and ACLs, and they are not installed; left untouched$/m);
  t.ok(readFileSync(file).equals(bytes), 'byte-for-byte untouched');
  t.same(temps(dir), [], 'no temporary file left');
});

t.test('an attribute the user may not set fails the rewrite, naming it, the file untouched', { skip: needAttrTools }, async (t) => {
  const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath];
  if (process.getuid?.() !== 0 || spawnSync('setpriv', [...asNobody, '--version']).status !== 0) return t.skip('needs root and setpriv to run as an unprivileged user');
  const dir = tempDir(t);
  const file = path.join(dir, 'a.zip');
  cpSync(UNORDERED, file);
  t.equal(sh('chown', ['-R', '65534:65534', dir]).code, 0);
  // A file capability (cap_net_bind_service): only a process with CAP_SETFCAP may set one.
  t.equal(sh('setfattr', ['-n', 'security.capability', '-v', '0x0000000200040000000000000000000000000000', file]).code, 0);
  const attrs = xattrs(file);
  t.match(attrs, [/^security\.capability=/]);
  const bytes = readFileSync(file);
  const r = spawnSync('setpriv', [...asNobody, bin, ...ORDER, file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', SOURCE_DATE_EPOCH: '' } });
  t.equal(r.status, 3, 'exit 3');
  t.match(r.stderr, /a\.zip: cannot keep extended attribute security\.capability: Operation not permitted; left untouched$/m);
  t.ok(readFileSync(file).equals(bytes), 'byte-for-byte untouched');
  t.same(xattrs(file), attrs, 'the capability is still there');
  t.same(temps(dir), [], 'no temporary file left');
});

t.test('a symlink named on the command line: the rewrite goes to the file, the link stays', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'out'));
  const real = path.join(dir, 'out', 'real.zip');
  cpSync(UNORDERED, real);
  const link = path.join(dir, 'link.zip');
  symlinkSync('out/real.zip', link);
  const r = cli([...ORDER, link]);
  t.equal(r.code, 0, r.stderr);
  t.equal(readlinkSync(link), 'out/real.zip', 'the link is still a link');
  t.equal(cli(['check', ...ORDER, real]).code, 0, 'the file it points to is normalized');
  t.same(temps(path.join(dir, 'out')), [], 'no temporary file left');
});
