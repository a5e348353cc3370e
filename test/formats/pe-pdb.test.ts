// A PE and its PDB normalized together: both builds' pairs become identical, and the
// PDB still matches its executable (GUID and age, as the debugger checks them).
import t from 'tap';
import path from 'node:path';
import { guidText } from '../../src/formats/shared/guid.js';
import { cli, copySample, have, sh, sha256 } from '../helpers.js';

const tools = have('llvm-readobj') && have('llvm-pdbutil');

/** GUID text and age from the PE's CodeView record. */
function peDebugId(exe: string): { guid: string; age: number } {
  const out = sh('llvm-readobj', ['--coff-debug-directory', exe]).stdout.toString();
  const bytes = /PDBGUID: \(([0-9A-F ]+)\)/.exec(out)![1].split(' ').map((h) => parseInt(h, 16));
  return { guid: guidText(Buffer.from(bytes)), age: Number(/PDBAge: (\d+)/.exec(out)![1]) };
}

/** GUID, age and signature the PDB's info stream holds, as llvm-pdbutil reads them. */
function pdbId(pdb: string): { guid: string; age: number; signature: number } {
  const r = sh('llvm-pdbutil', ['dump', '--summary', pdb]);
  if (r.code !== 0) throw new Error(`llvm-pdbutil rejected ${pdb}: ${r.stderr}`);
  const out = r.stdout.toString();
  return { guid: /GUID: (\{[0-9A-F-]+\})/.exec(out)![1], age: Number(/Age: (\d+)/.exec(out)![1]), signature: Number(/Signature: (\d+)/.exec(out)![1]) };
}

const cases = [
  { dir: 'pe/lld-exe', exe: 'app.exe', pdb: 'app.pdb' },
  { dir: 'pe/lld-exe32', exe: 'app.exe', pdb: 'app.pdb' },
  { dir: 'pe/lld-dll', exe: 'foo.dll', pdb: 'foo.pdb' },
  { dir: 'pe/lld-exe-reguid', exe: 'app.exe', pdb: 'app.pdb' },
  { dir: 'pe/mingw-exe-pdb', exe: 'app.exe', pdb: 'app.pdb' },
];

for (const c of cases) {
  t.test(`${c.dir}: PE and PDB normalized as a unit, identical and still matching`, { skip: !tools && 'llvm-readobj/llvm-pdbutil are not installed' }, async (t) => {
    const dir = copySample(t, c.dir);
    const side = (s: string) => ({ exe: path.join(dir, s, c.exe), pdb: path.join(dir, s, c.pdb) });
    const [a, b] = [side('a'), side('b')];
    t.same(peDebugId(a.exe).guid, pdbId(a.pdb).guid, 'the sample PE and PDB match before');
    // Two jobs: pairing must hold whatever runs in parallel.
    const run = cli(['-j', '2', dir]);
    t.equal(run.code, 0, run.stderr);
    t.notMatch(run.stderr, /warning/, 'every PE found its PDB');
    t.equal(sha256(a.exe), sha256(b.exe), 'PEs byte-identical');
    t.equal(sha256(a.pdb), sha256(b.pdb), 'PDBs byte-identical');
    const pe = peDebugId(a.exe);
    const pdb = pdbId(a.pdb);
    t.equal(pdb.guid, pe.guid, 'PDB GUID equals the PE CodeView GUID');
    t.equal(pdb.age, pe.age, 'PDB age equals the PE CodeView age');
    t.equal(pe.age, 1);
    const header = sh('llvm-readobj', ['--file-headers', a.exe]).stdout.toString();
    t.equal(pdb.signature, parseInt(/TimeDateStamp: .*\(0x([0-9A-F]+)\)/.exec(header)![1], 16), 'PDB signature is the PE TimeDateStamp');
    t.equal(JSON.parse(cli(['--json', dir]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
  });
}

t.test('a PDB whose executable is not in the run is left alone with a warning', async (t) => {
  const pdb = copySample(t, 'pe/lld-exe-reguid/a/app.pdb');
  const before = sha256(pdb);
  const r = cli([pdb]);
  t.equal(r.code, 0);
  t.match(r.stderr, /app\.pdb: warning: no executable with this PDB's GUID \{[0-9A-F-]{36}\} is in this run/);
  t.equal(sha256(pdb), before);
});
