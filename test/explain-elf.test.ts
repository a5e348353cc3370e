// `unstamp explain a b` on ELF: located by section and address (checked against
// llvm-readelf), the build ID as derived, compressed DWARF inflated to look inside, and
// objects inside ar archives. Real builds: samples/elf/stamp (samples/make-elf-samples.sh)
// and gcc runs made here in two build directories.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, have, output, samples, tempDir } from './helpers.js';

interface Remaining {
  offset: number;
  length: number;
  location: string;
  locationB?: string;
  cause: string;
  causes: { kind: string; text: string }[];
  symbol?: { name: string; offset: number };
}
interface Pair {
  format?: string;
  identicalAfter: boolean;
  remaining: Remaining[];
  remainingRanges: number;
}

function explain(a: string, b: string, extra: string[] = []): { pair: Pair; code: number; text: string } {
  const r = cli(['explain', '--json', ...extra, a, b]);
  const j = JSON.parse(r.stdout) as { pairs: Pair[]; exitCode: number };
  return { pair: j.pairs[0], code: r.code, text: cli(['explain', ...extra, a, b]).stdout };
}

/** Section name -> [address, offset, size] from llvm-readelf -S. */
function sections(file: string): Map<string, [number, number, number]> {
  const m = new Map<string, [number, number, number]>();
  for (const x of output('llvm-readelf', ['-S', '-W', file]).matchAll(/\]\s+(\S+)\s+\S+\s+([0-9a-f]{8,16})\s+([0-9a-f]{6,})\s+([0-9a-f]{6,})/g)) {
    m.set(x[1], [Number.parseInt(x[2], 16), Number.parseInt(x[3], 16), Number.parseInt(x[4], 16)]);
  }
  return m;
}

const stampA = path.join(samples, 'elf/stamp/a/stamp');
const stampB = path.join(samples, 'elf/stamp/b/stamp');

t.test('__DATE__ and __FILE__ in an ELF executable: section and address, build ID derived', async (t) => {
  const { pair, code } = explain(stampA, stampB);
  t.equal(code, 1);
  t.equal(pair.format, 'elf');
  const date = pair.remaining.find((r) => r.cause === '__DATE__')!;
  const file = pair.remaining.find((r) => r.cause === 'build path')!;
  t.match(date.causes[0].text, /"Mar  4 2021" vs "Sep 10 2023"/);
  t.match(file.causes[0].text, /"\/tmp\/unstamp-elf\/a\/stamp\.c" vs "\/tmp\/unstamp-elf\/b\/stamp\.c"/);
  const id = pair.remaining.find((r) => r.cause === 'derived')!;
  t.match(id.location, /^section \.note\.gnu\.build-id \(build ID\) at address 0x/);
  t.match(id.causes[0].text, /the build ID, a hash the linker computed from the linked content, which differs/);
  // The day folded into the code of build_day() (and of report(), where it is inlined).
  const inCode = pair.remaining.filter((r) => r.location.startsWith('section .text'));
  t.same(inCode.map((r) => r.symbol?.name), ['build_day', 'report']);
  t.match(inCode[0].location, /^section \.text at address 0x[0-9a-f]+ > function build_day\+0x[0-9a-f]+$/);
  t.equal(pair.remaining.length, 5, 'nothing else differs');
  const bytes = readFileSync(stampA);
  t.equal(date.offset, bytes.indexOf('Mar  4 2021'));
  if (!have('llvm-readelf')) return t.skip('the addresses are checked with llvm-readelf');
  const s = sections(stampA);
  const [addr, off, size] = s.get('.rodata')!;
  t.ok(date.offset >= off && date.offset < off + size, 'the date lies in .rodata');
  t.match(date.location, new RegExp(`^section \\.rodata at address 0x${(addr + date.offset - off).toString(16)}\\b`));
  // The data objects that hold them, checked against llvm-nm's addresses and sizes.
  if (have('llvm-nm')) {
    const nm = output('llvm-nm', ['--print-size', stampA]);
    for (const [range, name] of [[date, 'build_date'], [file, 'build_file']] as const) {
      const m = new RegExp(`^([0-9a-f]+) ([0-9a-f]+) R ${name}$`, 'm').exec(nm)!;
      const start = Number.parseInt(m[1], 16) - addr + off;
      t.ok(range.offset >= start && range.offset < start + Number.parseInt(m[2], 16), `${name} holds the range`);
      t.same(range.symbol, { name, offset: range.offset - start });
      t.match(range.location, new RegExp(`^section \\.rodata at address 0x[0-9a-f]+ > object ${name}\\+0x${(range.offset - start).toString(16)}$`));
    }
  }
  const [idAddr, idOff] = s.get('.note.gnu.build-id')!;
  t.equal(id.location, `section .note.gnu.build-id (build ID) at address 0x${(idAddr + id.offset - idOff).toString(16)}`);
});

/** gcc -c of `source` in two build directories (same command line, different paths). */
function buildTwice(t: Parameters<typeof tempDir>[0], source: string, args: string[], out: string): { a: string; b: string } {
  const dir = tempDir(t);
  for (const side of ['a', 'b']) {
    const w = path.join(dir, side, 'a/deep/build/directory/for/the/compressed/debug/sections');
    mkdirSync(w, { recursive: true });
    cpSync(path.join(samples, 'elf/src', source), path.join(w, source));
    const r = spawnSync('gcc', [...args, '-c', source, '-o', out], { cwd: w, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    cpSync(path.join(w, out), path.join(dir, side, out));
  }
  return { a: path.join(dir, 'a', out), b: path.join(dir, 'b', out) };
}

t.test('compressed DWARF (SHF_COMPRESSED, zlib): the build directory found in the inflated section', async (t) => {
  if (!have('gcc')) return t.skip('needs gcc');
  const { a, b } = buildTwice(t, 'hello.c', ['-O1', '-g', '-gdwarf-4', '-gz=zlib'], 'hello.o');
  if (have('llvm-readelf')) t.match(output('llvm-readelf', ['-S', '-W', a]), /\.debug_str\s+PROGBITS\s+.*\s[A-Z]*C[A-Z]*\s+\d+\s+\d+\s+\d+/, '.debug_str is compressed');
  const { pair } = explain(a, b);
  const str = pair.remaining.find((r) => r.location.startsWith('section .debug_str (zlib-compressed)'))!;
  t.ok(str, 'a range in the compressed .debug_str');
  t.equal(str.cause, 'build path');
  t.match(str.causes[0].text, /^inflated data of section \.debug_str \(zlib-compressed\) differs at \+0x[0-9a-f]+: an absolute path \(build directory\): "[^"]*\/a\/a\/deep\/build\/[^"]*" vs "[^"]*\/b\/a\/deep\/build\/[^"]*"/);
});

t.test('an ELF object inside an ar archive: member, then section', async (t) => {
  const dir = tempDir(t);
  cpSync(path.join(samples, 'elf/gcc-x86_64'), dir, { recursive: true });
  const b = path.join(dir, 'b/libgreet.a');
  const bytes = readFileSync(b);
  // The first byte of greet.o's .text, inside the archive (the member data starts after its header).
  const member = bytes.indexOf('\x7fELF');
  const text = have('llvm-readelf') ? sections(path.join(samples, 'elf/gcc-x86_64/a/greet.o')).get('.text')! : undefined;
  const at = member + (text ? text[1] : 0x40) + 1;
  bytes[at] ^= 0xff;
  writeFileSync(b, bytes);
  const { pair } = explain(path.join(dir, 'a/libgreet.a'), b);
  t.equal(pair.remainingRanges, 1);
  t.equal(pair.remaining[0].offset, at);
  t.match(pair.remaining[0].location, /^member greet\.o \(data\) > section \.text at offset 0x1\b/);
});

t.test('C++ functions are named demangled (llvm-cxxfilt or c++filt), raw in neither case lost', async (t) => {
  const missing = ['g++', 'faketime'].filter((x) => !have(x));
  if (missing.length > 0) return t.skip(`needs ${missing.join(', ')}`);
  const dir = tempDir(t);
  const src = path.join(dir, 'day.cpp');
  writeFileSync(src, 'namespace stamp { int day(int x) { return x + (__DATE__[5] - \'0\'); } }\nint main() { return stamp::day(1); }\n');
  for (const [side, clock] of [['a', '2030-01-02 03:04:05'], ['b', '2030-01-09 03:04:05']]) {
    const r = spawnSync('faketime', ['-f', clock, 'g++', '-O1', '-c', src, '-o', path.join(dir, `${side}.o`)], { env: { ...process.env, TZ: 'UTC' }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  const { pair } = explain(path.join(dir, 'a.o'), path.join(dir, 'b.o'));
  const demangled = have('llvm-cxxfilt') || have('c++filt');
  const name = demangled ? 'stamp::day(int)' : '_ZN5stamp3dayEi';
  const inDay = pair.remaining.find((r) => r.symbol?.name === name);
  t.ok(inDay, `a range in ${name}: ${JSON.stringify(pair.remaining.map((r) => r.location))}`);
  t.match(inDay!.location, new RegExp(`^section \\.text at offset 0x[0-9a-f]+ > function ${name.replace(/[()]/g, '\\$&')}\\+0x[0-9a-f]+$`));
  if (have('llvm-nm')) t.match(output('llvm-nm', [path.join(dir, 'a.o')]), /T _ZN5stamp3dayEi/, 'the symbol table has the mangled name');
  // Without a demangler on PATH: the raw name, nothing lost.
  const bare = JSON.parse(cli(['explain', '--json', path.join(dir, 'a.o'), path.join(dir, 'b.o')], { env: { PATH: path.join(dir, 'no-tools') } }).stdout).pairs[0] as Pair;
  t.ok(bare.remaining.some((r) => r.symbol?.name === '_ZN5stamp3dayEi' && /> function _ZN5stamp3dayEi\+0x/.test(r.location)), 'raw name without a demangler');
});

t.test('Demangler: Itanium C++, Rust legacy and v0 names in one run; C names untouched', async (t) => {
  if (!have('llvm-cxxfilt')) return t.skip('needs llvm-cxxfilt');
  const { Demangler } = await import('../src/diff/demangle.js');
  const d = new Demangler();
  const names = ['_ZN5stamp3dayEi', '_ZN4core3fmt5Write9write_fmt17h0123456789abcdefE', '_RNvCs15kBYyAo9fc_7mycrate4main', 'derive_Clone', 'main'];
  d.add(names);
  t.same(names.map((n) => d.name(n)), ['stamp::day(int)', 'core::fmt::Write::write_fmt::h0123456789abcdef', 'mycrate::main', 'derive_Clone', 'main']);
  t.equal(d.name('_ZN3fooEv'), '_ZN3fooEv', 'a name not added yet stays raw');
});
