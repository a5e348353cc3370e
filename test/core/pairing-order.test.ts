// A PDB whose name sorts before its executable's (00-app.pdb, app.exe) belongs to the
// executable's unit all the same: planned once, written once, and it ends up exactly as
// when it is named app.pdb.
import t from 'tap';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, samples, tempDir } from '../helpers.js';

t.test('a PDB that sorts before its PE is processed once, with its PE', async (t) => {
  const usual = tempDir(t);
  cpSync(path.join(samples, 'pe/lld-exe/a/app.exe'), path.join(usual, 'app.exe'));
  cpSync(path.join(samples, 'pe/lld-exe/a/app.pdb'), path.join(usual, 'app.pdb'));
  t.equal(cli(['--epoch', '0', usual]).code, 0);

  const early = tempDir(t);
  cpSync(path.join(samples, 'pe/lld-exe/a/app.exe'), path.join(early, 'app.exe'));
  cpSync(path.join(samples, 'pe/lld-exe/a/app.pdb'), path.join(early, '00-app.pdb'));
  const r = cli(['-v', '--epoch', '0', early]);
  t.equal(r.code, 0);
  t.equal(r.stderr, '', 'no "no executable with this GUID" warning');
  t.equal(r.stdout.match(/^normalized +\S*00-app\.pdb/gm)?.length, 1, 'reported once');
  t.match(r.stdout, /2 files scanned .* 2 normalized, 0 already clean, 0 skipped/);
  t.ok(readFileSync(path.join(early, '00-app.pdb')).equals(readFileSync(path.join(usual, 'app.pdb'))), 'the same PDB bytes');
  t.ok(readFileSync(path.join(early, 'app.exe')).equals(readFileSync(path.join(usual, 'app.exe'))), 'the same PE bytes');
});
