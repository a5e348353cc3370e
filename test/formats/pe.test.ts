import t from 'tap';
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, copySample, have, samples, sh, sha256, tempDir, expectRefused, type Corrupt } from '../helpers.js';

const PY = '/usr/bin/python3';
const havePefile = have(PY) && sh(PY, ['-c', 'import pefile']).code === 0;
const readobjArgs = ['--file-headers', '--coff-debug-directory', '--coff-exports', '--coff-resources'];

/** pefile's verify_checksum() for each file (the independent check of the PE checksum). */
function checksumValid(files: string[]): boolean[] {
  const code = `import pefile, sys\nfor f in sys.argv[1:]: print(pefile.PE(f, fast_load=True).verify_checksum())`;
  return sh(PY, ['-c', code, ...files]).stdout.toString().trim().split('\n').map((l) => l === 'True');
}

/** What must not change: the code (disassembly) and the section table. */
function payload(file: string): string {
  const dis = sh('llvm-objdump', ['-d', '--no-show-raw-insn', file]).stdout.toString().split('\n').slice(2).join('\n');
  const sections = sh('llvm-readobj', ['--sections', file]).stdout.toString().replace(/^File: .*$/m, '');
  return dis + sections;
}

interface PairCase {
  dir: string;
  files: string[];
  identical?: boolean;
}
const pairs: PairCase[] = [
  { dir: 'pe/lld-exe', files: ['app.exe'] },
  { dir: 'pe/lld-exe32', files: ['app.exe'] },
  { dir: 'pe/lld-dll', files: ['foo.dll'] },
  { dir: 'pe/lld-exe-reguid', files: ['app.exe'] },
  { dir: 'pe/lld-exe-brepro', files: ['app.exe'], identical: true },
  { dir: 'pe/mingw-exe', files: ['app.exe'] },
  { dir: 'pe/mingw-dll', files: ['lib.dll'] },
  { dir: 'pe/mingw-exe-pdb', files: ['app.exe'] },
];

for (const c of pairs) {
  t.test(`${c.dir}: PE pair made identical, still valid, checksum right, idempotent`, { skip: !have('llvm-readobj') && 'llvm-readobj is not installed' }, async (t) => {
    const dir = copySample(t, c.dir);
    for (const f of c.files) {
      const [a, b] = [path.join(dir, 'a', f), path.join(dir, 'b', f)];
      if (c.identical) t.equal(sha256(a), sha256(b), `${f}: already identical`);
      else t.not(sha256(a), sha256(b), `${f}: the builds differ before`);
    }
    const before = Object.fromEntries(c.files.map((f) => [f, payload(path.join(dir, 'a', f))]));
    const validBefore = havePefile ? checksumValid(c.files.map((f) => path.join(dir, 'a', f))) : [];

    const run = cli([dir]);
    t.equal(run.code, 0, run.stderr);
    for (const [i, f] of c.files.entries()) {
      const [a, b] = [path.join(dir, 'a', f), path.join(dir, 'b', f)];
      t.equal(sha256(a), sha256(b), `${f}: byte-identical after`);
      const ro = sh('llvm-readobj', [...readobjArgs, a]);
      t.equal(ro.code, 0, `${f}: llvm-readobj accepts it ${ro.stderr}`);
      t.equal(payload(a), before[f], `${f}: code and section table unchanged`);
      if (!havePefile) t.skip('pefile checksum check: /usr/bin/python3 with pefile is not installed');
      else if (validBefore[i]) t.same(checksumValid([a]), [true], `${f}: pefile verify_checksum() holds`);
    }
    const again = JSON.parse(cli(['--json', dir]).stdout);
    t.equal(again.summary.bytesChanged, 0, 'second run changes 0 bytes');
    t.equal(cli(['check', dir]).code, 0, 'check exits 0 after');
  });
}

t.test('--pe-timestamp epoch writes the epoch into every TimeDateStamp; hash is the default', async (t) => {
  const file = copySample(t, 'pe/mingw-dll/a/lib.dll');
  const hash = JSON.parse(cli(['check', '--json', file]).stdout).files[0].fields;
  const header = hash.find((f: { field: string }) => f.field === 'COFF TimeDateStamp');
  t.notMatch(header.new, /^1614834367 /, 'hash mode derives a new value');
  t.equal(cli(['--pe-timestamp', 'epoch', '--epoch', '1000', file]).code, 0);
  const buf = readFileSync(file);
  t.equal(buf.readUInt32LE(0x88), 1000, 'COFF header');
  t.equal(buf.readUInt32LE(0x2404), 1000, 'export directory');
  t.equal(cli(['--pe-timestamp', 'sometimes', file]).code, 2, 'a bad choice is a usage error');
});

t.test('a PE without its PDB in the run is normalized with a warning naming the PDB GUID', async (t) => {
  const file = copySample(t, 'pe/lld-exe/a/app.exe');
  const r = cli([file]);
  t.equal(r.code, 0);
  t.match(r.stderr, /app\.exe: warning: its PDB \(GUID \{[0-9A-F-]{36}\}\) is not in this run and will no longer match/);
});

t.test('an Authenticode-signed PE is skipped untouched, not a failure', { skip: !have('osslsigncode') && 'osslsigncode is not installed' }, async (t) => {
  const dir = tempDir(t);
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  t.equal(sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=unstamp test']).code, 0);
  const signed = path.join(dir, 'signed.exe');
  const s = sh('osslsigncode', ['sign', '-certs', cert, '-key', key, '-in', path.join(samples, 'pe/mingw-exe/a/app.exe'), '-out', signed]);
  t.equal(s.code, 0, s.stderr);
  const before = sha256(signed);
  const r = JSON.parse(cli(['--json', signed]).stdout);
  t.equal(r.exitCode, 0);
  t.match(r.files[0], { status: 'skipped', reason: /signed .*normalize before signing/ });
  t.equal(sha256(signed), before);
});

const mingwRuntime = '/usr/lib/gcc/x86_64-w64-mingw32';
t.test('real PE files from Debian packages go through and stay valid', { skip: !have('llvm-readobj') && 'llvm-readobj is not installed' }, async (t) => {
  const found = (readdirSync(mingwRuntime, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile() && e.name.endsWith('.dll'))
    .map((e) => path.join(e.parentPath, e.name));
  if (found.length === 0) return t.skip(`no DLLs under ${mingwRuntime} (package gcc-mingw-w64-x86-64)`);
  const dir = tempDir(t);
  const copies = found.map((f, i) => {
    const dest = path.join(dir, `${i}-${path.basename(f)}`);
    cpSync(f, dest);
    return dest;
  });
  const valid = havePefile ? checksumValid(copies) : [];
  const r = JSON.parse(cli(['--json', dir]).stdout);
  t.equal(r.summary.failed, 0, `no failures among ${copies.length} DLLs`);
  for (const [i, f] of copies.entries()) {
    t.equal(sh('llvm-readobj', [...readobjArgs, f]).code, 0, `${path.basename(f)}: llvm-readobj accepts it`);
    if (valid[i]) t.same(checksumValid([f]), [true], `${path.basename(f)}: checksum still valid`);
  }
  t.equal(JSON.parse(cli(['--json', dir]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
});

const exe = readFileSync(path.join(samples, 'pe/mingw-dll/a/lib.dll'));
const lfanew = exe.readUInt32LE(0x3c);
const put = (at: number, v: number, bytes = 4) => {
  const b = Buffer.from(exe);
  if (bytes === 2) b.writeUInt16LE(v, at);
  else b.writeUInt32LE(v >>> 0, at);
  return b;
};
const optional = lfanew + 24;
const dataDirs = optional + 112;
const corrupt: Corrupt[] = [
  { name: 'section table past EOF', bytes: put(lfanew + 6, 0xffff, 2), message: /section table at 0x[0-9a-f]+: 65535 sections run past the end of the file/ },
  { name: 'truncated optional header', bytes: exe.subarray(0, optional + 40), message: /optional header at 0x[0-9a-f]+ \(240 bytes\) runs past the end/ },
  { name: 'bad optional header magic', bytes: put(optional, 0x999, 2), message: /Magic 0x999 is neither PE32/ },
  { name: 'export directory outside every section', bytes: put(dataDirs, 0x7fff0000), message: /export directory at RVA 0x7fff0000 is not inside any section/ },
  { name: 'resource entry count absurd', bytes: put(0x2e04 + 10, 0xffff, 2), message: /resource directory root at 0x2e00: 65535 entries run past the resource data/ },
];
for (const c of corrupt) {
  t.test(`corrupt PE (${c.name}) exits 3 and is left untouched`, async (t) => expectRefused(t, { ...c, file: 'bad.dll' }));
}

t.test('corrupt PE: debug directory pointing outside the file', async (t) => {
  const src = readFileSync(path.join(samples, 'pe/lld-exe/a/app.exe'));
  const bad = Buffer.from(src);
  bad.writeUInt32LE(0x7ffffff0, 0x600 + 24); // debug directory[0] PointerToRawData
  const file = path.join(tempDir(t), 'bad.exe');
  writeFileSync(file, bad);
  const r = cli([file]);
  t.equal(r.code, 3);
  t.match(r.stderr, /PE debug directory at 0x600 points past end of file: CodeView data at 0x7ffffff0\+0x[0-9a-f]+ \(size 0xa00\)/);
  t.ok(readFileSync(file).equals(bad));
});

t.test('--pdb-path basename: the same program linked in two folders gives the same PE', { skip: !(have('clang') && have('lld-link')) && 'clang/lld-link are not installed' }, async (t) => {
  const builds = [tempDir(t, 'unstamp-build-one-'), tempDir(t, 'unstamp-build-two-')].map((dir) => {
    writeFileSync(path.join(dir, 'main.c'), 'int mainCRTStartup(void) { return 0; }\n');
    const cc = sh('clang', ['--target=x86_64-pc-windows-msvc', '-gcodeview', '-c', 'main.c', '-o', 'main.obj'], dir);
    t.equal(cc.code, 0, cc.stderr);
    const ld = sh('lld-link', ['/debug', `/pdb:${path.join(dir, 'app.pdb')}`, '/out:app.exe', '/entry:mainCRTStartup', '/subsystem:console', '/nodefaultlib', 'main.obj'], dir);
    t.equal(ld.code, 0, ld.stderr);
    return path.join(dir, 'app.exe');
  });
  t.match(sh('llvm-readobj', ['--coff-debug-directory', builds[0]]).stdout.toString(), /PDBFileName: \/.*unstamp-build-one-.*app\.pdb/, 'the linker wrote the absolute PDB path');
  t.not(sha256(builds[0]), sha256(builds[1]));
  t.equal(cli(['--pdb-path', 'basename', ...builds]).code, 0);
  t.equal(sha256(builds[0]), sha256(builds[1]), 'identical after');
  t.match(sh('llvm-readobj', ['--coff-debug-directory', builds[0]]).stdout.toString(), /PDBFileName: app\.pdb\n/, 'llvm-readobj reads the base name');
});
