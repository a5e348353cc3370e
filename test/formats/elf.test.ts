// ELF: detected, checked and reported clean (ELF has no time field), with notes of what
// is left alone; damaged files refused with the offset; objects inside ar archives
// planned as members. Real samples: samples/elf/README.md says how each was made.
import t from 'tap';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cli, expectRefused, have, output, samples, sha256, tempDir } from '../helpers.js';

const variants = ['gcc-x86_64', 'i386', 'ppc64', 'mips'];
const elfFiles = (v: string) => readdirSync(path.join(samples, 'elf', v, 'a')).filter((f) => !f.endsWith('.a'));

interface Ehdr {
  is64: boolean;
  le: boolean;
  shoff: number;
  phoff: number;
  shnum: number;
  shstrndx: number;
}

/** The header fields the corrupt copies need, read here by hand (not by the code under test). */
function ehdr(b: Buffer): Ehdr {
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const u16 = (at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const word = (at: number) => (is64 ? Number(le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at)) : le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  return is64
    ? { is64, le, phoff: word(32), shoff: word(40), shnum: u16(60), shstrndx: u16(62) }
    : { is64, le, phoff: word(28), shoff: word(32), shnum: u16(48), shstrndx: u16(50) };
}

t.test('formats lists ELF and what it leaves alone', async (t) => {
  const r = cli(['formats']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^elf: ELF executables, shared objects and relocatable objects, 32\/64-bit, either byte order$/m);
  t.match(r.stdout, /keeps +\.note\.gnu\.build-id/);
  t.match(r.stdout, /keeps +\.gnu_debuglink/);
  t.match(r.stdout, /keeps +core files: detected, left alone/);
});

for (const v of variants) {
  t.test(`${v}: every ELF file is detected and clean, untouched, accepted by llvm-readobj`, async (t) => {
    const dir = tempDir(t);
    cpSync(path.join(samples, 'elf', v), dir, { recursive: true });
    for (const f of elfFiles(v)) {
      const file = path.join(dir, 'a', f);
      const before = sha256(file);
      const j = JSON.parse(cli(['explain', '--json', file]).stdout);
      t.equal(j.files[0].format, 'elf', `${v}/${f} is ELF`);
      t.same(j.files[0].fields, [], 'no field to rewrite');
      t.equal(cli([file]).code, 0);
      t.equal(cli(['check', file]).code, 0, 'check: clean');
      t.equal(sha256(file), before, 'not a byte changed');
      t.ok(readFileSync(file).equals(readFileSync(path.join(dir, 'b', f))), 'a and b were identical already (no time in ELF)');
      if (have('llvm-readobj')) t.match(output('llvm-readobj', ['--file-headers', '--sections', file]), /Format: elf(32|64)-/i);
    }
  });
}

t.test('gcc-x86_64: notes name the build ID, compressed DWARF, .comment and .gnu_debuglink', async (t) => {
  const note = (f: string) => cli(['explain', path.join(samples, 'elf/gcc-x86_64/a', f)]).stdout;
  const hello = note('hello');
  const readelf = have('llvm-readelf') ? output('llvm-readelf', ['-S', '-W', path.join(samples, 'elf/gcc-x86_64/a/hello')]) : '';
  const buildId = /\.note\.gnu\.build-id\s+NOTE\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(readelf);
  if (buildId) t.match(hello, new RegExp(`\\.note\\.gnu\\.build-id at 0x${Number.parseInt(buildId[1], 16).toString(16)}: the build ID`));
  else t.match(hello, /\.note\.gnu\.build-id at 0x[0-9a-f]+: the build ID/);
  // The Flg column (before Lk Inf Al) has C for SHF_COMPRESSED.
  const compressed = readelf.split('\n').filter((l) => /\.debug_/.test(l) && /\s[A-Z]*C[A-Z]*\s+\d+\s+\d+\s+\d+\s*$/.test(l)).length;
  t.match(hello, new RegExp(`DWARF debug sections \\(\\.debug_aranges, .*\\), ${compressed || '\\d+'} compressed: can hold the build directory`));
  t.match(hello, /\.comment: the versions of the tools that made it \("GCC: \(Debian [^"]+\) [\d.]+"\); left alone/);
  t.match(note('hello-stripped'), /\.gnu_debuglink: names the separate debug file "hello\.debug" and holds its CRC-32; left alone/);
  t.notMatch(note('hello-stripped'), /DWARF/);
});

t.test('ar archives of ELF objects: the objects planned as members, the pair made identical', async (t) => {
  const dir = tempDir(t);
  cpSync(path.join(samples, 'elf/gcc-x86_64'), dir, { recursive: true });
  const a = path.join(dir, 'a/libgreet.a');
  const b = path.join(dir, 'b/libgreet.a');
  t.match(cli(['explain', a]).stdout, /left alone: greet\.o: \.comment: the versions/, 'the member is planned as ELF');
  t.notOk(readFileSync(a).equals(readFileSync(b)));
  t.equal(cli([a, b]).code, 0);
  t.ok(readFileSync(a).equals(readFileSync(b)), 'identical after unstamp');
  t.equal(cli(['check', a]).code, 0, 'second run: nothing to change');
  if (have('ar')) t.equal(output('ar', ['t', a]).trim(), 'greet.o');
  if (have('llvm-nm')) t.match(output('llvm-nm', [a]), /T greet/);
});

t.test('a core file is detected and left alone with a note', async (t) => {
  if (!have('gcore')) return t.skip('needs gcore (gdb)');
  const dir = tempDir(t);
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => child.kill());
  const prefix = path.join(dir, 'core');
  output('gcore', ['-o', prefix, String(child.pid)]);
  const core = `${prefix}.${child.pid}`;
  t.ok(existsSync(core), 'gcore wrote a core file');
  const before = sha256(core);
  const r = cli(['explain', core]);
  t.match(r.stdout, /: elf, \d+ bytes; 0 fields found/);
  t.match(r.stdout, /left alone: core file \(a process memory image\): nothing unstamp rewrites, left alone/);
  t.equal(cli(['check', core]).code, 0);
  t.equal(sha256(core), before);
  rmSync(core);
});

t.test('damaged ELF files: refused with the offset, exit 3, untouched', async (t) => {
  const hello = readFileSync(path.join(samples, 'elf/gcc-x86_64/a/hello'));
  const obj32be = readFileSync(path.join(samples, 'elf/mips/a/greet.o'));
  const h = ehdr(hello);
  const m = ehdr(obj32be);
  const put = (b: Buffer, e: Ehdr, at: number, size: number, v: number) => {
    const c = Buffer.from(b);
    if (size === 1) c[at] = v;
    else if (size === 2) (e.le ? c.writeUInt16LE(v, at) : c.writeUInt16BE(v, at));
    else if (size === 4) (e.le ? c.writeUInt32LE(v, at) : c.writeUInt32BE(v, at));
    else e.le ? c.writeBigUInt64LE(BigInt(v), at) : c.writeBigUInt64BE(BigInt(v), at);
    return c;
  };
  const sh = (e: Ehdr, i: number) => e.shoff + i * (e.is64 ? 64 : 40);
  const cases = [
    { name: 'bad EI_CLASS', bytes: put(hello, h, 4, 1, 7), message: /ELF header at 0x0: EI_CLASS 7 is neither ELFCLASS32 \(1\) nor ELFCLASS64 \(2\)/ },
    { name: 'bad EI_DATA', bytes: put(obj32be, m, 5, 1, 0), message: /EI_DATA 0 is neither ELFDATA2LSB/ },
    { name: 'truncated header', bytes: hello.subarray(0, 40), message: /ELF64 header at 0x0 \(64 bytes\) runs past the end/ },
    {
      name: 'section header table past the end',
      bytes: put(hello, h, 40, 8, hello.length - 8),
      message: new RegExp(`ELF header at 0x0: e_shoff 0x${(hello.length - 8).toString(16)} puts the section header table past the end of the file`),
    },
    { name: 'wrong e_shentsize', bytes: put(obj32be, m, 46, 2, 44), message: /ELF header at 0x0: e_shentsize 44 is not the size of an Elf32_Shdr \(40\)/ },
    {
      name: 'too many sections',
      bytes: put(obj32be, m, 48, 2, m.shnum + 50),
      message: new RegExp(`the section header table at 0x${m.shoff.toString(16)} \\(${m.shnum + 50} entries of 40 bytes\\) runs past the end`),
    },
    { name: 'program headers past the end', bytes: put(hello, h, 32, 8, hello.length - 100), message: /the program header table at 0x[0-9a-f]+ \(\d+ entries of 56 bytes\) runs past the end/ },
    {
      name: 'a section past the end (32-bit big-endian)',
      bytes: put(obj32be, m, sh(m, 1) + 16, 4, obj32be.length),
      message: new RegExp(`section header 1 at 0x${sh(m, 1).toString(16)}: sh_offset 0x${obj32be.length.toString(16)} \\+ sh_size 0x[0-9a-f]+ runs past the end`),
    },
    { name: 'e_shstrndx out of range', bytes: put(hello, h, 62, 2, h.shnum + 3), message: new RegExp(`e_shstrndx ${h.shnum + 3} names no section \\(there are ${h.shnum}\\)`) },
    { name: 'e_shstrndx not a string table', bytes: put(hello, h, 62, 2, 1), message: /e_shstrndx 1 is not a string table/ },
    { name: 'a section name past its table', bytes: put(hello, h, sh(h, 2), 4, 0x7fffff), message: /section header 2 at 0x[0-9a-f]+: name offset 0x7fffff lies past the end of its string table/ },
  ];
  for (const c of cases) t.test(c.name, async (t) => expectRefused(t, { ...c, file: 'bad.elf' }, 'elf/mips/a/greet.o'));
});
