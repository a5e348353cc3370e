// A zip followed by junk (bytes appended after the end record): the record is found
// looking back past the junk, as Go's archive/zip does, the archive is normalized and
// the junk kept as it is, with a note.
import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { cli, copySample, have, samples, sh, sha256 } from '../helpers.js';

/** unzip -t: exit code and what it says, with the file's path taken out. */
function unzipTest(file: string): string {
  const r = sh('unzip', ['-t', file]);
  return `exit ${r.code}: ${(r.stdout.toString() + r.stderr).replaceAll(file, 'FILE')}`;
}

t.test("Go's test-trailing-junk.zip is normalized, its junk kept", { skip: !have('unzip') && 'unzip is not installed' }, async (t) => {
  const file = copySample(t, 'zip/go-testdata/test-trailing-junk.zip');
  const before = readFileSync(file);
  const unzipBefore = unzipTest(file);
  t.match(unzipBefore, /^exit 0: .*No errors detected/s, 'unzip -t accepts the original');
  const r = cli(['--json', file]);
  t.equal(r.code, 0, r.stderr);
  const [f] = JSON.parse(r.stdout).files;
  t.equal(f.status, 'normalized');
  t.ok(f.notes.includes('14 bytes after the end of central directory record (appended to the archive) kept'), 'the junk is noted');
  const after = readFileSync(file);
  t.equal(after.length, before.length, 'same size');
  t.equal(after.subarray(-14).toString('latin1'), 'some nonsense\n', 'the junk is where it was');
  t.ok(after.subarray(-14 - 26, -14).equals(before.subarray(-14 - 26, -14)), 'the archive comment too');
  t.equal(unzipTest(file), unzipBefore, 'unzip -t says the same as before');
  const py = sh('/usr/bin/python3', ['-c', 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())', file]);
  t.equal(py.stdout.toString(), 'None\n', 'zipfile.testzip() passes');
  t.equal(JSON.parse(cli(['--json', file]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
});

t.test('an Info-ZIP pair with junk appended becomes identical, junk kept', async (t) => {
  const dir = copySample(t, 'zip/trailing-junk');
  const [a, b] = ['a', 'b'].map((s) => path.join(dir, s, 'demo.zip'));
  t.not(sha256(a), sha256(b));
  const r = cli(['-v', dir]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /2 normalized/);
  t.equal(sha256(a), sha256(b), 'byte-identical after');
  t.equal(readFileSync(a).subarray(-32).toString('latin1'), 'junk appended after the archive\n');
  t.equal(statSync(a).size, statSync(path.join(samples, 'zip/trailing-junk/a/demo.zip')).size, 'same size');
});
