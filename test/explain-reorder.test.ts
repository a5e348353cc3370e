// The build that differs by order: a code generator that iterates a hash set wrote the
// same functions in another order (samples/reorder, PYTHONHASHSEED 1 vs 2). `explain`
// must say "reordered", name what moved, and attribute the differences that follow from
// the move (calls, symbol tables, unwind data, build IDs) to it. What moved is found here
// independently: the functions whose addresses differ (llvm-nm), the members whose
// positions differ (ar t, unzip -Z1).
import t from 'tap';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, have, output, samples, tempDir } from './helpers.js';

interface Remaining {
  offset: number;
  location: string;
  locationB?: string;
  symbol?: { name: string; offset: number };
  cause: string;
  causes: { kind: string; text: string }[];
}
interface Pair {
  format?: string;
  byMember?: { compared: number; differ: string[]; onlyInA: string[]; onlyInB: string[] };
  remaining: Remaining[];
  remainingRanges: number;
  reordered?: { what: string; moved: string[]; text: string };
}

const dir = path.join(samples, 'reorder');
const side = (s: string, f: string) => path.join(dir, s, f);
const explain = (f: string): Pair => JSON.parse(cli(['explain', '--json', side('a', f), side('b', f)]).stdout).pairs[0];
const order = (s: string) => readFileSync(side(s, 'order.txt'), 'utf8').trim().split('\n');

/** Defined functions named derive_* and their addresses, by llvm-nm. */
function addresses(file: string, macho = false): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of output('llvm-nm', ['--defined-only', file]).matchAll(/^([0-9a-f]+) [Tt] _?(derive_\w+)$/gm)) m.set(x[2], Number.parseInt(x[1], 16));
  if (macho && m.size === 0) throw new Error('no symbols');
  return m;
}

t.test('the generator wrote the same functions in another order', async (t) => {
  t.notSame(order('a'), order('b'));
  t.same([...order('a')].sort(), [...order('b')].sort());
});

for (const [file, format] of [
  ['derives.o', 'elf'],
  ['libderives.so', 'elf'],
  ['libderives.dylib', 'macho'],
  ['derives.dll', 'pe'],
] as const) {
  t.test(`${file} (${format}): reordered functions, named; the rest derived from the move`, async (t) => {
    const p = explain(file);
    t.equal(p.format, format);
    t.equal(p.reordered?.what, 'functions');
    if (have('llvm-nm') && format !== 'pe') {
      const a = addresses(side('a', file));
      const b = addresses(side('b', file));
      const moved = [...a.keys()].filter((n) => a.get(n) !== b.get(n));
      t.ok(moved.length >= 2, `${moved.length} functions moved`);
      t.same([...p.reordered!.moved].sort(), moved.sort(), 'the moved functions, as llvm-nm places them');
      // In a's order.
      t.same(p.reordered!.moved, [...moved].sort((x, y) => a.get(x)! - a.get(y)!));
    } else {
      // The DLL: every generated function but one sits at another place (its exports say where).
      const exports = output('llvm-readobj', ['--coff-exports', side('a', file)]);
      for (const n of p.reordered!.moved) t.match(exports, new RegExp(`Name: ${n}\\b`));
      t.ok(p.reordered!.moved.length >= 2);
    }
    t.match(p.reordered!.text, /^the functions derive_\w+, .* are the same code in another order \(in b: derive_\w+, .*\); something iterated an unordered collection \(a hash map or set, a directory listing\) while generating or linking this$/);
    // Every range shown has a cause: the move itself, or what follows from it.
    for (const r of p.remaining) t.not(r.cause, 'unknown', `${r.location}: ${r.causes[0].text}`);
    const inMoved = p.remaining.filter((r) => r.cause === 'reordered');
    t.ok(inMoved.length > 0);
    for (const r of inMoved) {
      t.ok(r.symbol && p.reordered!.moved.includes(r.symbol.name) || r.locationB, `${r.location} lies in a moved function`);
      t.match(r.location, /> function derive_\w+\+0x[0-9a-f]+/);
    }
    // run() calls every derive: the same code, other call targets (in the .so, past the 20 ranges shown).
    const run = p.remaining.find((r) => r.symbol?.name === 'run');
    if (format === 'macho' || format === 'pe') {
      t.ok(run, 'a range in run()');
      t.same(run!.causes.map((c) => c.kind), ['derived']);
      t.match(run!.causes[0].text, /^derived from the reordering: run is the same code in a and b but for the addresses of the moved code it calls or refers to$/);
    }
  });
}

t.test('the text report reads without knowing the format', async (t) => {
  const r = cli(['explain', side('a', 'libderives.so'), side('b', 'libderives.so')]);
  t.equal(r.code, 1);
  t.match(r.stdout, /^  reordered functions: the functions derive_\w+, /m);
  t.match(r.stdout, /cause: reordered: part of the reordering above \(functions\)/);
  t.match(r.stdout, /section \.note\.gnu\.build-id \(build ID\).*\n\s+cause: derived: .*the build ID, a hash the linker computed from the linked content, which differs/);
});

t.test('a stripped library: the same content in another order, found by blocks', async (t) => {
  if (have('llvm-nm')) t.notMatch(output('llvm-nm', ['-D', '--defined-only', side('a', 'libhidden.so')]), /derive_/, 'no symbol names a derive');
  const p = explain('libhidden.so');
  t.equal(p.reordered?.what, 'content blocks');
  t.match(p.reordered!.text, /^the differing bytes are the same content in another order \((\d+) of the (\d+) differing 8-byte blocks of a are found elsewhere in b; no symbols name them\)/);
  const [, found, all] = /\((\d+) of the (\d+)/.exec(p.reordered!.text)!.map(Number);
  t.ok(found * 2 >= all);
  t.ok(p.remaining.some((r) => r.cause === 'reordered' && r.location.startsWith('section .text')));
});

t.test('ar: the same members in another order', async (t) => {
  const p = explain('libderives.a');
  t.equal(p.reordered?.what, 'members');
  const members = (s: string) => (have('ar') ? output('ar', ['t', side(s, 'libderives.a')]).trim().split('\n') : order(s).map((n) => `derive_${n}.o`));
  const a = members('a');
  const b = members('b');
  const moved = a.filter((n, i) => b[i] !== n);
  t.same(p.reordered!.moved, moved);
  t.match(p.reordered!.text, /^the members derive_\w+\.o, .* are the same files in another order .*; something iterated an unordered collection/);
  t.notMatch(p.reordered!.text, /also differ/, 'each member is the same object in both');
  // Compared by name, member with member: nothing else differs.
  t.same(p.byMember, { compared: 8, differ: [], onlyInA: [], onlyInB: [] });
  t.same(p.remaining, []);
  t.match(cli(['explain', side('a', 'libderives.a'), side('b', 'libderives.a')]).stdout, /compared member by member: 0 of 8 members differ after normalization, in another order/);
});

t.test('zip: the same members in another order; --zip-order name makes them identical', async (t) => {
  const p = explain('derives.zip');
  t.equal(p.reordered?.what, 'members');
  t.match(p.reordered!.text, /`unstamp --zip-order name` rewrites zip archives with their members sorted by name$/);
  t.same(p.byMember, { compared: 8, differ: [], onlyInA: [], onlyInB: [] });
  if (have('unzip')) {
    const names = (s: string) => output('unzip', ['-Z1', side(s, 'derives.zip')]).trim().split('\n');
    t.same(p.reordered!.moved, names('a').filter((n, i) => names('b')[i] !== n));
  }
  // The advice works: both rewritten with their members sorted, then identical.
  const tmp = tempDir(t);
  cpSync(dir, tmp, { recursive: true });
  t.equal(cli(['--zip-order', 'name', path.join(tmp, 'a/derives.zip'), path.join(tmp, 'b/derives.zip')]).code, 0);
  t.ok(readFileSync(path.join(tmp, 'a/derives.zip')).equals(readFileSync(path.join(tmp, 'b/derives.zip'))), 'identical after --zip-order name');
});

t.test('no reordering where there is none', async (t) => {
  for (const [a, b] of [
    ['elf/stamp/a/stamp', 'elf/stamp/b/stamp'],
    ['explain/a/app.exe', 'explain/b/app.exe'],
    ['explain/a/stamp.zip', 'explain/b/stamp.zip'],
  ]) {
    const p: Pair = JSON.parse(cli(['explain', '--json', path.join(samples, a), path.join(samples, b)]).stdout).pairs[0];
    t.equal(p.reordered, undefined, a);
    t.notOk(p.remaining.some((r) => r.cause.includes('reordered')), a);
  }
});
