import t from 'tap';
import { chmodSync, cpSync, linkSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, copySample, samples, sha256, tempDir } from './helpers.js';

const arA = 'ar/gnu/a/libdemo.a';
const gzB = 'gzip/gnu/b/hello.txt.gz';

t.test('usage errors exit 2 with a one-line reason', async (t) => {
  const file = copySample(t, arA);
  const cases: [string[], RegExp, NodeJS.ProcessEnv?][] = [
    [[], /no paths given/],
    [['--no-such-option', file], /Unknown argument/],
    [['--epoch', 'yesterday', file], /--epoch: 'yesterday' is neither whole seconds/],
    [['--epoch', '4294967296', file], /outside 1970-01-01\.\.2106-02-07/],
    [[file], /SOURCE_DATE_EPOCH: 'soon'/, { SOURCE_DATE_EPOCH: 'soon' }],
    [['--jobs', '0', file], /--jobs: 0 is not a positive whole number/],
    [['--formats', 'rar', file], /unknown format 'rar' \(known: ar, gzip, /],
    [['-q', '-v', file], /--quiet and --verbose cannot be used together/],
    [['explain'], /Not enough non-option arguments/],
  ];
  const before = sha256(file);
  for (const [args, message, env] of cases) {
    const r = cli(args, { env });
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, message);
  }
  t.equal(sha256(file), before, 'a usage error touches nothing');
});

t.test('exit codes: 0 ok, 1 check found changes, 3 a file failed (others still done)', async (t) => {
  const dir = tempDir(t);
  cpSync(path.join(samples, arA), path.join(dir, 'lib.a'));
  t.equal(cli(['check', dir]).code, 1);
  t.equal(cli(['normalize', dir]).code, 0);
  t.equal(cli(['check', dir]).code, 0);
  writeFileSync(path.join(dir, 'unknown.bin'), 'not a format unstamp knows');
  t.equal(cli([dir]).code, 0, 'unknown formats are skipped, not failures');
  const missing = cli([path.join(dir, 'does-not-exist'), dir]);
  t.equal(missing.code, 3);
  t.match(missing.stderr, /does-not-exist: no such file or directory; left untouched/);
});

t.test('in place: same inode, mode, owner, size; mtime and atime kept; hard links see it', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'lib.a');
  cpSync(path.join(samples, arA), file);
  chmodSync(file, 0o640);
  const link = path.join(dir, 'hard-link.a');
  linkSync(file, link);
  utimesSync(file, new Date('2024-05-06T07:08:09Z'), new Date('2023-01-02T03:04:05Z'));
  const before = statSync(file);
  t.equal(cli([dir]).code, 0);
  const after = statSync(file);
  t.equal(after.ino, before.ino);
  t.equal(after.mode, before.mode);
  t.equal(after.uid, before.uid);
  t.equal(after.size, before.size);
  t.equal(after.mtime.toISOString(), '2023-01-02T03:04:05.000Z');
  t.equal(after.atime.toISOString(), '2024-05-06T07:08:09.000Z');
  t.equal(sha256(link), sha256(file), 'the other name of the inode shows the normalized bytes');
  t.not(sha256(file), sha256(path.join(samples, arA)));
});

t.test('--set-mtime sets the file mtime to the epoch', async (t) => {
  const file = copySample(t, gzB);
  t.equal(cli(['--set-mtime', '--epoch', '2020-02-02T00:00:00Z', file]).code, 0);
  t.equal(statSync(file).mtime.toISOString(), '2020-02-02T00:00:00.000Z');
  t.equal(readFileSync(file).readUInt32LE(4), 1580601600);
});

t.test('SOURCE_DATE_EPOCH is the default epoch; --epoch overrides it', async (t) => {
  const file = copySample(t, gzB);
  t.equal(cli([file], { env: { SOURCE_DATE_EPOCH: '1234567' } }).code, 0);
  t.equal(readFileSync(file).readUInt32LE(4), 1234567);
  t.equal(cli(['--epoch', '42', file], { env: { SOURCE_DATE_EPOCH: '1234567' } }).code, 0);
  t.equal(readFileSync(file).readUInt32LE(4), 42);
});

t.test('--formats enables or disables handlers', async (t) => {
  const dir = tempDir(t);
  cpSync(path.join(samples, arA), path.join(dir, 'lib.a'));
  cpSync(path.join(samples, gzB), path.join(dir, 'x.gz'));
  const json = JSON.parse(cli(['check', '--json', '--formats', 'no-gzip', dir]).stdout);
  t.same(json.files.map((f: { path: string; status: string }) => [path.basename(f.path), f.status]), [['lib.a', 'would-change'], ['x.gz', 'skipped']]);
  const only = JSON.parse(cli(['check', '--json', '--formats', 'gzip', dir]).stdout);
  t.same(only.files.map((f: { status: string }) => f.status), ['skipped', 'would-change']);
});

t.test('--include / --exclude filter the walk', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'keep'));
  cpSync(path.join(samples, arA), path.join(dir, 'keep', 'lib.a'));
  cpSync(path.join(samples, gzB), path.join(dir, 'keep', 'x.gz'));
  cpSync(path.join(samples, arA), path.join(dir, 'skip.a'));
  const r = JSON.parse(cli(['--json', '--include', 'keep/**', '--exclude', '*.gz', dir]).stdout);
  t.same(r.files.map((f: { path: string }) => path.relative(dir, f.path)), ['keep/lib.a']);
  t.equal(sha256(path.join(dir, 'skip.a')), sha256(path.join(samples, arA)), 'excluded file untouched');
});

t.test('a symlink inside a walked directory is not followed', async (t) => {
  const dir = tempDir(t);
  const outside = copySample(t, arA);
  symlinkSync(outside, path.join(dir, 'link.a'));
  const r = JSON.parse(cli(['--json', dir]).stdout);
  t.equal(r.summary.scanned, 0);
  t.equal(sha256(outside), sha256(path.join(samples, arA)), 'the file outside the tree is untouched');
  t.equal(cli([path.join(dir, 'link.a')]).code, 0, 'named explicitly, the link is followed');
  t.not(sha256(outside), sha256(path.join(samples, arA)));
});

t.test('--json report: schema version, per-file fields and the summary', async (t) => {
  const file = copySample(t, gzB);
  const r = cli(['check', '--json', '--epoch', '100', file]);
  t.equal(r.code, 1);
  const j = JSON.parse(r.stdout);
  t.equal(j.unstamp, 2);
  t.equal(j.command, 'check');
  t.equal(j.epoch, 100);
  t.equal(j.exitCode, 1);
  t.match(j.files[0], { path: file, format: 'gzip', status: 'would-change', bytesChanged: 4, fieldsChanged: 1, fieldsOmitted: 0 });
  t.match(j.files[0].fields[0], { field: 'MTIME', offset: 4, old: '1654589350 (2022-06-07 08:09:10 UTC)', new: '100 (1970-01-01 00:01:40 UTC)', changed: true });
  t.match(j.summary, { scanned: 1, wouldChange: 1, failed: 0 });
});

t.test('human report: changed fields with -v, and the summary as the last line', async (t) => {
  const dir = tempDir(t);
  cpSync(path.join(samples, gzB), path.join(dir, 'x.gz'));
  writeFileSync(path.join(dir, 'readme.txt'), 'text');
  const r = cli(['-v', dir]);
  t.equal(r.code, 0);
  t.match(r.stdout, /^normalized {4}\S+x\.gz {2}\[gzip\] 1 of 1 field, 4 bytes$/m);
  t.match(r.stdout, /^ {4}0x4 +MTIME: 1654589350 \(2022-06-07 08:09:10 UTC\) -> 0 \(no timestamp\)$/m);
  t.match(r.stdout, /^skipped +\S+readme\.txt: unknown format$/m);
  const last = r.stdout.trimEnd().split('\n').at(-1);
  t.match(last, /^unstamp: 2 files scanned \(\d+ B\), 1 normalized, 0 already clean, 1 skipped, 0 failed; 4 bytes rewritten; \d+\.\d\d s$/);
  t.equal(cli(['-q', dir]).stdout, '', '--quiet prints nothing when all is well');
});

t.test('explain lists every field with offset, UTC date and the value to write; writes nothing', async (t) => {
  const file = copySample(t, arA);
  const before = sha256(file);
  const r = cli(['explain', file]);
  t.equal(r.code, 0);
  t.match(r.stdout, /libdemo\.a: ar, \d+ bytes; 20 fields found, 17 would change/);
  t.match(r.stdout, /0x18 +symbol table \/ ar_date: 1614834367 \(2021-03-04 05:06:07 UTC\) -> 0 \(1970-01-01 00:00:00 UTC\)/);
  t.match(r.stdout, /member add\.o ar_uid: 1000 -> 0/);
  t.match(r.stdout, /member notes\.txt ar_mode: 100644 -> 644/);
  t.match(r.stdout, /symbol table \/ ar_gid: 0 \(already normal\)/);
  t.equal(sha256(file), before);
});

t.test('formats lists each handler and the fields it rewrites', async (t) => {
  const r = cli(['formats']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^ar: /m);
  t.match(r.stdout, /rewrites {2}member header ar_date -> the epoch/);
  t.match(r.stdout, /^gzip: /m);
  t.match(r.stdout, /rewrites {2}FHCRC/);
  const j = JSON.parse(cli(['formats', '--json']).stdout);
  t.same(j.map((f: { name: string }) => f.name).slice(0, 2), ['ar', 'gzip']);
});

t.test('wording: a count of one is singular, a keep is listed as a keep, a note holds for the file it is on', async (t) => {
  const missing = cli(['check', path.join(tempDir(t), 'not-there')]);
  t.equal(missing.code, 3);
  t.match(missing.stdout, /^unstamp: 1 file scanned \(0 B\), 0 would change, 0 already clean, 0 skipped, 1 failed; 0 bytes would change; /m);

  const formats = cli(['formats']).stdout;
  t.notMatch(formats, /rewrites .*stays 0/, 'what is left as it is is not listed as a rewrite');
  t.match(formats, /^ {2}keeps {5}any of the TimeDateStamps above that is 0 \("not set"\): it stays 0$/m);

  const gz = copySample(t, gzB); // one member
  const explained = cli(['explain', gz]).stdout;
  t.match(explained, /hello\.txt\.gz: gzip, 86 bytes; 1 field found, 1 would change \(4 bytes\)/);
  t.match(explained, /^ {2}left alone: a member after the first, if any \(a multi-member file\), is not examined$/m);

  // Two directories holding one pair that no normalization makes identical.
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'a'));
  mkdirSync(path.join(dir, 'b'));
  cpSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'), path.join(dir, 'a', 'x.gz'));
  cpSync(path.join(samples, 'gzip/zlib-full/a/full.gz'), path.join(dir, 'b', 'x.gz'));
  const pair = cli(['explain', path.join(dir, 'a'), path.join(dir, 'b')]);
  t.equal(pair.code, 1);
  t.match(pair.stdout, /^unstamp: explain: 1 pair: 0 identical after normalization, 1 still differs; 0 only in a, 0 only in b; 0 failed; /m);
});
