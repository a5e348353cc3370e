// --remap-path where the paths sit one step further away: inside deflated zip members, a
// .tar.gz and a tar (the member remapped through its own format, then the container made
// to match), in a stripped program's .gnu_debuglink (the CRC-32 of the remapped debug
// file), in the member names of a thin archive, and in a PE's resources (UTF-16LE). Real
// tool output, built by samples/make-remap-samples.sh in /tmp/unstamp-remap-AAAA (side a)
// and /tmp/unstamp-remap-BBBB (side b) at two clocks.
import t from 'tap';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import path from 'node:path';
import { cli, have, output, root, sh, sha256, tempDir } from './helpers.js';

const A = '/tmp/unstamp-remap-AAAA';
const B = '/tmp/unstamp-remap-BBBB';
const COMMON = '/tmp/unstamp-remap-XXXX';
const TO_COMMON = { a: ['--remap-path', `${A}=${COMMON}`], b: ['--remap-path', `${B}=${COMMON}`] };

const TOOLS = ['gcc', 'x86_64-w64-mingw32-gcc', 'x86_64-w64-mingw32-windres', 'clang', 'faketime', 'objcopy', 'readelf', 'zip', 'unzip', 'zipinfo', 'tar', 'gzip', 'ar', 'llvm-ar', 'llvm-nm', 'nm', 'gdb', 'flock'];
const missing = TOOLS.filter((x) => !have(x));

type Tap = Parameters<Parameters<typeof t.test>[1]>[0];

/** Both sides built once into a folder the tests copy from. */
function built(t: Tap): string {
  const dir = tempDir(t, 'unstamp-remap-gaps-');
  const r = sh('bash', [path.join(root, 'samples', 'make-remap-samples.sh'), dir]);
  if (r.code !== 0) throw new Error(`make-remap-samples.sh failed: ${r.stderr}`);
  return dir;
}

/** A fresh copy of folder `tc` of both sides. */
function sides(t: Tap, src: string, tc: string): { a: string; b: string } {
  const dir = tempDir(t);
  for (const s of ['a', 'b']) cpSync(path.join(src, s, tc), path.join(dir, s), { recursive: true });
  return { a: path.join(dir, 'a'), b: path.join(dir, 'b') };
}

const holds = (bytes: Buffer, text: string) => bytes.includes(Buffer.from(text)) || bytes.includes(Buffer.from(text, 'utf16le'));

/** Each side remapped to COMMON: the run succeeds, the files are byte-identical after, a second run changes nothing. */
function remapBoth(t: Tap, s: { a: string; b: string }, files: string[], extra: string[] = []): void {
  const ra = cli([...extra, ...TO_COMMON.a, s.a]);
  t.equal(ra.code, 0, `side a normalized: ${ra.stderr}`);
  const rb = cli([...extra, ...TO_COMMON.b, s.b]);
  t.equal(rb.code, 0, `side b normalized: ${rb.stderr}`);
  for (const f of files) {
    t.not(sha256(path.join(s.a, f)), '', f);
    t.equal(sha256(path.join(s.a, f)), sha256(path.join(s.b, f)), `${f}: a and b byte-identical`);
  }
  t.equal(cli(['check', ...extra, ...TO_COMMON.a, s.a]).code, 0, 'a second run changes nothing');
}

/** The members of the bundles that hold the build folder: an ELF object, an ar archive, a Mach-O object, a COFF object. */
const MEMBERS = ['gcc/greet.o', 'gcc/libgreet.a', 'macho/greet-arm64.o', 'mingw/greet.o'];

/**
 * Each member taken out of the original (side a) container by `extract`, normalized on its
 * own with side a's rule, equals the member taken out of the normalized container: the
 * member went through its own format, nothing else was done to it.
 */
function membersAsOnTheirOwn(t: Tap, original: string, normalized: string, extract: (container: string, member: string) => Buffer): void {
  const dir = tempDir(t);
  for (const m of MEMBERS) {
    const alone = path.join(dir, m.replace('/', '-'));
    writeFileSync(alone, extract(original, m));
    t.ok(holds(readFileSync(alone), A), `${m} held the old folder`);
    t.equal(cli([...TO_COMMON.a, alone]).code, 0);
    const inside = extract(normalized, m);
    t.ok(inside.equals(readFileSync(alone)), `${m} in the normalized container == ${m} normalized on its own`);
    t.notOk(holds(inside, A), `${m}: the old folder is gone`);
    t.ok(holds(inside, COMMON), `${m} holds the common folder`);
  }
}

t.test('remap gaps on real builds in two folders of equal length', { skip: missing.length > 0 ? `missing ${missing.join(', ')}` : false }, async (t) => {
  const src = built(t);

  t.test('explain a b with both folders remapped: the bundles, the split program, the thin and BSD archives identical after normalization', async (t) => {
    const dir = tempDir(t);
    for (const side of ['a', 'b']) {
      mkdirSync(path.join(dir, side));
      for (const f of ['bundle/bundle.jar', 'bundle/bundle.tar', 'bundle/bundle.tar.gz', 'binutils/main', 'binutils/main.debug', 'binutils/thin.a', 'llvm-ar/greet-bsd.a']) {
        cpSync(path.join(src, side, f), path.join(dir, side, path.basename(f)));
      }
    }
    const plain = cli(['explain', path.join(dir, 'a'), path.join(dir, 'b')]);
    t.equal(plain.code, 1, 'without --remap-path they still differ');
    const r = cli(['explain', ...TO_COMMON.a, ...TO_COMMON.b, path.join(dir, 'a'), path.join(dir, 'b')]);
    t.equal(r.code, 0, r.stdout);
    t.match(r.stdout, /7 pairs: 7 identical after normalization, 0 still differ/);
  });

  t.test('zip with deflated members (--recompress auto): each member inflated, remapped through its own format, deflated again', async (t) => {
    const s = sides(t, src, 'bundle');
    const jar = path.join(s.a, 'bundle.jar');
    t.match(output('zipinfo', [jar]), /gcc\/greet\.o\n/);
    for (const m of MEMBERS) t.match(output('zipinfo', [jar, m]), /defX/, `${m} is deflated`);
    t.not(sha256(jar), sha256(path.join(s.b, 'bundle.jar')), 'the jars differ before');
    const v = cli(['-v', ...TO_COMMON.a, jar]);
    t.equal(v.code, 0, v.stderr);
    for (const m of MEMBERS) t.match(v.stdout, new RegExp(`${m.replace(/\./g, '\\.')} \\(\\w+\\): deflate data: deflated \\(\\d+ bytes\\) -> recompressed at level 9`), `${m} recompressed`);
    t.equal(cli([...TO_COMMON.b, path.join(s.b, 'bundle.jar')]).code, 0);
    t.equal(sha256(jar), sha256(path.join(s.b, 'bundle.jar')), 'a and b byte-identical');
    t.equal(cli(['check', ...TO_COMMON.a, jar]).code, 0, 'a second run changes nothing');
    t.equal(sh('unzip', ['-tq', jar]).code, 0, 'unzip -t: every CRC matches');
    const info = output('zipinfo', [jar]);
    t.match(info, /7 files, 11540 bytes uncompressed/, 'zipinfo: the same entries and sizes');
    for (const m of MEMBERS) t.match(output('zipinfo', [jar, m]), /defX/, `${m} is still deflated (at level 9, as its flags say)`);
    membersAsOnTheirOwn(t, path.join(src, 'a', 'bundle', 'bundle.jar'), jar, (c, m) => sh('unzip', ['-p', c, m]).stdout);
  });

  t.test('zip with deflated members, --recompress never: listed as kept, only the in-place fields change', async (t) => {
    const s = sides(t, src, 'bundle');
    const jar = path.join(s.a, 'bundle.jar');
    const plain = path.join(s.a, 'plain.jar');
    cpSync(jar, plain);
    t.equal(cli(['--recompress', 'never', plain]).code, 0, 'the same jar normalized without rules');
    const r = cli(['-v', '--recompress', 'never', ...TO_COMMON.a, jar]);
    t.equal(r.code, 0, r.stderr);
    for (const m of MEMBERS) t.match(r.stdout, new RegExp(`kept: ${m.replace(/\./g, '\\.')} \\(\\w+\\): \\d+ fields would change, not recompressed: --recompress never`), `${m} listed as kept`);
    t.equal(sha256(jar), sha256(plain), 'the jar is what it is without the rules: the in-place fields only');
    t.equal(sh('unzip', ['-tq', jar]).code, 0, 'unzip -t passes');
    for (const m of MEMBERS) t.ok(holds(sh('unzip', ['-p', jar, m]).stdout, A), `${m} still holds the old folder`);
  });

  t.test('.tar.gz: the tar inflated, its members remapped through their own formats, deflated again', async (t) => {
    const s = sides(t, src, 'bundle');
    const tgz = path.join(s.a, 'bundle.tar.gz');
    remapBoth(t, s, ['bundle.tar.gz']);
    t.equal(sh('gzip', ['-t', tgz]).code, 0, 'gzip -t passes');
    t.match(output('tar', ['-tvzf', tgz]), /0\/0 +3304 1970-01-01 00:00 gcc\/greet\.o/, 'tar lists the members, normalized');
    t.notOk(holds(sh('gzip', ['-dc', tgz]).stdout, A), 'the inflated tar no longer holds the old folder');
    membersAsOnTheirOwn(t, path.join(src, 'a', 'bundle', 'bundle.tar.gz'), tgz, (c, m) => sh('tar', ['-xzOf', c, m]).stdout);
  });

  t.test('tar: the members planned in place through their own formats', async (t) => {
    const s = sides(t, src, 'bundle');
    const tar = path.join(s.a, 'bundle.tar');
    remapBoth(t, s, ['bundle.tar']);
    t.notOk(holds(readFileSync(tar), A), 'grep -F finds no old folder');
    t.match(output('tar', ['-tvf', tar]), /0\/0 +2360 1970-01-01 00:00 macho\/greet-arm64\.o/, 'GNU tar lists the members');
    membersAsOnTheirOwn(t, path.join(src, 'a', 'bundle', 'bundle.tar'), tar, (c, m) => sh('tar', ['-xOf', c, m]).stdout);
  });

  t.test('.gnu_debuglink: the stripped program carries the CRC-32 of its remapped debug file', async (t) => {
    const s = sides(t, src, 'binutils');
    const prog = path.join(s.a, 'main');
    const debug = path.join(s.a, 'main.debug');
    t.equal(storedCrc(path.join(src, 'a', 'binutils', 'main')), fileCrc(path.join(src, 'a', 'binutils', 'main.debug')), 'before: objcopy stored the CRC of main.debug');
    const v = cli(['-v', ...TO_COMMON.a, s.a]);
    t.equal(v.code, 0, v.stderr);
    t.match(v.stdout, /\.gnu_debuglink CRC-32 of "main\.debug" \(after --remap-path\): 0x[0-9a-f]+ -> 0x[0-9a-f]+/);
    const explained = cli(['explain', ...TO_COMMON.a, path.join(src, 'a', 'binutils', 'main')]);
    t.match(explained.stdout, /each get a build ID recomputed from their own remapped bytes, so the two IDs no longer equal each other/, 'explain says the build IDs part');
    t.equal(cli([...TO_COMMON.b, s.b]).code, 0);
    for (const f of ['main', 'main.debug']) {
      t.notOk(holds(readFileSync(path.join(s.a, f)), A), `${f}: grep -F finds no old folder`);
      t.equal(sha256(path.join(s.a, f)), sha256(path.join(s.b, f)), `${f}: a and b byte-identical`);
    }
    t.equal(cli(['check', ...TO_COMMON.a, s.a]).code, 0, 'a second run changes nothing');
    t.equal(storedCrc(prog), fileCrc(debug), 'the stored CRC-32 is that of the remapped main.debug');
    const links = sh('readelf', ['--debug-dump=links', prog], s.a);
    t.match(links.stdout.toString(), /Found separate debug info file: main\.debug/);
    t.notMatch(links.stderr, /CRC does not match/, 'readelf finds the debug file with a matching CRC');
    const gdb = sh('gdb', ['-nx', '-batch', '-ex', 'info line greet_file', prog], s.a);
    t.match(gdb.stdout.toString(), `Line 4 of "${COMMON}/greet.c"`, 'gdb loads the debug file and reads the common folder from it');
    t.equal(sh(prog, []).stdout.toString(), `${COMMON}/main.c\n${COMMON}/greet.c\n5\n`, 'the program runs and prints the remapped __FILE__');

    // Another order: the debug file normalized in an earlier run; the program pairs with it by its sections.
    const other = sides(t, src, 'binutils');
    t.equal(cli([...TO_COMMON.a, path.join(other.a, 'main.debug')]).code, 0);
    t.equal(cli([...TO_COMMON.a, path.join(other.a, 'main')]).code, 0);
    t.equal(sha256(path.join(other.a, 'main')), sha256(prog), 'the same program whichever file is normalized first');

    // No debug file beside it: the CRC is left, and a warning says so.
    const alone = path.join(tempDir(t), 'main');
    cpSync(path.join(src, 'a', 'binutils', 'main'), alone);
    const w = cli([...TO_COMMON.a, alone]);
    t.equal(w.code, 0);
    t.match(w.stderr, /warning: --remap-path: \.gnu_debuglink at 0x[0-9a-f]+ names the debug file "main\.debug", which is not beside this file \(or is over 64 MiB, or could not be read\); its CRC-32 is left as it is/);
    t.equal(storedCrc(alone), storedCrc(path.join(src, 'a', 'binutils', 'main')), 'CRC kept');

    // A member of a container has no file beside it: the same, said so.
    const packed = path.join(tempDir(t), 'prog.tar');
    t.equal(sh('tar', ['-cf', packed, '-C', path.join(src, 'a', 'binutils'), 'main']).code, 0);
    const m = cli([...TO_COMMON.a, packed]);
    t.equal(m.code, 0, m.stderr);
    t.match(m.stderr, /prog\.tar: warning: .*main: --remap-path: \.gnu_debuglink at 0x[0-9a-f]+ names the debug file "main\.debug", but this is a member of a container, beside no file; its CRC-32 is left as it is/);
  });

  t.test('thin archive (ar rcT): member names are paths, remapped in the name table', async (t) => {
    const s = sides(t, src, 'binutils');
    const thin = path.join(s.a, 'thin.a');
    t.match(readFileSync(thin).toString('latin1'), `${A}/greet.o/`, 'before: the name table holds the build folder');
    remapBoth(t, s, ['thin.a']);
    t.notOk(holds(readFileSync(thin), A), 'grep -F finds no old folder');
    t.equal(output('llvm-ar', ['t', thin]), `${COMMON}/greet.o\n`, 'llvm-ar t lists the member by its remapped path');
    // ar and nm read a thin archive's members through their names: remapped (another copy)
    // to a folder of this test's own, of OLD's length, that holds the object.
    const own = mkdtempSync('/tmp/ur-');
    t.teardown(() => rmSync(own, { recursive: true, force: true }));
    const NEW = `${own}/${'x'.repeat(A.length - own.length - 1)}`;
    mkdirSync(NEW);
    cpSync(path.join(src, 'a', 'gcc', 'greet.o'), path.join(NEW, 'greet.o'));
    const copy = path.join(own, 'thin.a');
    cpSync(path.join(src, 'a', 'binutils', 'thin.a'), copy);
    t.equal(cli(['--remap-path', `${A}=${NEW}`, copy]).code, 0);
    t.equal(output('ar', ['t', copy]), `${NEW}/greet.o\n`, 'ar t lists the member by its remapped path');
    t.match(output('nm', [copy]), /T greet_file/, 'nm reads the member through the remapped name');
  });

  t.test('BSD archive (llvm-ar --format=darwin) of COFF objects: the string literal symbol renamed in __.SYMDEF too', async (t) => {
    const s = sides(t, src, 'llvm-ar');
    const lib = path.join(s.a, 'greet-bsd.a');
    t.match(output('llvm-nm', ['--print-armap', lib]), /\?\?_C@_0CA@\w+@\?1tmp\?1unstamp\?9remap\?9AAAA\?1greet\?4c\?\$AA@ in greet\.obj/, 'before: the index spells the old folder');
    t.match(readFileSync(lib).toString('latin1'), /__\.SYMDEF\0/, 'a BSD index');
    remapBoth(t, s, ['greet-bsd.a']);
    t.notOk(holds(readFileSync(lib), A), 'grep -F finds no old folder');
    const armap = output('llvm-nm', ['--print-armap', lib]);
    const literal = /\?\?_C@_0CA@\w+@\?1tmp\?1unstamp\?9remap\?9XXXX\?1greet\?4c\?\$AA@/;
    const inIndex = new RegExp(`(${literal.source}) in greet\\.obj`).exec(armap)?.[1];
    t.ok(inIndex, 'the index names the renamed literal');
    t.match(armap, new RegExp(`\\d+ R ${inIndex?.replace(/[?$]/g, '\\$&')}`), 'the same name as the member\'s own symbol');
    t.equal(output('llvm-ar', ['t', lib]), 'greet.obj\nmain.obj\n', 'llvm-ar lists the members');
  });

  t.test('zstd-compressed ELF sections: left with a warning per section, the rest remapped', async (t) => {
    const s = sides(t, src, 'binutils');
    const file = path.join(s.a, 'main-zstd');
    const r = cli([...TO_COMMON.a, file]);
    t.equal(r.code, 0, r.stderr);
    for (const sec of ['.debug_info', '.debug_line', '.debug_str', '.debug_line_str']) {
      t.match(r.stderr, `main-zstd: warning: --remap-path: section ${sec} is compressed with ch_type 2 (zstd), which unstamp cannot inflate: paths in it are left as they are`);
    }
    t.equal(sh(file, []).stdout.toString(), `${COMMON}/main.c\n${COMMON}/greet.c\n5\n`, '__FILE__ in .rodata remapped; the program runs');
    t.equal(sh('readelf', ['-w', file]).code, 0, 'readelf still reads the (untouched) zstd sections');
  });

  t.test('PE resources: a windres STRINGTABLE holding the path, in UTF-16LE', async (t) => {
    const s = sides(t, src, 'rc');
    const exe = path.join(s.a, 'app.exe');
    t.ok(readFileSync(exe).includes(Buffer.from(`${A}/main.c`, 'utf16le')), 'before: .rsrc holds the path in UTF-16LE');
    const v = cli(['-v', ...TO_COMMON.a, exe]);
    t.match(v.stdout, /path in section \.rsrc: "\/tmp\/unstamp-remap-AAAA" \(UTF-16LE\) -> "\/tmp\/unstamp-remap-XXXX" \(UTF-16LE\)/);
    t.equal(cli([...TO_COMMON.b, path.join(s.b, 'app.exe')]).code, 0);
    t.equal(sha256(exe), sha256(path.join(s.b, 'app.exe')), 'a and b byte-identical');
    t.equal(cli(['check', ...TO_COMMON.a, exe]).code, 0, 'a second run changes nothing');
    t.notOk(holds(readFileSync(exe), A), 'grep -F finds no old folder, 8-bit or UTF-16LE');
    t.match(output('x86_64-w64-mingw32-windres', ['-i', exe, '-O', 'rc']), `1, "${COMMON}/main.c"`, 'windres reads the string table back with the common folder');
  });
});

/** The CRC-32 a .gnu_debuglink holds (little-endian x86-64), read with objcopy. */
function storedCrc(file: string): number {
  const dir = path.dirname(file);
  const out = path.join(dir, '.debuglink.bin');
  const r = sh('objcopy', ['--dump-section', `.gnu_debuglink=${out}`, file, path.join(dir, '.debuglink.tmp')]);
  if (r.code !== 0) throw new Error(`objcopy --dump-section failed: ${r.stderr}`);
  const link = readFileSync(out);
  sh('rm', ['-f', out, path.join(dir, '.debuglink.tmp')]);
  return link.readUInt32LE(link.length - 4);
}

/** The CRC-32 gdb computes of a debug file: zlib's CRC-32 of all its bytes. */
const fileCrc = (file: string) => crc32(readFileSync(file)) >>> 0;
