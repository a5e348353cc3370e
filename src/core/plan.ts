import type { DerivedField, Format, PatchInput, PlanContext, PlanOptions, SiblingFile } from './format.js';
import { FormatError, SkipFile, hex } from './errors.js';
import type { ByteSource } from './reader.js';
import { RangeReader } from './reader.js';
import { Runs, Spans } from './runs.js';

/** One field of the plan, at its absolute offset in the file. */
export interface Patch {
  offset: number;
  bytes: Buffer;
  oldBytes: Buffer;
  field: string;
  old: string;
  new: string;
}

/**
 * How much a plan keeps of each field for reports: every field (explain, --json, the
 * library), only the changed ones (-v prints those), or none (a plain run prints counts).
 * The bytes to write are kept in every case, compactly (Runs); `patches` holds the kept
 * fields with their names and old/new text.
 */
export type Detail = 'all' | 'changed' | 'none';

export class Plan {
  /** The fields kept for reports (see Detail), sorted by offset once planned. */
  readonly patches: Patch[] = [];
  readonly derived: DerivedField[] = [];
  readonly notes: string[] = [];
  readonly warnings: string[] = [];
  /** Fields a primary hands to its companions (FormatLink), at absolute offsets. */
  readonly exports: { name: string; offset: number; size: number }[] = [];
  /** The new bytes of every changed field, adjacent ones merged, sorted by offset once planned. */
  readonly writes = new Runs();
  /** Every field's span, changed or not, and every derived field's: checked for overlaps. */
  readonly spans = new Spans();
  /** Every field found (derived ones included), those that change, and the bytes that differ. */
  fieldCount = 0;
  changedCount = 0;
  bytesChanged = 0;

  constructor(
    readonly format: string,
    readonly detail: Detail = 'all',
  ) {}

  /**
   * Record one field at file offset `offset`. `name` and `render` are only called when
   * the field is kept for reports, so a plain run builds no text per field.
   */
  record(offset: number, bytes: Buffer, oldBytes: Buffer, name: () => string, text: (which: 'old' | 'new') => string): void {
    const differ = this.count(offset, bytes, oldBytes);
    if (this.keeps(differ)) {
      this.patches.push({ offset, bytes, oldBytes, field: name(), old: text('old'), new: text('new') });
    }
  }

  /** Count one field and keep its new bytes if they change; returns how many bytes differ. */
  count(offset: number, bytes: Buffer, oldBytes: Buffer): number {
    let differ = 0;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== oldBytes[i]) differ++;
    this.fieldCount++;
    if (differ > 0) {
      this.changedCount++;
      this.bytesChanged += differ;
      this.writes.add(offset, bytes);
    }
    return differ;
  }

  /** Whether a field with `differ` changed bytes is kept for reports. */
  keeps(differ: number): boolean {
    return this.detail === 'all' || (this.detail === 'changed' && differ > 0);
  }
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
export function detectFormat(formats: readonly Format[], r: RangeReader): Promise<Format | undefined> {
  if (!r.sync) return detectLater(formats, r);
  try {
    return Promise.resolve(detectNow(formats, r));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * detectFormat of a synchronous source, done right here (once per archive member). The
 * bytes are looked at in place, with no copy: the detectors only read them, and are done
 * with them before the next read.
 */
function detectNow(formats: readonly Format[], r: RangeReader): Format | undefined {
  const head = r.peekUpToSync(0, HEAD_SIZE, 'head');
  const size = r.size;
  for (const f of formats) if (f.detect(head, size)) return f;
  if (!formats.some((f) => f.detectTail)) return undefined;
  const n = Math.min(TAIL_SIZE, size);
  const tail = r.peekUpToSync(size - n, n, 'tail');
  return formats.find((f) => f.detectTail?.(tail, size));
}

async function detectLater(formats: readonly Format[], r: RangeReader): Promise<Format | undefined> {
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
/** A field's old or new value as text: given by the planner, or rendered from the bytes. */
function textOf(p: PatchInput, which: 'old' | 'new'): string {
  const given = p[which];
  if (given !== undefined) return given;
  if (!p.render) throw new Error(`planner bug: ${p.field} has neither ${which} text nor render`);
  return p.render(which === 'old' ? p.oldBytes : p.bytes, which);
}

/** What a member sees of links: none (only a whole file pairs with another). */
const NO_LINKS: ReadonlyMap<string, Buffer> = new Map();

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
    /** A member's context shares its container's (one closure per file, not per member). */
    time?: (old: number) => number,
  ) {
    this.time = time ?? timePolicy(options);
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
    const offset = this.reader.base + p.offset;
    const plan = this.plan;
    plan.spans.add(offset, offset + p.bytes.length);
    // No closure per field: a plain run over half a million fields keeps none of them.
    const differ = plan.count(offset, p.bytes, p.oldBytes);
    if (plan.keeps(differ)) plan.patches.push({ offset, bytes: p.bytes, oldBytes: p.oldBytes, field: this.name(p.field), old: textOf(p, 'old'), new: textOf(p, 'new') });
  }

  derive(d: DerivedField): void {
    const base = this.reader.base;
    this.plan.spans.add(base + d.offset, base + d.offset + d.size);
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
    const format = sub.sync ? detectNow(this.formats, sub) : await detectLater(this.formats, sub);
    if (!format) return undefined;
    if (this.depth >= MAX_DEPTH) {
      throw new FormatError(`member ${name} at ${hex(sub.base)}: containers nested deeper than ${MAX_DEPTH} levels`, sub.base);
    }
    const child = new Context(sub, this.options, this.plan, this.formats, this.name(name), this.depth + 1, NO_LINKS, undefined, this.time);
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
  detail: Detail = 'all',
): Promise<Plan> {
  const plan = new Plan(format.name, detail);
  const reader = RangeReader.of(source);
  await format.plan(new Context(reader, options, plan, formats, '', 0, links, disk));
  const problem = plan.spans.problem(source.size);
  if (problem) {
    // The message names the fields: plan again keeping them all (planning is deterministic).
    if (detail !== 'all') await buildPlan(source, format, formats, options, links, disk, 'all');
    else validate(plan, source.size);
    throw new FormatError(`a field at ${hex(problem.offset)} ${problem.kind === 'outside' ? `lies outside the file (size ${hex(source.size)})` : 'overlaps another'}`, problem.offset);
  }
  await resolveDerived(plan, source);
  plan.patches.sort((a, b) => a.offset - b.offset);
  return plan;
}

/** The overlap or out-of-file check again, on a plan keeping every field: its message names them. */
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

/** Patches as given to the overlays: a plan's runs, or a list of patches (sorted or not, none overlapping). */
export type Overlay = Runs | readonly { offset: number; bytes: Buffer }[];

const runsOf = (o: Overlay): Runs => (o instanceof Runs ? o : Runs.of(o));

/**
 * Stream [start, end) of the source with `patches` laid over it,
 * calling `sink` for each chunk. Memory: one chunk, reused when the source can read into
 * it, so the sink must not keep a chunk past its call (hashers and copies do not).
 */
export async function streamPatched(source: ByteSource, start: number, end: number, patches: Overlay, sink: (chunk: Buffer, offset: number) => void): Promise<void> {
  const runs = runsOf(patches);
  let first = runs.firstEndingAfter(start);
  const reused = source.readInto && end > start ? Buffer.allocUnsafe(Math.min(CHUNK, end - start)) : undefined;
  for (let pos = start; pos < end; pos += CHUNK) {
    const len = Math.min(CHUNK, end - pos);
    const chunk = reused ? await source.readInto!(reused, pos, len) : await source.readAt(pos, len);
    first = runs.overlay(chunk, pos, first);
    sink(chunk, pos);
  }
}

/**
 * A source read as if `patches` (none overlapping) were written: a whole-file rewrite
 * reads the planned bytes through it, so the original is not touched before the rename.
 */
export class PatchedSource implements ByteSource {
  private readonly runs: Runs;
  constructor(
    private readonly base: ByteSource,
    patches: Overlay,
  ) {
    this.runs = runsOf(patches);
  }

  get size(): number {
    return this.base.size;
  }

  get sync(): boolean {
    return this.base.sync === true;
  }

  async readAt(offset: number, length: number): Promise<Buffer> {
    if (this.sync) return this.readAtSync(offset, length);
    const chunk = await this.base.readAt(offset, length);
    // Binary search: a zip rewrite reads each central record on its own, among tens of thousands of patches.
    this.runs.overlay(chunk, offset);
    return chunk;
  }

  readAtSync(offset: number, length: number): Buffer {
    const chunk = this.base.readAtSync!(offset, length);
    this.runs.overlay(chunk, offset);
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
    plan.writes.sort();
    // Fields by start, and a sweep keeping those still open: each chunk visits only the
    // fields it overlaps, not every field of the stage (a stage may hold thousands).
    const order = fields.map((_, i) => i).sort((a, b) => fields[a].range.start - fields[b].range.start);
    let next = 0;
    let open: number[] = [];
    await streamPatched(source, start, end, plan.writes, (chunk, pos) => {
      const chunkEnd = pos + chunk.length;
      while (next < order.length && fields[order[next]].range.start < chunkEnd) open.push(order[next++]);
      for (const i of open) {
        const d = fields[i];
        const from = Math.max(d.range.start, pos);
        const to = Math.min(d.range.end, chunkEnd);
        if (from < to) hashers[i].update(chunk.subarray(from - pos, to - pos), from);
      }
      open = open.filter((i) => fields[i].range.end > chunkEnd);
    });
    for (const [i, d] of fields.entries()) {
      const bytes = hashers[i].digest();
      if (bytes.length !== d.size) throw new Error(`planner bug: ${d.field} digest is ${bytes.length} bytes, field is ${d.size}`);
      const oldBytes = await source.readAt(d.offset, d.size);
      plan.record(d.offset, bytes, oldBytes, () => d.field, (which) => d.render(which === 'old' ? oldBytes : bytes));
    }
  }
  plan.writes.sort();
}

/** The kept fields that change (all of them when the plan keeps 'all' or 'changed'). */
export function changedPatches(plan: Plan): Patch[] {
  return plan.patches.filter((p) => !p.bytes.equals(p.oldBytes));
}

/** The final bytes of each exported field: the original bytes with the plan laid over. */
export async function publishedValues(plan: Plan, source: ByteSource): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of plan.exports) {
    const value = Buffer.alloc(e.size);
    await streamPatched(source, e.offset, e.offset + e.size, plan.writes, (chunk, at) => chunk.copy(value, at - e.offset));
    out.set(e.name, value);
  }
  return out;
}
