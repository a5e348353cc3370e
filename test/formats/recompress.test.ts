// Payload rewrites: a gzip whose payload is a format unstamp knows (samples/make-recompress-samples.sh).
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { cli, copySample, expectRefused, have, samples, sh, sha256, tempDir } from '../helpers.js';

interface PairCase {
  dir: string;
  file: string;
  payload: string;
  /** The deflate level XFL names. */
  level: number;
  /** An independent tool that lists the decompressed payload. */
  list?: (file: string) => string[] | undefined;
}

const pairs: PairCase[] = [
  { dir: 'gzip-payload/a-gz-9', file: 'lib.a.gz', payload: 'ar', level: 9, list: (f) => (have('ar') ? ['ar', 'tv', f] : undefined) },
  { dir: 'gzip-payload/a-gz-1', file: 'lib.a.gz', payload: 'ar', level: 1, list: (f) => (have('ar') ? ['ar', 'tv', f] : undefined) },
  { dir: 'gzip-payload/zip-gz', file: 'bundle.zip.gz', payload: 'zip', level: 6, list: (f) => (have('unzip') ? ['unzip', '-t', f] : undefined) },
  { dir: 'gzip-payload/gz-gz', file: 'hello.txt.gz.gz', payload: 'gzip', level: 6, list: (f) => (have('gzip') ? ['gzip', '-t', f] : undefined) },
  { dir: 'gzip-payload/tgz-gnu', file: 'demo.tar.gz', payload: 'tar', level: 6, list: (f) => (have('tar') ? ['tar', '-tvf', f] : undefined) },
  { dir: 'gzip-payload/tgz-pax-9', file: 'demo.tar.gz', payload: 'tar', level: 9, list: (f) => (have('tar') ? ['tar', '-tvf', f] : undefined) },
  { dir: 'gzip-payload/cpio-gz', file: 'demo.cpio.gz', payload: 'cpio', level: 9, list: (f) => (have('cpio') ? ['cpio', '-t', '--quiet', '-F', f] : undefined) },
  { dir: 'gzip-payload/tgz-bsdtar', file: 'demo.tar.gz', payload: 'tar', level: 6, list: (f) => (have('bsdtar') ? ['bsdtar', '-tvf', f] : undefined) },
];

/** The gzip's compressed data: after the header (FNAME only, as these samples have) and before the trailer. */
function deflateData(gz: Buffer): Buffer {
  const start = gz[3] & 0x08 ? gz.indexOf(0, 10) + 1 : 10;
  return gz.subarray(start, gz.length - 8);
}

for (const c of pairs) {
  t.test(`${c.dir}: the ${c.payload} payload is normalized, the pair made identical, recompressed at level ${c.level}`, async (t) => {
    const dir = copySample(t, c.dir);
    const [a, b] = ['a', 'b'].map((s) => path.join(dir, s, c.file));
    t.not(sha256(a), sha256(b), 'the two builds differ before');
    const before = gunzipSync(readFileSync(a));
    t.not(gunzipSync(readFileSync(b)).equals(before), 'their payloads differ too');

    // What unstamp makes of the payload as a file of its own: the payload must come out the same.
    const loose = path.join(tempDir(t), `payload.${c.payload}`);
    writeFileSync(loose, before);
    t.equal(cli(['--formats', c.payload, loose]).code, 0);
    const expected = readFileSync(loose);

    const check = cli(['check', '-v', dir]);
    t.equal(check.code, 1, 'check: would change');
    t.match(check.stdout, new RegExp(`payload \\(${c.payload}\\): `), 'check -v lists the payload fields');
    t.match(check.stdout, new RegExp(`payload \\(${c.payload}\\): deflate data: as compressed \\(XFL \\d\\) -> recompressed at level ${c.level}`));
    const json = JSON.parse(cli(['check', '--json', a]).stdout);
    const fields: { field: string; changed: boolean }[] = json.files[0].fields;
    t.ok(fields.some((f) => f.field.startsWith(`payload (${c.payload}): `) && f.changed), '--json lists the payload fields');

    const run = cli(['-v', dir]);
    t.equal(run.code, 0, run.stderr);
    t.equal(sha256(a), sha256(b), 'byte-identical after');
    const after = readFileSync(a);
    t.ok(gunzipSync(after).equals(expected), 'the payload is exactly what unstamp makes of it alone');
    t.ok(deflateData(after).equals(deflateRawSync(expected, { level: c.level })), `the data is zlib's deflate at level ${c.level}`);
    t.equal(after.readUInt32LE(4), 0, 'MTIME 0 with the default epoch');
    if (have('gzip')) t.equal(sh('gzip', ['-t', a]).code, 0, 'gzip -t accepts it');
    const inner = path.join(tempDir(t), `inner.${c.payload}`);
    writeFileSync(inner, gunzipSync(after));
    const tool = c.list?.(inner);
    if (tool) {
      const r = sh(tool[0], tool.slice(1));
      t.equal(r.code, 0, `${tool[0]} ${tool[1]} accepts the payload: ${r.stderr}`);
    } else t.skip('no tool to list the payload');
    t.equal(cli(['check', dir]).code, 0, 'check exits 0 after');
    t.equal(JSON.parse(cli(['--json', dir]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
  });
}

t.test('.tar.gz: tar -tzf and bsdtar accept the result, and every extracted file is unchanged', { skip: !have('tar') && 'tar is not installed' }, async (t) => {
  for (const v of ['tgz-gnu', 'tgz-pax-9', 'tgz-bsdtar']) {
    const dir = copySample(t, `gzip-payload/${v}`);
    const a = path.join(dir, 'a', 'demo.tar.gz');
    const extract = (to: string) => {
      mkdirSync(to, { recursive: true });
      t.equal(sh('tar', ['-xzf', a, '-C', to]).code, 0, `${v}: tar -xzf`);
      return Object.fromEntries(['hello.txt', 'data.txt'].map((f) => [f, readFileSync(path.join(to, f)).toString('hex')]));
    };
    const tmp = tempDir(t);
    const before = extract(path.join(tmp, 'before'));
    t.equal(cli([a]).code, 0);
    t.equal(sh('tar', ['-tzf', a]).code, 0, `${v}: tar -tzf accepts it`);
    if (have('bsdtar')) t.equal(sh('bsdtar', ['-tzf', a]).code, 0, `${v}: bsdtar -tzf accepts it`);
    t.same(extract(path.join(tmp, 'after')), before, `${v}: the same files with the same contents`);
    t.match(sh('env', ['TZ=UTC', 'tar', '-tvzf', a]).stdout.toString(), /^-rw-r--r-- 0\/0 +20 1970-01-01 00:00 hello\.txt$/m, `${v}: owner 0/0 and the epoch`);
  }
});

t.test('an ar payload keeps every member: ar lists the same names and sizes, ar p the same bytes', { skip: !have('ar') && 'ar is not installed' }, async (t) => {
  const dir = copySample(t, 'gzip-payload/a-gz-9');
  const a = path.join(dir, 'a', 'lib.a.gz');
  const tmp = tempDir(t);
  const unpack = (name: string) => {
    const f = path.join(tmp, name);
    writeFileSync(f, gunzipSync(readFileSync(a)));
    return f;
  };
  const old = unpack('old.a');
  t.equal(cli([a]).code, 0);
  const now = unpack('new.a');
  const names = (f: string) => sh('ar', ['t', f]).stdout.toString();
  t.equal(names(now), names(old), 'same members in the same order');
  for (const m of names(old).trim().split('\n')) t.ok(sh('ar', ['p', now, m]).stdout.equals(sh('ar', ['p', old, m]).stdout), `${m}: same contents`);
  t.match(sh('env', ['TZ=UTC', 'ar', 'tv', now]).stdout.toString(), /^rw-r--r-- 0\/0 .* Jan  1 00:00 1970 hello\.txt$/m, 'owner 0/0, epoch time');
});

t.test('--recompress never: only the gzip header changes; what a recompress would change is noted', async (t) => {
  const dir = copySample(t, 'gzip-payload/a-gz-9');
  const a = path.join(dir, 'a', 'lib.a.gz');
  const before = readFileSync(a);
  const explain = cli(['explain', '--recompress', 'never', a]);
  t.equal(explain.code, 0, explain.stderr);
  t.match(explain.stdout, /\n  kept: payload \(ar\): 8 fields would change \(member hello\.txt ar_date, .*\), not recompressed: --recompress never/);
  t.notMatch(explain.stdout, /recompressed at level/);
  const r = cli(['-v', '--recompress', 'never', a]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /\n    kept: payload \(ar\): 8 fields would change .*--recompress never/, '-v lists what was kept');
  t.same(JSON.parse(cli(['--json', '--recompress', 'never', path.join(dir, 'b', 'lib.a.gz')]).stdout).files[0].kept, [explain.stdout.match(/kept: (.*)/)![1]], '--json has it as kept');
  const after = readFileSync(a);
  t.equal(after.length, before.length, 'same size: strictly in place');
  t.equal(after.readUInt32LE(4), 0, 'MTIME normalized');
  t.ok(after.subarray(8).equals(before.subarray(8)), 'every byte after MTIME kept');
  t.equal(cli(['check', '--recompress', 'never', a]).code, 0, 'check with never: nothing left to do');
  t.equal(cli(['check', a]).code, 1, 'check with auto: the payload would still change');
});

t.test('--recompress with an unknown value is a usage error (exit 2)', async (t) => {
  const dir = copySample(t, 'gzip-payload/a-gz-9');
  const r = cli(['--recompress', 'sometimes', dir]);
  t.equal(r.code, 2);
  t.match(r.stderr, /recompress/);
});

t.test('--gzip-name drop and a recompressed payload in one rewrite', async (t) => {
  const dir = copySample(t, 'gzip-payload/a-gz-9');
  const [a, b] = ['a', 'b'].map((s) => path.join(dir, s, 'lib.a.gz'));
  const before = readFileSync(a);
  t.ok(before[3] & 0x08, 'gzip stored FNAME');
  const r = cli(['-v', '--gzip-name', 'drop', dir]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /FNAME\/FCOMMENT: FNAME "lib\.a" -> dropped/);
  t.match(r.stdout, /payload \(ar\): deflate data/);
  const after = readFileSync(a);
  t.equal(after[3] & 0x18, 0, 'FNAME flag cleared');
  t.notOk(after.includes('lib.a\0'), 'the name is gone');
  t.equal(sha256(a), sha256(b), 'identical');
  t.ok(deflateData(after).equals(deflateRawSync(gunzipSync(after), { level: 9 })), 'the payload recompressed at level 9');
  if (have('gzip')) t.equal(sh('gzip', ['-t', a]).code, 0, 'gzip -t accepts it');
  t.equal(cli(['check', '--gzip-name', 'drop', dir]).code, 0, 'nothing left to do');
});

t.test('a multi-member gzip: the payload is left alone, with a note', async (t) => {
  const dir = copySample(t, 'gzip-payload/multi');
  const a = path.join(dir, 'a', 'lib.a.gz');
  const before = readFileSync(a);
  const explain = cli(['explain', a]);
  t.match(explain.stdout, /left alone: payload: the file has more than one gzip member; the payload is left alone/);
  t.equal(cli([a]).code, 0);
  const after = readFileSync(a);
  t.equal(after.length, before.length, 'not rewritten');
  t.ok(after.subarray(8).equals(before.subarray(8)), 'only MTIME changed');
});

t.test('a payload no format claims is copied as it is: only its head is inflated', async (t) => {
  const dir = copySample(t, 'gzip/gnu');
  const a = path.join(dir, 'a', 'hello.txt.gz');
  const before = readFileSync(a);
  t.equal(cli([a]).code, 0);
  t.ok(readFileSync(a).subarray(8).equals(before.subarray(8)), 'in place, the data untouched');
});

// Corrupt inputs whose payload is a known format: refused whole, the file untouched.
const good = readFileSync(path.join(samples, 'gzip-payload/a-gz-9/a/lib.a.gz'));
const payload = gunzipSync(good);
const withTrailer = (crc: number) => {
  const b = Buffer.from(good);
  b.writeUInt32LE(crc >>> 0, b.length - 8);
  return b;
};
const brokenAr = Buffer.from(payload);
brokenAr.write('XX', 8 + 58, 'latin1'); // ar_fmag of the first member header
t.test('corrupt: bad CRC-32 in the trailer', async (t) =>
  expectRefused(t, { name: 'bad crc', file: 'bad.a.gz', bytes: withTrailer(good.readUInt32LE(good.length - 8) ^ 1), message: /gzip trailer at 0x[0-9a-f]+: CRC-32 0x[0-9a-f]+ does not match the inflated data's 0x[0-9a-f]+/ }, 'gzip-payload/a-gz-9/a/lib.a.gz'),
);
t.test('corrupt: the deflate data truncated before its last block', async (t) => {
  const cut = Buffer.concat([good.subarray(0, good.length - 8 - 20), good.subarray(good.length - 8)]);
  await expectRefused(t, { name: 'truncated', file: 'bad.a.gz', bytes: cut, message: /gzip data at 0x[0-9a-f]+: deflate data cannot be inflated|runs into the 8-byte trailer/ });
});
t.test('corrupt: the payload breaks its own format (an ar member header)', async (t) =>
  expectRefused(t, { name: 'bad payload', file: 'bad.a.gz', bytes: gzipSync(brokenAr), message: /gzip data at 0xa: payload \(ar\): member header at 0x8: ar_fmag is "XX", not .* \(offsets in the decoded bytes\)/ }),
);
t.test('corrupt: ISIZE does not match', async (t) => {
  const b = Buffer.from(good);
  b.writeUInt32LE(b.readUInt32LE(b.length - 4) + 1, b.length - 4);
  await expectRefused(t, { name: 'isize', file: 'bad.a.gz', bytes: b, message: /ISIZE \d+ does not match the inflated size \d+/ });
});

t.test('.deb (dpkg-deb -Zgzip): control.tar.gz and data.tar.gz recompressed inside the ar, ar_size updated; dpkg-deb accepts it; identical', { skip: !have('dpkg-deb') && 'dpkg-deb is not installed' }, async (t) => {
  const dir = copySample(t, 'gzip-payload/deb');
  const [a, b] = ['a', 'b'].map((s) => path.join(dir, s, 'demo.deb'));
  t.not(sha256(a), sha256(b), 'the two builds differ');
  const readme = (f: string) => sh('sh', ['-c', `dpkg-deb --fsys-tarfile "${f}" | tar -xOf - ./usr/share/doc/demo/README`]).stdout;
  const control = (f: string) => sh('dpkg-deb', ['-f', f]).stdout.toString();
  const before = { readme: readme(a), control: control(a) };
  t.equal(before.readme.toString(), 'hello from a member\n');

  const never = cli(['check', '-v', '--recompress', 'never', a]);
  t.equal(never.code, 1, 'the ar headers would still change in place');
  t.match(never.stdout, /kept: control\.tar\.gz \(gzip\): payload \(tar\): \d+ fields would change/);
  t.notMatch(never.stdout, /ar_size/);

  const r = cli(['-v', dir]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /member data\.tar\.gz \(gzip\): payload \(tar\): tar header \.\/usr\/share\/doc\/demo\/README: uid: 1000 -> 0/);
  t.match(r.stdout, /member data\.tar\.gz: ar_size: \d+ -> \d+ \(the member rewritten\)/);
  t.equal(sha256(a), sha256(b), 'byte-identical after');
  t.equal(sh('dpkg-deb', ['-c', a]).code, 0, 'dpkg-deb -c accepts it');
  t.equal(sh('dpkg-deb', ['-I', a]).code, 0, 'dpkg-deb -I accepts it');
  t.match(sh('env', ['TZ=UTC', 'dpkg-deb', '-c', a]).stdout.toString(), /^-rw-r--r-- 0\/0 +20 1970-01-01 00:00 \.\/usr\/share\/doc\/demo\/README$/m, 'owner 0/0, the epoch');
  t.ok(readme(a).equals(before.readme), 'the packaged file is unchanged');
  t.equal(control(a), before.control, 'the control fields are unchanged');
  t.equal(sh('ar', ['t', a]).stdout.toString(), 'debian-binary\ncontrol.tar.gz\ndata.tar.gz\n', 'members in the order dpkg needs');
  t.equal(cli(['check', dir]).code, 0, 'check exits 0 after');
});

t.test('an ar with a symbol table: a member that would need a rewrite is noted, not rewritten (its offsets would move)', { skip: !have('ar') && 'ar is not installed' }, async (t) => {
  const dir = tempDir(t);
  const gz = readFileSync(path.join(samples, 'gzip-payload/tgz-gnu/a/demo.tar.gz'));
  writeFileSync(path.join(dir, 'demo.tar.gz'), gz);
  const o = readFileSync(path.join(samples, 'ar/gnu/a/libdemo.a'));
  writeFileSync(path.join(dir, 'lib.a'), o);
  t.equal(sh('ar', ['q', 'lib.a', 'demo.tar.gz'], dir).code, 0, 'ar q adds the .tar.gz to a library with a symbol table');
  const f = path.join(dir, 'lib.a');
  const size = readFileSync(f).length;
  const explain = cli(['explain', f]);
  t.match(explain.stdout, /left alone: member demo\.tar\.gz: \d+ fields inside would change, but a rewrite would change its size and the symbol table's member offsets; left alone/);
  t.equal(cli([f]).code, 0);
  t.equal(readFileSync(f).length, size, 'in place');
  t.equal(sh('ar', ['t', f]).code, 0, 'ar still reads it');
});

t.test('explain <a> <b> compares two .tar.gz builds as unstamp leaves them: recompressed, identical; with --recompress never, the tar inside is named', async (t) => {
  const dir = copySample(t, 'gzip-payload/tgz-gnu');
  const [a, b] = ['a', 'b'].map((s) => path.join(dir, s));
  const before = [a, b].map((d) => sha256(path.join(d, 'demo.tar.gz')));
  const auto = cli(['explain', a, b]);
  t.equal(auto.code, 0, auto.stdout);
  t.match(auto.stdout, /^same after +demo\.tar\.gz +\[gzip, 215 vs 212 bytes\]: identical after normalization/m);
  const never = cli(['explain', '--recompress', 'never', a, b]);
  t.equal(never.code, 1);
  t.match(never.stdout, /cause: compressed archive: inflated data of deflate data differs at \+0x[0-9a-f]+ .*: it is a tar file, and --recompress never leaves files inside compressed data alone/);
  t.same([a, b].map((d) => sha256(path.join(d, 'demo.tar.gz'))), before, 'explain writes nothing');
});

t.test('payloads nested deeper than 8 levels (a gzip in a gzip in a gzip...) are refused with a clear message, untouched', async (t) => {
  let bytes = readFileSync(path.join(samples, 'gzip-payload/a-gz-9/a/lib.a.gz'));
  for (let i = 0; i < 9; i++) bytes = gzipSync(bytes);
  await expectRefused(t, { name: 'deep', file: 'deep.gz', bytes, message: /gzip data at 0xa: payload \(gzip\): gzip data at 0xa: payload \(gzip\): .*payloads nested deeper than 8 levels \(offsets in the decoded bytes\); left untouched/ });
  // Seven gzip levels over the ar are fine: normalized all the way down.
  let ok = readFileSync(path.join(samples, 'gzip-payload/a-gz-9/a/lib.a.gz'));
  for (let i = 0; i < 6; i++) ok = gzipSync(ok);
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'ok.gz'), ok);
  const r = cli(['-v', path.join(dir, 'ok.gz')]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /payload \(gzip\): payload \(gzip\): .*payload \(ar\): member hello\.txt ar_date/);
});
