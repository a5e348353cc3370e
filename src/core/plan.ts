import type { DerivedField, Format, PatchInput, PlanContext, PlanOptions, SiblingFile } from './format.js';
import { FormatError, SkipFile, hex } from './errors.js';
import type { ByteSource } from './reader.js';
import { RangeReader } from './reader.js';

/** One field of the plan, at its absolute offset in the file. */
export interface Patch {
  offset: number;
  bytes: Buffer;
  oldBytes: Buffer;
  field: string;
  old: string;
  new: string;
}

export interface Plan {
  format: string;
  patches: Patch[];
  derived: DerivedField[];
  notes: string[];
  warnings: string[];
  /** Fields a primary hands to its companions (FormatLink), at absolute offsets. */
  exports: { name: string; offset: number; size: number }[];
}

/** Every format option with its value: the given one, else the format's default. */
export function resolveSettings(formats: readonly Format[], given: Readonly<Record<string, string>> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of formats.flatMap((f) => f.options ?? [])) out[o.name] = given[o.name] ?? o.default;
  return out;
}

export const HEAD_SIZE = 512;
export const TAIL_SIZE = 1024;
const MAX_DEPTH = 8;

/** The format of the bytes in `r`: by the magic at the start, else by a trailer at the end. */
export async function detectFormat(formats: readonly Format[], r: RangeReader): Promise<Format | undefined> {
  const head = await r.readUpTo(0, HEAD_SIZE, 'head');
  const byHead = formats.find((f) => f.detect(head, r.size));
  if (byHead || !formats.some((f) => f.detectTail)) return byHead;
  const n = Math.min(TAIL_SIZE, r.size);
  const tail = await r.read(r.size - n, n, 'tail');
  return formats.find((f) => f.detectTail?.(tail, r.size));
}

export function timePolicy(options: PlanOptions): (old: number) => number {
  return (old) => (options.clamp ? Math.min(old, options.epoch) : options.epoch);
}

/** What only a whole file on disk has: its name and the files beside it (PlanContext.file, .sibling). */
export interface OnDisk {
  file: { name: string; folder: string } | undefined;
  sibling(relative: string): Promise<SiblingFile | undefined>;
}

/** The PlanContext of one (sub)range; members get a child with a longer label. */
class Context implements PlanContext {
  readonly time: (old: number) => number;
  constructor(
    readonly reader: RangeReader,
    readonly options: PlanOptions,
    private readonly plan: Plan,
    private readonly formats: readonly Format[],
    private readonly label: string,
    readonly depth: number,
    private readonly links: ReadonlyMap<string, Buffer>,
    private readonly disk?: OnDisk,
  ) {
    this.time = timePolicy(options);
  }

  get file(): OnDisk['file'] {
    return this.disk?.file;
  }

  async sibling(relative: string): Promise<SiblingFile | undefined> {
    return this.disk?.sibling(relative);
  }

  setting(name: string): string {
    const v = this.options.settings?.[name];
    if (v === undefined) throw new Error(`planner bug: unknown setting ${name}`);
    return v;
  }

  publish(name: string, offset: number, size: number): void {
    this.plan.exports.push({ name, offset: this.reader.base + offset, size });
  }

  linked(name: string): Buffer | undefined {
    return this.links.get(name);
  }

  private name(field: string): string {
    return this.label ? `${this.label}: ${field}` : field;
  }

  patch(p: PatchInput): void {
    if (p.bytes.length !== p.oldBytes.length) {
      throw new Error(`planner bug: ${p.field} replaces ${p.oldBytes.length} bytes with ${p.bytes.length}`);
    }
    this.plan.patches.push({ ...p, offset: this.reader.base + p.offset, field: this.name(p.field) });
  }

  derive(d: DerivedField): void {
    const base = this.reader.base;
    this.plan.derived.push({
      ...d,
      offset: base + d.offset,
      field: this.name(d.field),
      range: { start: base + d.range.start, end: base + d.range.end },
      createHasher: () => {
        const h = d.createHasher();
        return { update: (chunk, offset) => h.update(chunk, offset - base), digest: () => h.digest() };
      },
    });
  }

  note(text: string): void {
    this.plan.notes.push(this.name(text));
  }

  warn(text: string): void {
    this.plan.warnings.push(this.name(text));
  }

  async member(offset: number, length: number, name: string): Promise<string | undefined> {
    const sub = this.reader.sub(offset, length);
    const format = await detectFormat(this.formats, sub);
    if (!format) return undefined;
    if (this.depth >= MAX_DEPTH) {
      throw new FormatError(`member ${name} at ${hex(sub.base)}: containers nested deeper than ${MAX_DEPTH} levels`, sub.base);
    }
    const child = new Context(sub, this.options, this.plan, this.formats, this.name(name), this.depth + 1, new Map());
    try {
      await format.plan(child);
    } catch (e) {
      if (e instanceof SkipFile) {
        this.note(`member ${name}: ${e.message}`);
        return undefined;
      }
      if (e instanceof FormatError) {
        throw new FormatError(`member ${name} (${format.name} at ${hex(sub.base)}): ${e.message}`, e.offset);
      }
      throw e;
    }
    return format.name;
  }
}

/**
 * Plan a whole source with the given format: run its planner, then check the plan
 * (every field inside the file, none overlapping) and compute the derived fields.
 * Throws FormatError for input that breaks a rule of the format.
 */
export async function buildPlan(
  source: ByteSource,
  format: Format,
  formats: readonly Format[],
  options: PlanOptions,
  links: ReadonlyMap<string, Buffer> = new Map(),
  disk?: OnDisk,
): Promise<Plan> {
  const plan: Plan = { format: format.name, patches: [], derived: [], notes: [], warnings: [], exports: [] };
  const reader = RangeReader.of(source);
  await format.plan(new Context(reader, options, plan, formats, '', 0, links, disk));
  validate(plan, source.size);
  await resolveDerived(plan, source);
  return plan;
}

function validate(plan: Plan, size: number): void {
  const spans = [
    ...plan.patches.map((p) => ({ offset: p.offset, end: p.offset + p.bytes.length, field: p.field })),
    ...plan.derived.map((d) => ({ offset: d.offset, end: d.offset + d.size, field: d.field })),
  ].sort((a, b) => a.offset - b.offset);
  let prev: (typeof spans)[number] | undefined;
  for (const s of spans) {
    if (s.offset < 0 || s.end > size) {
      throw new FormatError(`${s.field} at ${hex(s.offset)} lies outside the file (size ${hex(size)})`, s.offset);
    }
    if (prev && s.offset < prev.end) {
      throw new FormatError(`${s.field} at ${hex(s.offset)} overlaps ${prev.field} at ${hex(prev.offset)}`, s.offset);
    }
    prev = s;
  }
}

// Large enough that a pass costs few round trips to the I/O threads, small enough to bound memory.
const CHUNK = 1 << 20;

/**
 * Stream [start, end) of the source with `patches` (sorted by offset) laid over it,
 * calling `sink` for each chunk. Memory: one chunk.
 */
export async function streamPatched(
  source: ByteSource,
  start: number,
  end: number,
  patches: readonly Patch[],
  sink: (chunk: Buffer, offset: number) => void,
): Promise<void> {
  let first = 0;
  for (let pos = start; pos < end; pos += CHUNK) {
    const len = Math.min(CHUNK, end - pos);
    const chunk = await source.readAt(pos, len);
    while (first < patches.length && patches[first].offset + patches[first].bytes.length <= pos) first++;
    for (let i = first; i < patches.length && patches[i].offset < pos + len; i++) {
      const p = patches[i];
      const from = Math.max(p.offset, pos);
      const to = Math.min(p.offset + p.bytes.length, pos + len);
      p.bytes.copy(chunk, from - pos, from - p.offset, to - p.offset);
    }
    sink(chunk, pos);
  }
}

/**
 * A source read as if `patches` (sorted by offset, none overlapping) were written: a
 * whole-file rewrite reads the planned bytes through it, so the original is not touched
 * before the rename.
 */
export class PatchedSource implements ByteSource {
  constructor(
    private readonly base: ByteSource,
    private readonly patches: readonly Patch[],
  ) {}

  get size(): number {
    return this.base.size;
  }

  async readAt(offset: number, length: number): Promise<Buffer> {
    const chunk = await this.base.readAt(offset, length);
    // Binary search: a zip rewrite reads each central record on its own, among tens of thousands of patches.
    let lo = 0;
    let hi = this.patches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.patches[mid].offset + this.patches[mid].bytes.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.patches.length && this.patches[i].offset < offset + length; i++) {
      const p = this.patches[i];
      const from = Math.max(p.offset, offset);
      const to = Math.min(p.offset + p.bytes.length, offset + length);
      p.bytes.copy(chunk, from - offset, from - p.offset, to - p.offset);
    }
    return chunk;
  }
}

/** Turn derived fields into patches, stage by stage, one streaming pass per stage. */
async function resolveDerived(plan: Plan, source: ByteSource): Promise<void> {
  const stages = [...new Set(plan.derived.map((d) => d.stage))].sort((a, b) => a - b);
  for (const stage of stages) {
    const fields = plan.derived.filter((d) => d.stage === stage);
    const hashers = fields.map((d) => d.createHasher());
    const start = Math.min(...fields.map((d) => d.range.start));
    const end = Math.max(...fields.map((d) => d.range.end));
    const patches = [...plan.patches].sort((a, b) => a.offset - b.offset);
    await streamPatched(source, start, end, patches, (chunk, pos) => {
      fields.forEach((d, i) => {
        const from = Math.max(d.range.start, pos);
        const to = Math.min(d.range.end, pos + chunk.length);
        if (from < to) hashers[i].update(chunk.subarray(from - pos, to - pos), from);
      });
    });
    for (const [i, d] of fields.entries()) {
      const bytes = hashers[i].digest();
      if (bytes.length !== d.size) throw new Error(`planner bug: ${d.field} digest is ${bytes.length} bytes, field is ${d.size}`);
      const oldBytes = await source.readAt(d.offset, d.size);
      plan.patches.push({ offset: d.offset, bytes, oldBytes, field: d.field, old: d.render(oldBytes), new: d.render(bytes) });
    }
  }
  plan.patches.sort((a, b) => a.offset - b.offset);
}

export function changedPatches(plan: Plan): Patch[] {
  return plan.patches.filter((p) => !p.bytes.equals(p.oldBytes));
}

/** The final bytes of each exported field: the original bytes with the plan laid over. */
export async function publishedValues(plan: Plan, source: ByteSource): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of plan.exports) {
    const value = Buffer.alloc(e.size);
    await streamPatched(source, e.offset, e.offset + e.size, plan.patches, (chunk, at) => chunk.copy(value, at - e.offset));
    out.set(e.name, value);
  }
  return out;
}
