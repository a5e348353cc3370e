import t from 'tap';
import { BufferSource, RangeReader } from '../../src/core/reader.js';
import { buildPlan, changedPatches, streamPatched } from '../../src/core/plan.js';
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
