// `explain` names the function a difference lies in, for every format with symbols:
// Mach-O (LC_SYMTAB nlist + function starts), PE (export table, COFF symbols where
// kept), COFF objects. One byte of a real sample's function is changed in a copy; the
// function is found from llvm-nm / llvm-readobj / llvm-objdump, not from unstamp.
import t from 'tap';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, have, output, samples, tempDir } from './helpers.js';

interface Remaining {
  offset: number;
  location: string;
  symbol?: { name: string; offset: number };
}

/** explain a vs a copy with the byte at `at` flipped: the range that starts there. */
function flipped(t: Parameters<typeof tempDir>[0], file: string, at: number): Remaining {
  const dir = tempDir(t);
  const b = path.join(dir, path.basename(file));
  cpSync(file, b);
  const bytes = readFileSync(b);
  bytes[at] ^= 0xff;
  writeFileSync(b, bytes);
  // Other ranges may follow from it (a UUID or a signature computed from the content).
  const all: Remaining[] = JSON.parse(cli(['explain', '--json', file, b]).stdout).pairs[0].remaining;
  const hit = all.find((r) => r.offset === at);
  if (!hit) throw new Error(`no range at ${at}: ${JSON.stringify(all)}`);
  return hit;
}

const tools = ['llvm-nm', 'llvm-objdump', 'llvm-readobj'].filter((x) => !have(x));

t.test('Mach-O: function from LC_SYMTAB, leading underscore dropped', async (t) => {
  if (tools.length > 0) return t.skip(`needs ${tools.join(', ')}`);
  const app = path.join(samples, 'macho/arm64-exe/a/app');
  const main = Number.parseInt(/^([0-9a-f]+) T _main$/m.exec(output('llvm-nm', [app]))![1], 16);
  const hdr = output('llvm-objdump', ['--macho', '--private-headers', app]);
  const m = /sectname __text\s+segname __TEXT\s+addr 0x([0-9a-f]+)\s+size 0x[0-9a-f]+\s+offset (\d+)/.exec(hdr)!;
  const at = Number(m[2]) + (main - Number.parseInt(m[1], 16)) + 4;
  const r = flipped(t, app, at);
  t.same(r.symbol, { name: 'main', offset: 4 });
  t.match(r.location, new RegExp(`^segment __TEXT > section __TEXT,__text at address 0x${(main + 4).toString(16)} > function main\\+0x4$`));
});

t.test('PE: exported function from the export table', async (t) => {
  if (tools.length > 0) return t.skip(`needs ${tools.join(', ')}`);
  const dll = path.join(samples, 'pe/mingw-dll/a/lib.dll');
  const rva = Number(/Name: foo_name\s+RVA: (0x[0-9A-Fa-f]+)/.exec(output('llvm-readobj', ['--coff-exports', dll]))![1]);
  const s = /Name: \.text [^]*?VirtualAddress: (0x[0-9A-Fa-f]+)[^]*?PointerToRawData: (0x[0-9A-Fa-f]+)/.exec(output('llvm-readobj', ['--sections', dll]))!;
  const at = Number(s[2]) + rva - Number(s[1]) + 2;
  const r = flipped(t, dll, at);
  t.same(r.symbol, { name: 'foo_name', offset: 2 });
  t.match(r.location, /^section \.text at RVA 0x[0-9a-f]+ > function foo_name\+0x2$/);
});

t.test('COFF object: function from the symbol table', async (t) => {
  if (tools.length > 0) return t.skip(`needs ${tools.join(', ')}`);
  const obj = path.join(samples, 'pe/clang-obj/a/main.obj');
  t.match(output('llvm-nm', [obj]), /^00000000 T mainCRTStartup$/m);
  const s = /Name: \.text [^]*?PointerToRawData: (0x[0-9A-Fa-f]+)/.exec(output('llvm-readobj', ['--sections', obj]))!;
  const at = Number(s[1]) + 3;
  const r = flipped(t, obj, at);
  t.same(r.symbol, { name: 'mainCRTStartup', offset: 3 });
  t.equal(r.location, 'section 1 .text at offset 0x3 > function mainCRTStartup+0x3');
});
