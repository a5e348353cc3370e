import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, copySample, expectRefused, have, samples, sh, sha256 } from '../helpers.js';

const EPOCH = 1700000000; // 2023-11-14 22:13:20 UTC

/** msgunfmt's listing without the two date lines: the messages themselves. */
const messages = (file: string) =>
  sh('msgunfmt', [file])
    .stdout.toString()
    .split('\n')
    .filter((l) => !/^"(POT-Creation|PO-Revision)-Date: /.test(l))
    .join('\n');

const pairs = [
  { v: 'pybabel', fields: ['POT-Creation-Date', 'PO-Revision-Date'] },
  // GNU msgfmt drops POT-Creation-Date when it compiles.
  { v: 'msgfmt', fields: ['PO-Revision-Date'] },
  { v: 'msgfmt-be', fields: ['PO-Revision-Date'] },
];

for (const { v, fields } of pairs) {
  t.test(`mo/${v}: pair made identical, msgunfmt prints the same messages, gettext still translates, idempotent`, async (t) => {
    const dir = copySample(t, `mo/${v}`);
    const a = path.join(dir, 'a', 'hello.mo');
    const b = path.join(dir, 'b', 'hello.mo');
    t.not(sha256(a), sha256(b), 'the two builds differ before');
    const before = readFileSync(a);
    const listed = have('msgunfmt') ? messages(a) : undefined;
    t.equal(cli(['check', dir]).code, 1);
    const r = cli(['-v', '--epoch', String(EPOCH), dir]);
    t.equal(r.code, 0, r.stderr);
    for (const f of fields) {
      t.match(r.stdout, new RegExp(`${f}: "2021-03-04 00:06-0500" -> "2023-11-14 22:13\\+0000"`), `${f} of build a (New York time)`);
      t.match(r.stdout, new RegExp(`${f}: "2023-09-10 20:12\\+0900" -> "2023-11-14 22:13\\+0000"`), `${f} of build b (Tokyo time)`);
    }
    t.equal(sha256(a), sha256(b), 'byte-identical after');
    const after = readFileSync(a);
    t.equal(after.length, before.length, 'same size');
    t.ok(after.subarray(0, 28).equals(before.subarray(0, 28)), 'header (offsets, hash table position) unchanged');
    if (listed !== undefined) {
      const out = sh('msgunfmt', [a]);
      t.equal(out.code, 0, 'msgunfmt accepts it');
      t.match(out.stdout.toString(), new RegExp(fields.map((f) => `"${f}: 2023-11-14 22:13\\+0000\\\\n"`).join('\n')), 'msgunfmt shows the new dates');
      t.equal(messages(a), listed, 'every other line msgunfmt prints is the same');
    } else t.skip('msgunfmt is not installed');
    // Python's gettext reads the catalog, its header and the hash-free lookup.
    const py = sh('/usr/bin/python3', ['-c', 'import gettext,sys; g=gettext.GNUTranslations(open(sys.argv[1],"rb")); print(g.gettext("Good morning")); print(g.info().get("po-revision-date"))', a]);
    t.equal(py.code, 0, py.stderr);
    t.equal(py.stdout.toString(), 'Guten Morgen\n2023-11-14 22:13+0000\n', 'Python gettext translates and reads the header');
    t.equal(cli(['check', '--epoch', String(EPOCH), dir]).code, 0, 'check exits 0 after');
    t.equal(JSON.parse(cli(['--json', '--epoch', String(EPOCH), dir]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
  });
}

t.test('--clamp: an older date kept, a newer one lowered', async (t) => {
  const dir = copySample(t, 'mo/pybabel');
  const a = path.join(dir, 'a', 'hello.mo');
  const before = readFileSync(a);
  t.equal(cli(['--clamp', '--epoch', '2022-01-01', dir]).code, 0);
  // Kept as the same instant, written again in UTC: "2021-03-04 00:06-0500" is 05:06 UTC.
  t.match(readFileSync(a).toString('latin1'), /POT-Creation-Date: 2021-03-04 05:06\+0000\n/);
  t.equal(readFileSync(a).length, before.length);
  t.match(readFileSync(path.join(dir, 'b', 'hello.mo')).toString('latin1'), /PO-Revision-Date: 2022-01-01 00:00\+0000\n/);
});

t.test('a template placeholder date is noted and kept', async (t) => {
  const dir = copySample(t, 'mo/pybabel');
  const a = path.join(dir, 'a', 'hello.mo');
  const buf = readFileSync(a);
  const at = buf.indexOf('PO-Revision-Date: ') + 'PO-Revision-Date: '.length;
  // Same length as "2021-03-04 00:06-0500": what an untranslated template holds.
  buf.write('YEAR-MO-DA HO:MI+ZONE', at, 'latin1');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(a, buf);
  const e = cli(['explain', a]);
  t.match(e.stdout, /PO-Revision-Date at 0x[0-9a-f]+: "YEAR-MO-DA HO:MI\+ZONE" is not a date/);
  t.equal(cli([a]).code, 0);
  t.match(readFileSync(a).toString('latin1'), /PO-Revision-Date: YEAR-MO-DA HO:MI\+ZONE\n/, 'kept');
});

t.test('bad input is refused with the offset, the file untouched', async (t) => {
  const good = readFileSync(path.join(samples, 'mo/msgfmt/a/hello.mo'));
  const farTable = Buffer.from(good);
  farTable.writeUInt32LE(0x10000, 16);
  expectRefused(t, { name: 'table', bytes: farTable, file: 'table.mo', message: /\.mo translation table at 0x10000 \(word at 0x10\): 4 entries run past the end of the file/ }, 'mo/msgfmt/b/hello.mo');
  const farString = Buffer.from(good);
  const originals = good.readUInt32LE(12);
  farString.writeUInt32LE(0x7fff0000, originals + 8 + 4);
  expectRefused(t, { name: 'string', bytes: farString, file: 'string.mo', message: /\.mo original string #1 \(entry at 0x[0-9a-f]+\): \d+ bytes at 0x7fff0000 run past the end of the file/ });
  const rev = Buffer.from(good);
  rev.writeUInt32LE(0x20000, 4);
  expectRefused(t, { name: 'revision', bytes: rev, file: 'rev.mo', message: /\.mo revision 0x20000 at 0x4: major revision 2 is not 0 or 1/ });
  expectRefused(t, { name: 'truncated', bytes: good.subarray(0, 100), file: 'cut.mo', message: /\.mo (original|translation) (table|string)[^:]*: .* run past the end of the file \(size 0x64\)/ });
});
