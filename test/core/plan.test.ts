import t from 'tap';
import { BufferSource, RangeReader } from '../../src/core/reader.js';
import { buildPlan, changedPatches, PatchedSource, streamPatched } from '../../src/core/plan.js';
import { Runs, Spans } from '../../src/core/runs.js';
import { FormatError } from '../../src/core/errors.js';
import type { Format, PlanContext } from '../../src/core/format.js';

const opts = { epoch: 0, clamp: false };

/** A format whose planner is given by the test, to exercise the core's own rules. */
function fmt(name: string, plan: (ctx: PlanContext) => Promise<void>, magic = name): Format {
  return { name, title: name, fields: [], leftAlone: [], detect: (h) => h.toString('latin1', 0, magic.length) === magic, plan };
}

const set = (offset: number, bytes: number[]) => async (ctx: PlanContext) => {
  const old = await ctx.reader.read(offset, bytes.length);
  ctx.patch({ offset, bytes: Buffer.from(bytes), oldBytes: old, field: `f@${offset}`, old: old.toString('hex'), new: Buffer.from(bytes).toString('hex') });
};

t.test('RangeReader refuses reads past its window, naming offset and size', async (t) => {
  const r = new RangeReader(new BufferSource(Buffer.alloc(100)), 10, 50);
  t.equal((await r.read(0, 50)).length, 50);
  await t.rejects(r.read(40, 11, 'widget'), { name: 'FormatError', message: 'widget at 0x28 (11 bytes) runs past the end (size 0x32)' });
  await t.rejects(r.read(-1, 1), FormatError);
  await t.rejects(r.read(0, Number.MAX_SAFE_INTEGER + 2), FormatError);
  t.equal((await r.readUpTo(45, 100)).length, 5);
  t.throws(() => r.sub(40, 20), FormatError);
  const src = new BufferSource(Buffer.from('abc\0def'));
  t.equal(await RangeReader.of(src).findNul(0, 'name'), 3);
  await t.rejects(RangeReader.of(src).findNul(4, 'name'), { message: /name at 0x4 has no terminating NUL/ });
});

t.test('a plan with a field outside the file or overlapping another is refused', async (t) => {
  const src = new BufferSource(Buffer.from('OVLP0123456789'));
  const overlapping = fmt('OVLP', async (ctx) => {
    await set(4, [1, 2])(ctx);
    await set(5, [3])(ctx);
  });
  await t.rejects(buildPlan(src, overlapping, [overlapping], opts), { message: /f@5 at 0x5 overlaps f@4 at 0x4/ });
  const adjacent = fmt('OVLP', async (ctx) => {
    await set(6, [3])(ctx);
    await set(4, [1, 2])(ctx);
  });
  const plan = await buildPlan(src, adjacent, [adjacent], opts);
  t.same(plan.patches.map((p) => p.offset), [4, 6], 'sorted by offset');
});

t.test('members are planned by their own format at absolute offsets, with labelled fields', async (t) => {
  const inner = fmt('INNR', set(4, [0x7a]));
  const outer = fmt('OUTR', async (ctx) => {
    t.equal(await ctx.member(4, 8, 'm1'), 'INNR');
    t.equal(await ctx.member(12, 4, 'm2'), undefined, 'unknown member format is left alone');
  });
  const src = new BufferSource(Buffer.from('OUTRINNRxxxxyyyy'));
  const plan = await buildPlan(src, outer, [outer, inner], opts);
  t.equal(plan.patches.length, 1);
  t.equal(plan.patches[0].offset, 8);
  t.equal(plan.patches[0].field, 'm1: f@4');
  const failing = fmt('INNR', async (ctx) => void (await ctx.reader.read(0, 99, 'thing')));
  await t.rejects(buildPlan(src, outer, [outer, failing], opts), { message: /^member m1 \(INNR at 0x4\): thing at 0x0/ });
});

t.test('derived fields see every patch, run stage by stage, and ignore their own bytes', async (t) => {
  // stage 0: byte 1 = sum of bytes [2, 8); stage 1: byte 0 = sum of bytes [1, 8).
  const sum = (offset: number, stage: number, start: number, skip?: number) => ({
    offset,
    size: 1,
    field: `sum@${offset}`,
    stage,
    range: { start, end: 8 },
    render: (b: Buffer) => String(b[0]),
    createHasher: () => {
      let s = 0;
      return {
        update: (chunk: Buffer, at: number) => chunk.forEach((v, i) => void (at + i !== skip && (s += v))),
        digest: () => Buffer.from([s & 0xff]),
      };
    },
  });
  const f = fmt('\x00', async (ctx) => {
    ctx.derive(sum(0, 1, 0, 0));
    ctx.derive(sum(1, 0, 2));
    await set(7, [10])(ctx);
  });
  const data = Buffer.from([0, 99, 1, 2, 3, 4, 5, 6]);
  const plan = await buildPlan(new BufferSource(data), f, [f], opts);
  const by = Object.fromEntries(plan.patches.map((p) => [p.field, p.bytes[0]]));
  t.equal(by['sum@1'], 1 + 2 + 3 + 4 + 5 + 10, 'stage 0 sees the patch at 7');
  t.equal(by['sum@0'], 25 + 1 + 2 + 3 + 4 + 5 + 10, 'stage 1 sees stage 0 and skips its own byte');
  t.equal(changedPatches(plan).length, 3);
});

t.test('streamPatched overlays patches that straddle chunk boundaries', async (t) => {
  const size = 200_000;
  const src = new BufferSource(Buffer.alloc(size, 0));
  const patches = [65_534, 131_070].map((offset) => ({ offset, bytes: Buffer.from([1, 2, 3, 4]), oldBytes: Buffer.alloc(4), field: 'x', old: '', new: '' }));
  const out = Buffer.alloc(size);
  await streamPatched(src, 0, size, patches, (chunk, at) => chunk.copy(out, at));
  const want = Buffer.alloc(size);
  for (const p of patches) p.bytes.copy(want, p.offset);
  t.ok(out.equals(want));
});

t.test('a plan keeping no field text counts every field and writes the same bytes', async (t) => {
  // Three adjacent fields (one already normal), one apart, one planned out of order, and a member's.
  const inner = fmt('INNR', set(4, [0x7a]));
  const planner = async (ctx: PlanContext) => {
    await set(12, [1, 2])(ctx);
    await set(14, [0x32])(ctx);
    await set(15, [9])(ctx);
    await set(20, [7, 7])(ctx);
    await set(5, [0])(ctx);
    await ctx.member(24, 8, 'm');
  };
  const outer = fmt('OUTR', planner);
  const data = Buffer.from('OUTRxxxxxxxx0123456789abINNRyyyyzz');
  const all = await buildPlan(new BufferSource(data), outer, [outer, inner], opts);
  const none = await buildPlan(new BufferSource(data), outer, [outer, inner], opts, undefined, undefined, 'none');
  const changed = await buildPlan(new BufferSource(data), outer, [outer, inner], opts, undefined, undefined, 'changed');
  t.equal(none.patches.length, 0, 'no field kept');
  t.same(changed.patches.map((p) => p.field), ['f@5', 'f@12', 'f@15', 'f@20', 'm: f@4'], 'only the changed fields, sorted');
  for (const p of [all, none, changed]) {
    t.equal(p.fieldCount, 6);
    t.equal(p.changedCount, 5);
    t.equal(p.bytesChanged, 1 + 2 + 1 + 2 + 1);
  }
  t.equal(none.writes.count, 5, 'the changed fields at 12 and 15 stay apart: the one at 14 between them is already normal');
  const read = async (plan: typeof all) => (await new PatchedSource(new BufferSource(data), plan.writes).readAt(0, data.length)).toString('latin1');
  const want = Buffer.from(data);
  for (const p of changedPatches(all)) p.bytes.copy(want, p.offset);
  t.equal(await read(none), want.toString('latin1'));
  t.equal(await read(all), want.toString('latin1'));
});

t.test('a compact plan that breaks the overlap rule gives the message naming the fields', async (t) => {
  const src = new BufferSource(Buffer.from('OVLP0123456789'));
  const overlapping = fmt('OVLP', async (ctx) => {
    await set(4, [1, 2])(ctx);
    await set(5, [3])(ctx);
  });
  await t.rejects(buildPlan(src, overlapping, [overlapping], opts, undefined, undefined, 'none'), { message: /f@5 at 0x5 overlaps f@4 at 0x4/ });
  const outside = fmt('OVLP', async (ctx) => ctx.patch({ offset: 13, bytes: Buffer.from([1, 2]), oldBytes: Buffer.alloc(2), field: 'f@13', render: (b) => b.toString('hex') }));
  await t.rejects(buildPlan(src, outside, [outside], opts, undefined, undefined, 'none'), { message: /f@13 at 0xd lies outside the file \(size 0xe\)/ });
});

t.test('runs merge adjacent patches, sort, and overlay any window', async (t) => {
  const runs = new Runs();
  runs.add(10, Buffer.from('ab'));
  runs.add(12, Buffer.from('cd'));
  runs.add(2, Buffer.from('x'));
  runs.add(300_000, Buffer.alloc(100_000, 0x41));
  runs.add(400_000, Buffer.from('z'));
  runs.sort();
  t.equal(runs.count, 4, 'the two adjacent ones are one run');
  t.same([0, 1, 2, 3].map((i) => [runs.offset(i), runs.end(i)]), [[2, 3], [10, 14], [300_000, 400_000], [400_000, 400_001]]);
  t.equal(runs.bytes(1).toString(), 'abcd');
  const chunk = Buffer.alloc(6, 0x2e);
  runs.overlay(chunk, 9);
  t.equal(chunk.toString(), '.abcd.');
  const edge = Buffer.alloc(4, 0x2e);
  runs.overlay(edge, 399_998);
  t.equal(edge.toString(), 'AAz.');
});

t.test('runs and spans past one chunk of their columns (65,536 entries), added out of order', async (t) => {
  // 200,000 one-byte runs two bytes apart, added odd ones first: four chunks, and a sort.
  const n = 200_000;
  const runs = new Runs();
  const spans = new Spans();
  for (const parity of [1, 0]) {
    for (let k = parity; k < n; k += 2) {
      runs.add(2 * k, Buffer.from([k & 0xff]));
      spans.add(2 * k, 2 * k + 1);
    }
  }
  runs.sort();
  t.equal(runs.count, n);
  let sorted = true;
  for (let i = 0; i < n; i++) if (runs.offset(i) !== 2 * i || runs.bytes(i)[0] !== (i & 0xff)) sorted = false;
  t.ok(sorted, 'every run in offset order with its own byte');
  t.equal(runs.firstEndingAfter(2 * 150_000), 150_000);
  const chunk = Buffer.alloc(8, 0x2e);
  runs.overlay(chunk, 2 * 131_070);
  t.same([...chunk], [131_070 & 0xff, 0x2e, 131_071 & 0xff, 0x2e, 131_072 & 0xff, 0x2e, 131_073 & 0xff, 0x2e], 'a window across a chunk boundary');
  t.equal(spans.ordered, false);
  t.equal(spans.problem(2 * n), undefined, 'no overlap among 200,000 disjoint spans');
  t.same(spans.problem(2 * n - 2), { offset: 2 * n - 2, end: 2 * n - 1, kind: 'outside' });
  spans.add(2 * 100_000, 2 * 100_000 + 2);
  t.same(spans.problem(2 * n), { offset: 2 * 100_000, end: 2 * 100_000 + 2, kind: 'overlap' }, 'a late span over one in the second chunk');
});

/** The check as it was first written: every span kept, merged with the one before, sorted stably when out of order. */
function naiveProblem(added: [number, number][], size: number) {
  const list: [number, number][] = [];
  let ordered = true;
  for (const [offset, end] of added) {
    const last = list[list.length - 1];
    if (last && offset === last[1]) last[1] = end;
    else {
      if (last && offset < last[1]) ordered = false;
      list.push([offset, end]);
    }
  }
  if (!ordered) list.sort((a, b) => a[0] - b[0]);
  let prevEnd = -Infinity;
  for (const [offset, end] of list) {
    if (offset < 0 || end > size) return { offset, end, kind: 'outside' };
    if (offset < prevEnd) return { offset, end, kind: 'overlap' };
    prevEnd = end;
  }
  return undefined;
}

function spansOf(added: [number, number][]): Spans {
  const spans = new Spans();
  for (const [offset, end] of added) spans.add(offset, end);
  return spans;
}

t.test('spans: a late span over an early one, touching spans, spans past 4 GiB', async (t) => {
  const G4 = 2 ** 32;
  // In order, then one that lands inside the very first span.
  const early: [number, number][] = [[10, 20], [30, 40], [50, 60], [15, 16], [70, 80]];
  t.same(spansOf(early).problem(100), { offset: 15, end: 16, kind: 'overlap' });
  // Out of order but only touching: no overlap, whichever way they touch.
  const touching: [number, number][] = [[30, 40], [10, 20], [20, 30], [40, 50], [0, 10]];
  t.equal(spansOf(touching).problem(50), undefined);
  t.same(spansOf(touching).problem(49), { offset: 40, end: 50, kind: 'outside' }, '[40,50) came after [20,30): not merged with [30,40)');
  // Past 4 GiB (the gaps and lengths no longer fit 32 bits), then one back inside the first.
  const big: [number, number][] = [[1, 2], [G4 + 5, G4 + 9], [3 * G4, 3 * G4 + G4 + 7], [G4 + 8, G4 + 10]];
  t.equal(spansOf(big.slice(0, 3)).problem(5 * G4), undefined);
  t.same(spansOf(big).problem(5 * G4), { offset: G4 + 8, end: G4 + 10, kind: 'overlap' });
  t.same(spansOf(big.slice(0, 3)).problem(4 * G4), { offset: 3 * G4, end: 4 * G4 + 7, kind: 'outside' });
  t.same(spansOf(big).problem(4 * G4), { offset: G4 + 8, end: G4 + 10, kind: 'overlap' }, 'the overlap comes first in offset order');
  // A negative offset and a zero-length span at the offset of another.
  t.same(spansOf([[-1, 3], [5, 6]]).problem(10), { offset: -1, end: 3, kind: 'outside' });
  t.same(spansOf([[5, 9], [2, 3], [5, 5]]).problem(10), naiveProblem([[5, 9], [2, 3], [5, 5]], 10));
  t.same(spansOf([[5, 5], [2, 3], [5, 9]]).problem(10), naiveProblem([[5, 5], [2, 3], [5, 9]], 10));
});

t.test('spans: the same verdict as keeping every span, on random plans', async (t) => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const sizes = [0, 1, 7, 1000, 2 ** 32 + 3, 2 ** 40];
  let mismatches = 0;
  let problems = 0;
  for (let trial = 0; trial < 20000; trial++) {
    const added: [number, number][] = [];
    let pos = rand(2) === 0 ? 0 : rand(3) * 2 ** 32;
    const n = 1 + rand(40);
    for (let i = 0; i < n; i++) {
      const r = rand(10);
      if (r < 5) pos += rand(3); // in order: touching or a small gap
      else if (r < 7) pos = Math.max(0, pos - rand(30)); // back a little
      else if (r < 8) pos = rand(50); // back to the start
      else if (r < 9) pos += rand(2) * 2 ** 33 + rand(5); // far ahead
      else pos = pos - 1; // may go negative at 0
      // Empty spans (ties at one offset decide which is seen first) and, rarely, a backwards one.
      const len = rand(3) === 0 ? 0 : rand(20) === 0 ? -1 - rand(4) : 1 + rand(8);
      added.push([pos, pos + len]);
      pos += Math.max(len, 0);
    }
    const size = sizes[rand(sizes.length)];
    const want = naiveProblem(added, size);
    if (want) problems++;
    if (JSON.stringify(spansOf(added).problem(size)) !== JSON.stringify(want)) {
      if (mismatches++ === 0) t.fail(`differs on ${JSON.stringify(added)} size ${size}`);
    }
  }
  t.equal(mismatches, 0, 'no plan differs');
  t.ok(problems > 2000 && problems < 18000, `both verdicts seen (${problems} with a problem)`);
});

t.test('streamPatched over chunks that hold no patch after one that did', async (t) => {
  // The first chunk's last run ends well before the second chunk: the overlay of the
  // second one must skip it (a PE's checksum pass over a multi-MiB image hit this).
  const size = 3 << 20;
  const src = new BufferSource(Buffer.alloc(size, 0));
  const patches = [100, (2 << 20) + 5].map((offset) => ({ offset, bytes: Buffer.from([7, 8]) }));
  const out = Buffer.alloc(size);
  await streamPatched(src, 0, size, patches, (chunk, at) => chunk.copy(out, at));
  const want = Buffer.alloc(size);
  for (const p of patches) p.bytes.copy(want, p.offset);
  t.ok(out.equals(want));
});
