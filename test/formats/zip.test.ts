import t from 'tap';
import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, copySample, have, samples, sh, sha256, tempDir } from '../helpers.js';

const PY = '/usr/bin/python3';
const zipRoot = path.join(samples, 'zip');
/**
 * Pairs that cannot match and why: traditional PKWARE encryption starts each entry with
 * 12 random bytes. (A deflated nested archive is recompressed: nested-deflated matches.)
 */
const cannotMatch: Record<string, string> = { encrypted: 'random encryption header' };
/** Every pair (the tz-* pairs are the same inputs archived under two TZ values). */
const variants = existsSync(zipRoot) ? readdirSync(zipRoot).filter((d) => existsSync(path.join(zipRoot, d, 'a')) && !cannotMatch[d]) : [];

/** Python's zipfile: testzip() and a digest of every entry's decompressed bytes, per name. */
function pythonPayload(file: string): string {
  // A member that is itself a zip (stored, normalized in place) is compared by its own payload.
  const code = [
    'import hashlib, io, sys, zipfile',
    'def payload(z, indent=""):',
    '    assert z.testzip() is None',
    '    for i in z.infolist():',
    '        if i.flag_bits & 1:',
    '            print(indent + i.filename, "<encrypted>"); continue',
    '        data = z.read(i)',
    '        if data[:4] == b"PK\\x03\\x04":',
    '            print(indent + i.filename, "<zip>"); payload(zipfile.ZipFile(io.BytesIO(data)), indent + "  ")',
    '        else:',
    '            print(indent + i.filename, hashlib.sha256(data).hexdigest())',
    'payload(zipfile.ZipFile(sys.argv[1]))',
  ].join('\n');
  const r = sh(PY, ['-c', code, file]);
  if (r.code !== 0) throw new Error(`python zipfile rejected ${file}: ${r.stderr}`);
  return r.stdout.toString();
}

for (const v of variants) {
  t.test(`zip/${v}: pair made identical, unzip -t and zipfile accept it, payload unchanged, TZ-independent`, { skip: !have('unzip') && 'unzip is not installed' }, async (t) => {
    const dir = copySample(t, path.join('zip', v));
    const files = readdirSync(path.join(dir, 'a'));
    const before = files.map((f) => pythonPayload(path.join(dir, 'a', f)));
    // unzip warns (exit 1) about a stub before an archive whose offsets were not adjusted.
    const unzipBefore = files.map((f) => sh('unzip', ['-tqq', path.join(dir, 'a', f)]).code);
    const again = copySample(t, path.join('zip', v));
    t.equal(cli([dir], { env: { TZ: 'America/New_York' } }).code, 0);
    t.equal(cli([again], { env: { TZ: 'Asia/Tokyo' } }).code, 0);
    for (const [i, f] of files.entries()) {
      const a = path.join(dir, 'a', f);
      t.equal(sha256(a), sha256(path.join(dir, 'b', f)), `${f}: byte-identical after`);
      t.equal(sha256(a), sha256(path.join(again, 'a', f)), `${f}: same bytes under TZ=America/New_York and TZ=Asia/Tokyo`);
      t.equal(sh('unzip', ['-tqq', a]).code, unzipBefore[i], `${f}: unzip -t answers as before (${unzipBefore[i]})`);
      t.ok(unzipBefore[i] <= 1, `${f}: unzip -t accepts it`);
      t.equal(pythonPayload(a), before[i], `${f}: zipfile testzip() passes, same entries and payload`);
    }
    t.equal(JSON.parse(cli(['--json', dir]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
  });
}

t.test('epoch 0 writes the documented DOS value 1980-01-01 00:00:00 (date 0x0021, time 0)', async (t) => {
  const v = variants.find((d) => d.startsWith('infozip'));
  if (!v) return t.skip('no Info-ZIP sample');
  const dir = copySample(t, path.join('zip', v));
  const file = path.join(dir, 'a', readdirSync(path.join(dir, 'a'))[0]);
  t.equal(cli([file]).code, 0);
  const b = readFileSync(file);
  t.equal(b.readUInt32LE(0), 0x04034b50);
  t.equal(b.readUInt16LE(10), 0, 'DOS time 0');
  t.equal(b.readUInt16LE(12), 0x21, 'DOS date 1980-01-01');
});

t.test('corrupt zips exit 3 and stay untouched', async (t) => {
  const v = variants.find((d) => d.startsWith('infozip'));
  if (!v) return t.skip('no Info-ZIP sample');
  const src = readFileSync(path.join(zipRoot, v, 'a', readdirSync(path.join(zipRoot, v, 'a'))[0]));
  const eocd = src.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
  const cd = src.readUInt32LE(eocd + 16);
  const edit = (fn: (b: Buffer) => void) => {
    const b = Buffer.from(src);
    fn(b);
    return b;
  };
  const cases: { name: string; bytes: Buffer; message: RegExp }[] = [
    { name: 'truncated (no end record)', bytes: src.subarray(0, eocd), message: /no end of central directory record/ },
    { name: 'central directory offset past the end', bytes: edit((b) => b.writeUInt32LE(0x7ffffff0, eocd + 16)), message: /does not fit before it|runs past/ },
    { name: 'bad central entry signature', bytes: edit((b) => b.writeUInt32LE(0x12345678, cd)), message: /central directory entry 0 at 0x[0-9a-f]+: bad signature/ },
    { name: 'extra field size past its data', bytes: edit((b) => b.writeUInt16LE(0xfff0, cd + 46 + b.readUInt16LE(cd + 28) + 2)), message: /extra field 0x[0-9a-f]+ at 0x[0-9a-f]+: size 65520 runs past the extra data/ },
    { name: 'local header offset past the end', bytes: edit((b) => b.writeUInt32LE(0x7ffffff0, cd + 42)), message: /local header offset 0x7ffffff0 runs past the end of the file/ },
    { name: 'EOCD count too high', bytes: edit((b) => b.writeUInt16LE(b.readUInt16LE(eocd + 10) + 1, eocd + 10)), message: /central directory entry \d+ at 0x[0-9a-f]+ runs past the central directory/ },
    { name: 'EOCD count too low', bytes: edit((b) => b.writeUInt16LE(b.readUInt16LE(eocd + 10) - 1, eocd + 10)), message: /end of central directory counts \d+ entries, but the central directory holds 0x[0-9a-f]+ more bytes/ },
  ];
  const z64 = path.join(zipRoot, 'bsdtar-zip64', 'a', 'demo.zip');
  if (existsSync(z64)) {
    const b = Buffer.from(readFileSync(z64));
    const loc = b.lastIndexOf(Buffer.from('PK\x06\x07', 'latin1'));
    b.writeBigUInt64LE(0x10n, loc + 8);
    cases.push({ name: 'zip64 locator pointing nowhere', bytes: b, message: /zip64 end of central directory record at 0x10: bad signature/ });
  }
  for (const c of cases) {
    const file = path.join(tempDir(t), 'bad.zip');
    writeFileSync(file, c.bytes);
    const r = cli([file]);
    t.equal(r.code, 3, `${c.name}: exit 3`);
    t.match(r.stderr, c.message, c.name);
    t.ok(readFileSync(file).equals(c.bytes), `${c.name}: untouched`);
  }
});

t.test('zip/encrypted: metadata normalized, the random encryption header is all that differs', { skip: !existsSync(path.join(zipRoot, 'encrypted')) && 'no encrypted sample' }, async (t) => {
  const dir = copySample(t, 'zip/encrypted');
  const f = readdirSync(path.join(dir, 'a'))[0];
  const [a, b] = [path.join(dir, 'a', f), path.join(dir, 'b', f)];
  const explain = cli(['explain', a]).stdout;
  t.equal(cli([dir]).code, 0);
  for (const x of [a, b]) t.equal(sh('unzip', ['-tqq', '-P', 'secret', x]).code, 0, `${path.basename(path.dirname(x))}: unzip -t with the password accepts it`);
  // Info-ZIP -e writes data descriptors, so the DOS time is the check byte: kept, and said.
  t.match(explain, /encrypted with a data descriptor; its DOS time is the password check byte and is kept/);
  t.equal(cli(['check', dir]).code, 0, 'everything else normalized: a second run finds nothing');
});

t.test('zip/nested-deflated with --recompress never: the deflated jar is listed as kept, the pair stays different', { skip: !existsSync(path.join(zipRoot, 'nested-deflated')) && 'no sample' }, async (t) => {
  const dir = copySample(t, 'zip/nested-deflated');
  const [a, b] = ['a', 'b'].map((s) => path.join(dir, s, 'outer.zip'));
  const explain = cli(['explain', '--recompress', 'never', a]).stdout;
  t.match(explain, /a compressed nested archive, not normalized in place/);
  t.match(explain, /\n  kept: demo\.jar \(zip\): \d+ fields would change, not recompressed: --recompress never/);
  const sizes = [a, b].map((f) => readFileSync(f).length);
  t.equal(cli(['--recompress', 'never', dir]).code, 0);
  t.same([a, b].map((f) => readFileSync(f).length), sizes, 'strictly in place');
  t.not(sha256(a), sha256(b), 'the deflated jar inside still differs');
  t.equal(cli(['check', dir]).code, 1, 'with auto, the jar would still change');
});

t.test('--zip-order name: members in different orders become the same archive', { skip: !have('zip') && 'zip is not installed' }, async (t) => {
  const dir = tempDir(t);
  const src = path.join(dir, 'src');
  const files = ['b.txt', 'a.txt', 'c/d.txt'];
  sh('mkdir', ['-p', path.join(src, 'c')]);
  for (const f of files) writeFileSync(path.join(src, f), `content of ${f}\n`);
  const orders = [files, [...files].reverse()];
  const zips = orders.map((order, i) => {
    const out = path.join(dir, `${i}.zip`);
    t.equal(sh('zip', ['-q', '-X', out, ...order], src).code, 0);
    return out;
  });
  t.not(sha256(zips[0]), sha256(zips[1]), 'Info-ZIP keeps the order it was given');
  const before = pythonPayload(zips[0]).trim().split('\n').sort().join('\n');
  t.equal(cli(['check', '--zip-order', 'name', ...zips]).code, 1);
  const r = cli(['-v', '--zip-order', 'name', ...zips]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /member order: \d of 3 members out of name order -> sorted by name/);
  t.equal(sha256(zips[0]), sha256(zips[1]), 'identical after');
  t.equal(sh('unzip', ['-tqq', zips[0]]).code, 0, 'unzip -t accepts it');
  t.equal(pythonPayload(zips[0]).trim(), before, 'entries now sorted by name, same payload');
  t.equal(cli(['check', '--zip-order', 'name', ...zips]).code, 0, 'second run: nothing to do');
});
