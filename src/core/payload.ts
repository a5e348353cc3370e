// Payloads: bytes that are a file of their own but can only be reached by decoding (the tar
// inside a .tar.gz, a deflated zip member). A FormatRewrite hands them to tools.normalize,
// which plans them with every format exactly as a file on disk is planned, applies the
// patches, and runs the payload format's own rewrite when it needs one (a .deb inside a
// .tar.gz, a gzip inside a gzip). Scratch space keeps memory flat in the payload's size.
import { open, unlink, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Format, NormalizedPayload, PayloadInput, PlanOptions, RewriteChange, RewriteTools } from './format.js';
import { FormatError, SkipFile } from './errors.js';
import { FileSource, MAX_READ, RangeReader, type ByteSource } from './reader.js';
import { buildPlan, detectFormat, PatchedSource } from './plan.js';

/** Payloads up to this size stay in memory; larger ones go to a temporary file. */
export const SCRATCH_MEMORY_MAX = 8 << 20;
/** Payloads inside payloads: as deep as containers may nest in a plan. */
const MAX_PAYLOAD_DEPTH = 8;

/**
 * Bytes written once, front to back, then read at random: in memory while small, else in
 * a temporary file in os.tmpdir() (which honours $TMPDIR) that is unlinked as soon as it
 * is created, so nothing is left behind whatever happens to the process, and the space is
 * freed when the handle closes.
 */
export class Scratch implements ByteSource {
  private parts: Buffer[] = [];
  private memory: Buffer | undefined;
  private fh: FileHandle | undefined;
  private file: FileSource | undefined;
  size = 0;

  async write(chunk: Buffer): Promise<void> {
    if (this.memory || this.file) throw new Error('scratch bug: written after it was read');
    if (!this.fh && this.size + chunk.length <= SCRATCH_MEMORY_MAX) {
      // The stream may reuse its buffer: keep a copy.
      this.parts.push(Buffer.from(chunk));
    } else {
      if (!this.fh) {
        this.fh = await openTemporary();
        let at = 0;
        for (const p of this.parts) at += await writeFully(this.fh, p, at);
        this.parts = [];
      }
      await writeFully(this.fh, chunk, this.size);
    }
    this.size += chunk.length;
  }

  async readAt(offset: number, length: number): Promise<Buffer> {
    if (this.fh) {
      this.file ??= new FileSource(this.fh, this.size);
      return this.file.readAt(offset, length);
    }
    this.memory ??= Buffer.concat(this.parts);
    this.parts = [];
    return Buffer.from(this.memory.subarray(offset, offset + length));
  }

  async close(): Promise<void> {
    this.parts = [];
    this.memory = undefined;
    await this.fh?.close();
    this.fh = undefined;
  }
}

async function writeFully(fh: FileHandle, chunk: Buffer, at: number): Promise<number> {
  let done = 0;
  while (done < chunk.length) done += (await fh.write(chunk, done, chunk.length - done, at + done)).bytesWritten;
  return done;
}

/** A private temporary file (mode 0600), already unlinked: only this handle reaches it. */
async function openTemporary(): Promise<FileHandle> {
  const name = path.join(os.tmpdir(), `unstamp-payload-${process.pid}-${process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(name, 'wx+', 0o600);
  await unlink(name).catch(async (e) => {
    await fh.close();
    throw e;
  });
  return fh;
}

/** A source read through a bounds-checked reader (a member of the file being rewritten). */
const readerSource = (r: RangeReader): ByteSource => ({ size: r.size, readAt: (offset, length) => r.read(offset, length, 'payload') });

/** The bytes of `source` in chunks of at most MAX_READ. */
export async function* chunksOf(source: ByteSource): AsyncIterable<Buffer> {
  for (let pos = 0; pos < source.size; pos += MAX_READ) yield await source.readAt(pos, Math.min(MAX_READ, source.size - pos));
}

/** The tools of one run (or one payload level of it). */
export function rewriteTools(
  formats: readonly Format[],
  options: PlanOptions & { settings: Readonly<Record<string, string>> },
  recompress: 'auto' | 'never',
  sink: { notes: string[]; kept: string[] },
  depth = 0,
): RewriteTools {
  const tools: RewriteTools = {
    settings: options.settings,
    recompress,
    note: (text) => void sink.notes.push(text),
    keep: (text) => void sink.kept.push(text),
    detect: (head, size) => formats.find((f) => f.detect(head, size))?.name,
    rewrites: (name) => formats.some((f) => f.name === name && f.rewrite !== undefined),
    normalize: (input, name, opts) => normalizePayload(formats, options, recompress, depth, input, name, opts?.alreadyPlanned ?? false),
  };
  return tools;
}

async function normalizePayload(
  formats: readonly Format[],
  options: PlanOptions & { settings: Readonly<Record<string, string>> },
  recompress: 'auto' | 'never',
  depth: number,
  input: PayloadInput,
  name: string,
  alreadyPlanned: boolean,
): Promise<NormalizedPayload | undefined> {
  const owned: Scratch[] = [];
  let label = name;
  // Errors of the input itself (a corrupt stream) pass as they are; only the payload's own are relabelled.
  let planning = false;
  const closeAll = () => Promise.all(owned.map((s) => s.close())).then(() => undefined);
  try {
    let source: ByteSource;
    if (input instanceof RangeReader) source = readerSource(input);
    else {
      const spool = new Scratch();
      owned.push(spool);
      for await (const chunk of input) await spool.write(chunk);
      source = spool;
    }
    planning = true;
    const format = await detectFormat(formats, RangeReader.of(source));
    if (!format) return void (await closeAll());
    label = `${name} (${format.name})`;
    if (depth >= MAX_PAYLOAD_DEPTH) throw new FormatError(`payloads nested deeper than ${MAX_PAYLOAD_DEPTH} levels`);
    const notes: string[] = [];
    const prefix = (field: string) => `${label}: ${field}`;
    let plan;
    try {
      // Only the changed fields are reported (as the rewrite's changes): the rest are not kept.
      plan = await buildPlan(source, format, formats, options, undefined, undefined, 'changed');
    } catch (e) {
      // A payload that must not change (a signed file): kept as it is, and said so.
      if (!(e instanceof SkipFile)) throw e;
      const kept = source;
      return { format: format.name, changes: [], notes: [`${label}: ${e.message}`], kept: [], size: kept.size, chunks: () => chunksOf(kept), close: closeAll };
    }
    const changes: RewriteChange[] = plan.patches.map((p) => ({ field: prefix(p.field), offset: p.offset, old: p.old, new: p.new }));
    if (!alreadyPlanned) notes.push(...plan.notes.map(prefix), ...plan.warnings.map(prefix));
    const kept: string[] = [];
    let result: ByteSource = plan.writes.count > 0 ? new PatchedSource(source, plan.writes) : source;
    const how = format.rewrite;
    if (how) {
      const sink = { notes: [] as string[], kept: [] as string[] };
      const inner = rewriteTools(formats, options, recompress, sink, depth + 1);
      const more = await how.needed(RangeReader.of(result), inner);
      notes.push(...sink.notes.map(prefix));
      kept.push(...sink.kept.map(prefix));
      if (more.length > 0) {
        const out = new Scratch();
        owned.push(out);
        await how.write(RangeReader.of(result), (chunk) => out.write(chunk), inner);
        changes.push(...more.map((c) => ({ ...c, field: prefix(c.field) })));
        result = out;
      }
    }
    const final = result;
    return { format: format.name, changes, notes, kept, size: final.size, chunks: () => chunksOf(final), close: closeAll };
  } catch (e) {
    await closeAll();
    // Offsets inside a payload are not offsets of the file: the caller names where it lies.
    const marked = (m: string) => (m.endsWith('(offsets in the decoded bytes)') ? m : `${m} (offsets in the decoded bytes)`);
    if (planning && e instanceof FormatError) throw new FormatError(`${label}: ${marked(e.message)}`);
    throw e;
  }
}
