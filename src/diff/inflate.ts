// Compressed data in a region (a zip member's raw deflate, an ELF section's zlib stream
// after its Elf_Chdr), inflated so that `explain` compares what it holds.
import { inflateRawSync, inflateSync } from 'node:zlib';
import type { Patch } from '../core/plan.js';
import { MAX_READ, type ByteSource } from '../core/reader.js';
import { readPatched } from './compare.js';
import type { Placed } from './locate.js';

/** A deflate stream is inflated to look inside only up to these sizes. */
export const MAX_DEFLATED = 16 << 20;
const MAX_INFLATED = 32 << 20;

/** Read a whole region (bounded by MAX_DEFLATED) through the source, in reads the reader allows. */
export async function readRegion(source: ByteSource, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let pos = start; pos < end; pos += MAX_READ) parts.push(await source.readAt(pos, Math.min(MAX_READ, end - pos)));
  return Buffer.concat(parts);
}

export interface Inflated {
  data: Buffer;
  /** Compressed bytes the stream took; anything after it in the region is other data. */
  consumed: number;
}

/** Whether a region is compressed data to look into: a raw deflate stream, or a zlib stream after `skip` bytes. */
export const compressed = (r: Placed): boolean => r.deflate === true || r.zlib !== undefined;

/** The region's stream inflated; `consumed` counts from the region's start (a header before a zlib stream included). */
export function inflate(buf: Buffer, region: Placed): Inflated | undefined {
  const skip = region.zlib?.skip ?? 0;
  try {
    const opts = { maxOutputLength: MAX_INFLATED, info: true };
    const body = buf.subarray(skip);
    const r = (region.zlib ? inflateSync(body, opts) : inflateRawSync(body, opts)) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    return { data: r.buffer, consumed: skip + r.engine.bytesWritten };
  } catch {
    return undefined;
  }
}

/** A member's bytes as unstamp would leave them: patched, inflated if compressed (bounded); undefined if not readable. */
export async function memberContents(source: ByteSource, patches: readonly Patch[], r: Placed): Promise<Buffer | undefined> {
  if (r.end - r.start > MAX_DEFLATED) return undefined;
  const raw = await readPatched(source, patches, r.start, r.end);
  if (!compressed(r)) return raw;
  return inflate(raw, r)?.data;
}
