// --remap-path OLD=NEW on real builds of one small C project (samples/remap/src/: a static
// library and a program using __FILE__, with debug info), built by
// samples/make-remap-samples.sh in /tmp/unstamp-remap-AAAA (side a) and
// /tmp/unstamp-remap-BBBB (side b) at two clocks, with gcc, mingw-w64, clang for
// Windows (lld-link, PDB) and clang for macOS (ld64.lld). After each side's folder is
// remapped to one common folder, every output must be byte-identical, accepted by the
// tools that read it, and free of the old folder.
import t from 'tap';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, have, output, root, sh, sha256, tempDir } from './helpers.js';

const A = '/tmp/unstamp-remap-AAAA';
const B = '/tmp/unstamp-remap-BBBB';
/** Repeated characters: DWARF sections compressed with -gz still fit after the remap. */
const COMMON = '/tmp/unstamp-remap-XXXX';
/**
 * The C++ pair's common folder: clang hashes the main file's path into anonymous namespace
 * names, and that of /tmp/unstamp-remap-XXXX/cpp/lib/containers.cpp has a digit less.
 */
const COMMON_CPP = '/tmp/unstamp-remap-YYYY';

const TOOLS = ['gcc', 'x86_64-w64-mingw32-gcc', 'clang', 'clang++', 'llvm-lib', 'lld-link', 'faketime', 'llvm-dwarfdump', 'llvm-readobj', 'llvm-pdbutil', 'llvm-nm'];
const missing = TOOLS.filter((x) => !have(x));
if (!have('ld64.lld') && !existsSync('/usr/lib/llvm-14/bin/ld64.lld')) missing.push('ld64.lld');

/** Both sides built once into a folder the tests copy from (and the two common folders, built there directly). */
function built(t: Tap): string {
  const dir = tempDir(t, 'unstamp-remap-');
  const r = sh('bash', [path.join(root, 'samples', 'make-remap-samples.sh'), dir, COMMON, COMMON_CPP]);
  if (r.code !== 0) throw new Error(`make-remap-samples.sh failed: ${r.stderr}`);
  return dir;
}

type Tap = Parameters<Parameters<typeof t.test>[1]>[0];

/** A fresh copy of toolchain `tc` of both sides. */
function sides(t: Tap, src: string, tc: string): { a: string; b: string } {
  const dir = tempDir(t);
  for (const s of ['a', 'b']) cpSync(path.join(src, s, tc), path.join(dir, s), { recursive: true });
  return { a: path.join(dir, 'a'), b: path.join(dir, 'b') };
}

const holds = (file: string, text: string) => readFileSync(file).includes(Buffer.from(text)) || readFileSync(file).includes(Buffer.from(text.replace(/\//g, '\\')));

/** Remap both sides to `common`; every file byte-identical after, a second run clean. */
function remapBoth(t: Tap, s: { a: string; b: string }, files: string[], common = COMMON): void {
  const ra = cli(['--remap-path', `${A}=${common}`, s.a]);
  t.equal(ra.code, 0, `side a normalized: ${ra.stderr}`);
  const rb = cli(['--remap-path', `${B}=${common}`, s.b]);
  t.equal(rb.code, 0, `side b normalized: ${rb.stderr}`);
  for (const f of files) {
    const fa = path.join(s.a, f);
    t.ok(holds(fa, common), `${f} holds the common folder`);
    t.notOk(holds(fa, A), `${f}: the old folder is gone`);
    t.equal(sha256(fa), sha256(path.join(s.b, f)), `${f}: a and b byte-identical`);
  }
  t.equal(cli(['check', '--remap-path', `${A}=${common}`, s.a]).code, 0, 'a second run changes nothing');
}

/** What llvm-pdbutil dump prints of the streams that hold paths; it must succeed without a word on stderr. */
function pdbDump(pdb: string): string {
  const r = sh('llvm-pdbutil', ['dump', '--summary', '--files', '--modules', '--string-table', '--types', '--ids', '--publics', '--globals', '--symbols', '--section-contribs', '--type-extras', '--id-extras', '--il', '--l', '--xme', '--named-streams', pdb]);
  if (r.code !== 0 || r.stderr !== '') throw new Error(`llvm-pdbutil dump ${pdb} failed (${r.code}): ${r.stderr}`);
  return r.stdout.toString();
}

/**
 * A dump's lines with the build folder and what follows it masked: the GUID and signature, record hashes,
 * section CRCs and the CRC in literal symbol names; sorted, since a renamed public moves
 * to another hash bucket (the dump lists them bucket by bucket).
 */
function comparable(dump: string, folder: string): string[] {
  // The folder as literal symbol names spell it, too.
  const escaped = folder.replace(/\//g, '?1').replace(/-/g, '?9');
  return dump
    .split('\n')
    .filter((l) => !/^\s+(Signature|GUID): /.test(l))
    .map((l) =>
      l
        .split(folder)
        .join('<folder>')
        .split(escaped)
        .join('<folder>')
        .replace(/hash = 0x[0-9A-F]+/g, 'hash = <hash>')
        .replace(/data crc = \d+/g, 'data crc = <crc>')
        .replace(/(\?\?_C@_[01](?:\d|[A-P]+@))(?:\d|[A-P]+@)/g, '$1<crc>@'),
    )
    .sort();
}

/** The readers of a remapped PDB: pretty (native), bytes, and the executable's CodeView record naming its GUID. */
function checkPdbReaders(t: Tap, pdb: string, exe: string, common: string): void {
  const pretty = sh('llvm-pdbutil', ['pretty', '-native', '-all', pdb]);
  t.equal(pretty.code, 0, `llvm-pdbutil pretty -native -all reads it: ${pretty.stderr}`);
  const bytes = sh('llvm-pdbutil', ['bytes', '--name-map', '--ec', '--modi', '--files', '--sc', '--sm', '--chunks', '--syms', '--fpm', pdb]);
  t.equal(bytes.code, 0, `llvm-pdbutil bytes reads it: ${bytes.stderr}`);
  const guid = /GUID: \{([0-9A-F-]+)\}/.exec(output('llvm-pdbutil', ['dump', '--summary', pdb]))?.[1];
  const cv = output('llvm-readobj', ['--coff-debug-directory', exe]);
  const bytesOf = /PDBGUID: \(([0-9A-F ]+)\)/.exec(cv)?.[1].split(' ');
  // The CodeView GUID bytes are the GUID's fields little-endian.
  const g = guid?.replace(/-/g, '');
  const fromCv = bytesOf ? [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15].map((i) => bytesOf[i]).join('') : undefined;
  t.ok(g && fromCv === g, `the executable's CodeView record carries the PDB's GUID ${guid}`);
  t.match(cv, `PDBFileName: ${common}/`, "the executable's PDB path names the common folder");
}

/** The outputs of a build made in the common folder itself, normalized, are the remapped files. */
function sameAsBuiltThere(t: Tap, direct: string, remapped: string, files: string[]): void {
  const dir = tempDir(t);
  cpSync(direct, dir, { recursive: true });
  t.equal(cli([dir]).code, 0, 'the build made in the common folder normalized');
  for (const f of files) t.equal(sha256(path.join(dir, f)), sha256(path.join(remapped, f)), `${f} remapped == ${f} built in the common folder, normalized`);
}

t.test('NEW of another length: usage error naming both lengths, nothing touched', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'x.o');
  cpSync(path.join(root, 'samples', 'elf', 'gcc-x86_64', 'a', 'greet.o'), file);
  const before = sha256(file);
  const r = cli(['--remap-path', '/tmp/unstamp-elf=/build', file]);
  t.equal(r.code, 2);
  t.match(r.stderr, /OLD '\/tmp\/unstamp-elf' is 16 bytes, NEW '\/build' is 6/);
  t.equal(sha256(file), before, 'untouched');
  t.equal(cli(['--remap-path', 'no-equals-sign', file]).code, 2, 'OLD=NEW required');
  t.equal(cli(['--remap-path', '=x', file]).code, 2, 'empty OLD refused');
});

t.test('real builds in two folders of equal length', { skip: missing.length > 0 ? `missing ${missing.join(', ')}` : false }, async (t) => {
  const src = built(t);
  for (const s of ['a', 'b']) {
    for (const f of readdirSync(path.join(src, s, 'gcc'))) t.ok(holds(path.join(src, s, 'gcc', f), s === 'a' ? A : B), `${s}/gcc/${f} holds its build folder before`);
  }

  t.test('explain a b with both folders remapped: identical after normalization', async (t) => {
    const s = sides(t, src, 'gcc');
    const plain = cli(['explain', s.a, s.b]);
    t.equal(plain.code, 1, 'without --remap-path the builds still differ');
    t.match(plain.stdout, /build path: an absolute path/);
    const r = cli(['explain', '--remap-path', `${A}=${COMMON}`, '--remap-path', `${B}=${COMMON}`, s.a, s.b]);
    t.equal(r.code, 0, r.stdout);
    t.match(r.stdout, /4 pairs: 4 identical after normalization, 0 still differ/);
  });

  t.test('gcc -g: object, archive, executables (one with zlib-compressed DWARF)', async (t) => {
    const s = sides(t, src, 'gcc');
    const files = ['greet.o', 'libgreet.a', 'main', 'main-gz'];
    t.not(sha256(path.join(s.a, 'main')), sha256(path.join(s.b, 'main')), 'the builds differ before');
    remapBoth(t, s, files);
    for (const f of ['greet.o', 'main', 'main-gz']) {
      const verify = sh('llvm-dwarfdump', ['--verify', path.join(s.a, f)]);
      t.equal(verify.code, 0, `${f}: llvm-dwarfdump --verify passes`);
      t.match(verify.stdout.toString(), /No errors\./);
      t.match(output('llvm-dwarfdump', ['--debug-line', path.join(s.a, f)]), COMMON, `${f}: the line table names the common folder`);
    }
    for (const f of ['main', 'main-gz']) {
      const run = sh(path.join(s.a, f), []);
      t.equal(run.code, 0, `${f} still runs`);
      t.equal(run.stdout.toString(), `${COMMON}/main.c\n${COMMON}/greet.c\n5\n`, `${f} prints the remapped __FILE__`);
      const notes = output('llvm-readobj', ['--notes', path.join(s.a, f)]);
      const before = output('llvm-readobj', ['--notes', path.join(src, 'a', 'gcc', f)]);
      const id = (x: string) => /Build ID: ([0-9a-f]+)/.exec(x)?.[1];
      t.ok(id(notes) && id(notes)!.length === id(before)!.length, `${f}: the build ID keeps its length`);
      t.not(id(notes), id(before), `${f}: the build ID was recomputed`);
    }
    t.equal(sh('readelf', ['-w', path.join(s.a, 'main-gz')]).stderr, '', 'binutils reads the recompressed sections without a warning');
  });

  t.test('a compressed section that no longer fits: the file is refused, untouched', async (t) => {
    const s = sides(t, src, 'gcc');
    const file = path.join(s.a, 'main-gz');
    const before = sha256(file);
    // Unlike XXXX, these characters do not compress as well as OLD's AAAA: .debug_line_str grows.
    const r = cli(['--remap-path', `${A}=/src/unstamp-remap-COMM`, s.a]);
    t.equal(r.code, 3);
    t.match(r.stderr, /main-gz: section \.debug_line_str \(zlib-compressed\) at 0x[0-9a-f]+: with the paths remapped its contents no longer compress into its \d+ bytes .*; left untouched$/m);
    t.equal(sha256(file), before, 'main-gz untouched');
    t.ok(holds(path.join(s.a, 'main'), '/src/unstamp-remap-COMM'), 'the other files of the run were remapped');
  });

  t.test('mingw-w64 gcc -g: COFF object, archive, PE executable with DWARF', async (t) => {
    const s = sides(t, src, 'mingw');
    remapBoth(t, s, ['greet.o', 'libgreet.a', 'main.exe']);
    const exe = path.join(s.a, 'main.exe');
    // (--verify on the executable spends minutes in the C runtime's debug info: the object is verified.)
    t.equal(sh('llvm-dwarfdump', ['--verify', path.join(s.a, 'greet.o')]).code, 0, 'llvm-dwarfdump --verify passes on the object');
    t.match(output('llvm-dwarfdump', ['--debug-line', exe]), COMMON, 'the PE line table names the common folder');
    t.match(output('llvm-dwarfdump', ['--debug-info', exe]), `DW_AT_comp_dir\t("${COMMON}")`, 'and so does DW_AT_comp_dir');
    t.match(output('llvm-readobj', ['--file-headers', exe]), /TimeDateStamp/);
    t.equal(sh('llvm-objdump', ['-h', path.join(s.a, 'greet.o')]).code, 0, 'llvm-objdump reads the object');
  });

  t.test('clang for Windows (CodeView), llvm-lib, lld-link /debug: objects, library, executable and PDB remapped, byte-identical, as if built in the common folder', async (t) => {
    const s = sides(t, src, 'msvc');
    const files = ['main.obj', 'greet.obj', 'greet.lib', 'main.exe', 'main.pdb'];
    const pdb = path.join(s.a, 'main.pdb');
    const before = pdbDump(path.join(src, 'a', 'msvc', 'main.pdb'));
    remapBoth(t, s, files);
    for (const f of ['main.obj', 'greet.obj']) t.match(output('llvm-readobj', ['--codeview', path.join(s.a, f)]), COMMON, `${f}: llvm-readobj --codeview shows the common folder`);
    // greet.obj returns a string literal: its COMDAT symbol ??_C@_0..@<CRC>@<first 32 bytes, escaped>@
    // spells the literal, so it is renamed, in the object, the library's symbol index and the PDB's publics.
    const literal = /\?\?_C@_0CA@\w+@\?1tmp\?1unstamp\?9remap\?9XXXX\?1greet\?4c\?\$AA@/;
    t.match(output('llvm-readobj', ['--symbols', path.join(s.a, 'greet.obj')]), literal, 'the literal symbol spells the common folder');
    t.match(output('llvm-nm', ['--print-armap', path.join(s.a, 'greet.lib')]), literal, 'and so does the library index');
    const after = pdbDump(pdb);
    t.match(after, literal, 'and the PDB public symbol');
    t.match(after, `${COMMON}/greet.c`, 'llvm-pdbutil dump shows the common folder');
    t.notOk(after.includes(A), 'llvm-pdbutil dump: the old folder is gone');
    t.same(comparable(after, COMMON), comparable(before, A), 'llvm-pdbutil dump prints what it printed before but the paths (and the hashes, CRCs and GUID that follow them)');
    checkPdbReaders(t, pdb, path.join(s.a, 'main.exe'), COMMON);
    // The same sources built in the common folder itself, then normalized: the same bytes.
    sameAsBuiltThere(t, path.join(src, path.basename(COMMON), 'msvc'), s.a, files);
  });

  t.test('clang++ for Windows, a C++ program (templates, classes, literals longer than 32 characters, a wide literal, an anonymous namespace): every output byte-identical, as if built in the common folder', async (t) => {
    const s = sides(t, src, 'msvc-cpp');
    const files = ['app.obj', 'containers.obj', 'shapes.lib', 'app.exe', 'app.pdb'];
    t.not(sha256(path.join(s.a, 'app.pdb')), sha256(path.join(s.b, 'app.pdb')), 'the PDBs differ before');
    // Both rules at once (each side holds one OLD; both NEWs are one folder).
    const explained = cli(['explain', '--remap-path', `${A}=${COMMON_CPP}`, '--remap-path', `${B}=${COMMON_CPP}`, s.a, s.b]);
    t.equal(explained.code, 0, explained.stdout);
    t.match(explained.stdout, /5 pairs: 5 identical after normalization, 0 still differ/);
    remapBoth(t, s, files, COMMON_CPP);
    const pdb = path.join(s.a, 'app.pdb');
    const dump = pdbDump(pdb);
    t.match(dump, `${COMMON_CPP}/cpp/lib/containers.cpp`, 'llvm-pdbutil dump shows the common folder');
    t.notOk(dump.includes(A), 'llvm-pdbutil dump: the old folder is gone');
    const count = (re: RegExp) => (dump.match(re) ?? []).length;
    t.ok(count(/^ +0x1[0-9A-F]{3} \| LF_/gm) >= 120 && count(/\| LF_STRING_ID /g) >= 8 && count(/\| S_PUB32 /g) >= 20, 'over a hundred TPI and IPI records, 8 IPI strings, 20 publics');
    // Literals longer than 32 characters: their names spell only the start (here cut inside the folder).
    t.match(dump, /`\?\?_C@_0DJ@\w+@square\?5in\?5\?1tmp\?1unstamp\?9remap\?9YYY@`/, 'a long literal renamed (its name spells part of the folder)');
    t.match(dump, /`\?\?_C@_1FO@\w+@\?\$AA\?1\?\$AAt.*\?\$AAY\?\$AAY\?\$AAY\?\$AAY/, 'the wide literal renamed');
    t.match(dump, /unique name: `\.\?AUHidden@\?A0x78806C15@shapes@@`/, "the anonymous namespace's hash is that of the common folder's path");
    checkPdbReaders(t, pdb, path.join(s.a, 'app.exe'), COMMON_CPP);
    // Each global found by name through the globals hash table.
    for (const name of ['shapes::total_area', 'shapes::where_built', 'mainCRTStartup']) {
      t.match(output('llvm-pdbutil', ['dump', '--globals', `--global-name=${name}`, pdb]), new RegExp(`\\| S_\\w+ \\[size = \\d+\\] \`${name.replace(/:/g, '\\:')}\``), `llvm-pdbutil finds global ${name} by its hash`);
    }
    sameAsBuiltThere(t, path.join(src, path.basename(COMMON_CPP), 'msvc-cpp'), s.a, files);
  });

  t.test('a remap that would give an anonymous namespace hash another length: the PDB, its executable and the objects holding it refused, untouched', async (t) => {
    const s = sides(t, src, 'msvc-cpp');
    const keep = ['app.pdb', 'app.exe', 'containers.obj', 'shapes.lib'];
    const before = keep.map((f) => sha256(path.join(s.a, f)));
    // xxHash64 of /tmp/unstamp-remap-XXXX/cpp/lib/containers.cpp has a leading zero digit: ?A0xDCF07BF@.
    const r = cli(['--remap-path', `${A}=${COMMON}`, s.a]);
    t.equal(r.code, 3);
    t.match(r.stderr, /app\.pdb: stream 2 \(TPI\) at stream offset 0x[0-9a-f]+ \(file offset 0x[0-9a-f]+\): the anonymous namespace name \?A0x86FAA6A3@ is a hash of a source file's path, and with the path remapped its hash has another number of digits, which cannot be written in place; neither the PDB nor its executable is changed; left untouched$/m);
    t.match(r.stderr, /app\.exe: its PDB .* could not be normalized/);
    t.match(r.stderr, /containers\.obj: section \.debug\$T at 0x[0-9a-f]+: the anonymous namespace name \?A0x86FAA6A3@ hashes a source path/);
    t.same(keep.map((f) => sha256(path.join(s.a, f))), before, 'untouched');
  });

  t.test('generated modules with literals of header paths: the renamed literal publics change their order by name, laid out again, as if built in the common folder', async (t) => {
    const s = sides(t, src, 'msvc-many');
    for (const [side, folder] of [
      [s.a, A],
      [s.b, B],
    ]) {
      const v = cli(['-v', '--remap-path', `${folder}=${COMMON}`, side]);
      t.equal(v.code, 0, v.stderr);
      t.match(v.stdout, /public symbol records \(sorted by name again\) \(stream \d+\)/, `${path.basename(folder)}: the publics were laid out again`);
    }
    for (const f of ['many.exe', 'many.pdb']) t.equal(sha256(path.join(s.a, f)), sha256(path.join(s.b, f)), `${f}: a and b byte-identical`);
    const dump = pdbDump(path.join(s.a, 'many.pdb'));
    t.equal((dump.match(/\| S_PUB32 .*\?1tmp\?1unstamp\?9remap\?9XXXX\?1gen/g) ?? []).length, 7, 'seven literal publics name the common folder');
    sameAsBuiltThere(t, path.join(src, path.basename(COMMON), 'msvc-many'), s.a, ['many.exe', 'many.pdb']);
  });

  t.test('one program linked from two folders (side a main.obj, side b greet.lib), both remapped to one NEW in one run', async (t) => {
    const link = (dir: string, main: string, lib: string) => {
      cpSync(main, path.join(dir, 'main.obj'));
      cpSync(lib, path.join(dir, 'greet.lib'));
      const r = sh('lld-link', ['/debug', '/nodefaultlib', '/entry:mainCRTStartup', '/subsystem:console', '/machine:x64', '/pdb:mixed.pdb', '/out:mixed.exe', 'main.obj', 'greet.lib'], dir);
      t.equal(r.code, 0, `lld-link: ${r.stderr}`);
    };
    const mixed = tempDir(t);
    // The linker records its working folder too: the two links' folders have one length.
    const direct = tempDir(t);
    t.equal(mixed.length, direct.length);
    link(mixed, path.join(src, 'a', 'msvc', 'main.obj'), path.join(src, 'b', 'msvc', 'greet.lib'));
    const pdb = path.join(mixed, 'mixed.pdb');
    t.ok(holds(pdb, A) && holds(pdb, B), 'the PDB holds both folders');
    // greet.c's literal (side b) is in the executable with the common folder: which OLD it
    // held, its symbol's name (its CRC) tells.
    const r = cli(['--remap-path', `${A}=${COMMON}`, '--remap-path', `${B}=${COMMON}`, '--remap-path', `${mixed}=${direct}`, mixed]);
    t.equal(r.code, 0, r.stderr);
    const dump = pdbDump(pdb);
    t.notOk(dump.includes(A) || dump.includes(B), 'llvm-pdbutil dump: neither old folder is left');
    // The same link of the common folder's build: its IPI has one copy of each string where
    // the mixed link has one per folder, but the publics and section contributions are the same.
    const there = path.join(src, path.basename(COMMON), 'msvc');
    link(direct, path.join(there, 'main.obj'), path.join(there, 'greet.lib'));
    t.equal(cli([direct]).code, 0);
    t.equal(sha256(path.join(mixed, 'mixed.exe')), sha256(path.join(direct, 'mixed.exe')), 'mixed.exe == the same link of the common build, normalized');
    const part = (f: string) => output('llvm-pdbutil', ['dump', '--publics', '--globals', '--section-contribs', f]);
    t.equal(part(pdb), part(path.join(direct, 'mixed.pdb')), 'publics (the renamed literal), globals and section contributions (its DataCrc) as in that link');
  });

  t.test('a PDB with a natvis file of the build folder injected (lld /natvis): refused with its executable, untouched', async (t) => {
    const s = sides(t, src, 'msvc-natvis');
    const files = ['natvis.exe', 'natvis.pdb'].map((f) => path.join(s.a, f));
    const before = files.map(sha256);
    const r = cli(['--remap-path', `${A}=${COMMON}`, s.a]);
    t.equal(r.code, 3);
    t.match(r.stderr, /natvis\.pdb: stream 1 \(PDB info\) at stream offset 0x0 \(file offset 0x[0-9a-f]+\): the injected source stream "\/src\/files\/\\\\tmp\\\\unstamp-remap-aaaa\\\\greet\.natvis" is named after the lowercased path in the info stream's named stream map, whose hash table unstamp does not rebuild/);
    t.same(files.map(sha256), before, 'untouched');
  });

  t.test('a PDB whose hash tables are not what lld writes: refused with its executable, untouched', async (t) => {
    // Where the fields are: from a verbose run on a copy.
    const probe = sides(t, src, 'msvc');
    const v = cli(['-v', '--remap-path', `${A}=${COMMON}`, probe.a]);
    const at = (re: RegExp) => {
      const m = re.exec(v.stdout);
      if (!m) throw new Error(`no ${re} in ${v.stdout}`);
      return m;
    };
    const ipi = at(/^\s+0x([0-9a-f]+)\s+IPI hash value of record (0x[0-9A-F]+) \(stream (\d+)\)/m);
    const pub = at(/^\s+0x([0-9a-f]+)\s+publics hash records \(stream (\d+)\)/m);
    for (const [what, offset, message] of [
      ['an IPI hash value', parseInt(ipi[1], 16), new RegExp(`stream ${ipi[3]} at stream offset 0x[0-9a-f]+ \\(file offset 0x${ipi[1]}\\): the hash value of IPI record ${ipi[2]} is \\d+, not the \\d+ LLVM's hashTypeRecord gives`)],
      ['a publics hash record', parseInt(pub[1], 16) + 4, new RegExp(`main\\.pdb: stream ${pub[2]} at stream offset 0x[0-9a-f]+ \\(file offset 0x[0-9a-f]+\\): publics hash: the table is not the one lld builds from these names`)],
    ] as const) {
      const s = sides(t, src, 'msvc');
      const pdb = path.join(s.a, 'main.pdb');
      const bytes = readFileSync(pdb);
      bytes[offset] ^= 0x01;
      writeFileSync(pdb, bytes);
      const sums = [sha256(pdb), sha256(path.join(s.a, 'main.exe'))];
      const r = cli(['--remap-path', `${A}=${COMMON}`, s.a]);
      t.equal(r.code, 3, `${what} changed: exit 3`);
      t.match(r.stderr, message, `${what}: the reason names the stream and the offset`);
      t.same([sha256(pdb), sha256(path.join(s.a, 'main.exe'))], sums, `${what}: the PDB and its executable untouched`);
    }
  });

  t.test('clang for macOS arm64 -g, ld64.lld: object and ad-hoc signed dylib', async (t) => {
    const s = sides(t, src, 'macho');
    remapBoth(t, s, ['greet-arm64.o', 'libgreet.dylib']);
    const dylib = path.join(s.a, 'libgreet.dylib');
    t.equal(sh('llvm-dwarfdump', ['--verify', path.join(s.a, 'greet-arm64.o')]).code, 0, 'llvm-dwarfdump --verify passes on the object');
    const stabs = output('llvm-nm', ['-a', dylib]);
    t.match(stabs, new RegExp(` SO ${COMMON}/`), 'N_SO names the common folder');
    t.match(stabs, new RegExp(` OSO ${COMMON}/greet-arm64\\.o`), 'N_OSO names the object in the common folder');
    const [checked, wrong] = verifySignature(readFileSync(dylib));
    t.ok(checked > 0, `${checked} code slots checked`);
    t.equal(wrong, 0, 'every code slot of the ad-hoc signature matches the remapped bytes');
    const uuid = (f: string) => /uuid ([0-9A-F-]+)/.exec(output('llvm-objdump', ['--macho', '--private-headers', f]))?.[1];
    t.not(uuid(dylib), uuid(path.join(src, 'a', 'macho', 'libgreet.dylib')), 'LC_UUID recomputed');
  });

  t.test('containers: an ELF stored in a zip is remapped through its own format, the CRC follows; an unknown file is reported, untouched', { skip: have('zip') && have('unzip') ? false : 'zip/unzip missing' }, async (t) => {
    const s = sides(t, src, 'gcc');
    for (const side of ['a', 'b']) {
      const r = sh('zip', ['-0', '-X', '-q', 'bundle.zip', 'main'], path.join(side === 'a' ? s.a : s.b));
      t.equal(r.code, 0, `zip -0 on side ${side}`);
    }
    const zip = path.join(s.a, 'bundle.zip');
    const text = path.join(s.a, 'notes.txt');
    writeFileSync(text, `built in ${A}/main.c\n`);
    const textBefore = sha256(text);
    const r = cli(['--remap-path', `${A}=${COMMON}`, zip, text]);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stderr, /notes\.txt: warning: holds "\/tmp\/unstamp-remap-AAAA" at 0x9, but its format is unknown to unstamp, so --remap-path leaves it as it is/);
    t.equal(sha256(text), textBefore, 'the unknown file is untouched');
    t.equal(cli(['--remap-path', `${B}=${COMMON}`, path.join(s.b, 'bundle.zip')]).code, 0);
    t.notOk(holds(zip, A), 'the zip no longer holds the old folder');
    t.equal(sha256(zip), sha256(path.join(s.b, 'bundle.zip')), 'the two zips are byte-identical');
    t.equal(sh('unzip', ['-tq', zip]).code, 0, 'unzip -t: the member CRC matches');
    const explained = cli(['explain', '--remap-path', `${A}=${COMMON}`, text]);
    t.match(explained.stdout, /skipped: unknown format\n {2}warning: holds "\/tmp\/unstamp-remap-AAAA"/, 'explain says the unknown file still holds OLD');
  });
});

/** Every code slot of an ad-hoc signature (64-bit little-endian Mach-O) recomputed from the file: [checked, wrong]. */
function verifySignature(image: Buffer): [number, number] {
  let at = 32;
  let sig: number | undefined;
  for (let i = 0; i < image.readUInt32LE(16); i++) {
    if (image.readUInt32LE(at) === 0x1d) sig = image.readUInt32LE(at + 8);
    at += image.readUInt32LE(at + 4);
  }
  if (sig === undefined) return [0, 0];
  let checked = 0;
  let wrong = 0;
  for (let i = 0; i < image.readUInt32BE(sig + 8); i++) {
    if (image.readUInt32BE(sig + 12 + i * 8) !== 0) continue;
    const cd = sig + image.readUInt32BE(sig + 16 + i * 8);
    const hashOffset = image.readUInt32BE(cd + 16);
    const limit = image.readUInt32BE(cd + 32);
    const size = image[cd + 36];
    const page = 2 ** image[cd + 39];
    for (let n = 0; n < image.readUInt32BE(cd + 28); n++) {
      const want = createHash('sha256').update(image.subarray(n * page, Math.min((n + 1) * page, limit))).digest().subarray(0, size);
      checked++;
      if (!want.equals(image.subarray(cd + hashOffset + n * size, cd + hashOffset + (n + 1) * size))) wrong++;
    }
  }
  return [checked, wrong];
}
