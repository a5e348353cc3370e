import t from 'tap';
import { Runs } from '../../src/core/runs.js';

// Runs against a reference model: the patches kept as a plain list, sorted, adjacent ones
// joined. Random plans of every shape the planners make: in file order, out of order, in
// two interleaved passes (a zip's local headers, then its central directory), with
// repeated values (shared bytes), large fields, huge offsets, and patches added after a sort.

/** A small deterministic generator (mulberry32), so a failure can be replayed by its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Patch {
  offset: number;
  bytes: Buffer;
}

/** Disjoint patches laid out along the file, in file order. */
function layout(rnd: () => number, n: number): Patch[] {
  const int = (k: number) => Math.floor(rnd() * k);
  const values = [Buffer.from('00000000'), Buffer.from('000003e8'), Buffer.from([0, 0, 0, 0]), Buffer.from([1, 2])];
  const out: Patch[] = [];
  let at = int(4) === 0 ? 2 ** 40 + int(1000) : int(100);
  for (let i = 0; i < n; i++) {
    const shape = int(20);
    let bytes: Buffer;
    if (shape === 0 && int(4) === 0) bytes = Buffer.alloc(65_537 + int(100_000), int(256));
    else if (shape < 8) bytes = values[int(values.length)];
    else bytes = Buffer.from(Array.from({ length: 1 + int(12) }, () => int(256)));
    out.push({ offset: at, bytes });
    // Adjacent (joined into one run), close, or far apart.
    const gap = int(3);
    at += bytes.length + (gap === 0 ? 0 : gap === 1 ? 1 + int(300) : 1 + int(2 ** 24));
  }
  return out;
}

/** The order patches are added in. */
function order(rnd: () => number, patches: Patch[]): Patch[] {
  const kind = Math.floor(rnd() * 4);
  if (kind === 0) return patches;
  if (kind === 1) {
    const shuffled = [...patches];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    return shuffled;
  }
  if (kind === 2) return [...patches.filter((_, i) => i % 2 === 1), ...patches.filter((_, i) => i % 2 === 0)];
  // Mostly in order, a few swapped with a neighbour.
  const near = [...patches];
  for (let i = 1; i < near.length; i++) if (rnd() < 0.1) [near[i - 1], near[i]] = [near[i], near[i - 1]];
  return near;
}

/** Sorted, adjacent ones joined: what a plan's runs must amount to. */
function joined(patches: readonly Patch[]): Patch[] {
  const out: Patch[] = [];
  for (const p of [...patches].sort((a, b) => a.offset - b.offset)) {
    const last = out[out.length - 1];
    if (last && last.offset + last.bytes.length === p.offset) last.bytes = Buffer.concat([last.bytes, p.bytes]);
    else out.push({ offset: p.offset, bytes: Buffer.from(p.bytes) });
  }
  return out;
}

function runsList(runs: Runs): Patch[] {
  const list: Patch[] = [];
  for (let i = 0; i < runs.count; i++) list.push({ offset: runs.offset(i), bytes: Buffer.from(runs.bytes(i)) });
  return joined(list);
}

/** The bytes of [pos, pos + size) of a file of dots with the patches laid over. */
function window(patches: readonly Patch[], pos: number, size: number): Buffer {
  const out = Buffer.alloc(size, 0x2e);
  for (const p of patches) {
    const from = Math.max(p.offset, pos);
    const to = Math.min(p.offset + p.bytes.length, pos + size);
    if (from < to) p.bytes.copy(out, from - pos, from - p.offset, to - p.offset);
  }
  return out;
}

function sameList(a: readonly Patch[], b: readonly Patch[]): boolean {
  return a.length === b.length && a.every((p, i) => p.offset === b[i].offset && p.bytes.equals(b[i].bytes));
}

t.test('runs match the reference model on random plans', async (t) => {
  let failures = 0;
  for (let seed = 1; seed <= 200 && failures < 3; seed++) {
    const rnd = random(seed);
    const n = seed % 10 === 0 ? 3000 + Math.floor(rnd() * 3000) : 1 + Math.floor(rnd() * 300);
    const patches = layout(rnd, n);
    const added = order(rnd, patches);
    // Some plans get a few more patches after a first sort (derived fields do).
    const late = rnd() < 0.3 ? Math.floor(rnd() * Math.min(5, added.length)) : 0;
    const runs = new Runs();
    for (const p of added.slice(0, added.length - late)) runs.add(p.offset, p.bytes);
    if (late > 0) {
      runs.sort();
      for (const p of added.slice(added.length - late)) runs.add(p.offset, p.bytes);
    }
    runs.sort();
    const want = joined(patches);
    const problems: string[] = [];
    if (!sameList(runsList(runs), want)) problems.push('runs differ from the patches');
    if (runs.count < want.length || runs.count > patches.length) problems.push(`count ${runs.count} outside [${want.length}, ${patches.length}]`);
    // Windows: around patch edges, inside large ones, and over nothing.
    for (let k = 0; k < 30; k++) {
      const p = want[Math.floor(rnd() * want.length)];
      const pos = Math.max(0, p.offset + Math.floor(rnd() * (p.bytes.length + 40)) - 20);
      const size = 1 + Math.floor(rnd() * 600);
      const got = Buffer.alloc(size, 0x2e);
      runs.overlay(got, pos);
      if (!got.equals(window(want, pos, size))) problems.push(`window ${pos}+${size}`);
      const at = runs.firstEndingAfter(pos);
      if ((at > 0 && runs.end(at - 1) > pos) || (at < runs.count && runs.end(at) <= pos)) problems.push(`firstEndingAfter(${pos}) = ${at}`);
    }
    // Consecutive chunks with the hint each overlay returns, as a streaming pass reads.
    const start = want[0].offset;
    const stop = Math.min(want[want.length - 1].offset + want[want.length - 1].bytes.length, start + 4 * 65_536);
    let hint = runs.firstEndingAfter(start);
    for (let pos = start; pos < stop; pos += 4096) {
      const size = Math.min(4096, stop - pos);
      const got = Buffer.alloc(size, 0x2e);
      hint = runs.overlay(got, pos, hint);
      if (!got.equals(window(want, pos, size))) {
        problems.push(`chunk at ${pos}`);
        break;
      }
    }
    if (problems.length > 0) {
      failures++;
      t.fail(`seed ${seed} (${n} patches): ${problems.slice(0, 3).join('; ')}`);
    }
  }
  t.equal(failures, 0, 'every random plan matches');
});

t.test('runs share repeated bytes and keep offsets past 2^32', async (t) => {
  const runs = new Runs();
  const n = 100_000;
  for (let i = 0; i < n; i++) runs.add(2 ** 33 + 110 * i, Buffer.from('000003e8'));
  runs.sort();
  t.equal(runs.count, n);
  t.equal(runs.offset(n - 1), 2 ** 33 + 110 * (n - 1));
  t.equal(runs.bytes(n - 1).toString(), '000003e8');
  // Every run points at the same eight bytes of the arena.
  t.equal(runs.bytes(0).buffer, runs.bytes(n - 1).buffer);
  t.equal(runs.bytes(0).byteOffset, runs.bytes(n - 1).byteOffset);
});

t.test('runs at odd offsets: negative, fractional and past 2^53 go through the escape', async (t) => {
  const runs = new Runs();
  runs.add(-4, Buffer.from('a'));
  runs.add(0.5, Buffer.from('b'));
  runs.add(2 ** 53 + 2, Buffer.from('c'));
  runs.add(7, Buffer.from('d'));
  runs.sort();
  t.same([0, 1, 2, 3].map((i) => [runs.offset(i), runs.bytes(i).toString()]), [
    [-4, 'a'],
    [0.5, 'b'],
    [7, 'd'],
    [2 ** 53 + 2, 'c'],
  ]);
});
