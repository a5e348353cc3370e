/** Little-endian field values as the bytes a patch writes. */
export function u16le(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}

export function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

export function u32be(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

/**
 * `chunk` (which starts at file offset `offset`) with the bytes inside `ranges` zeroed:
 * what a content digest sees, so the fields it derives never feed it. Copies only when
 * a range touches the chunk.
 */
export function zeroRanges(chunk: Buffer, offset: number, ranges: readonly { start: number; end: number }[]): Buffer {
  let out = chunk;
  for (const m of ranges) {
    const from = Math.max(m.start, offset);
    const to = Math.min(m.end, offset + chunk.length);
    if (from < to) {
      if (out === chunk) out = Buffer.from(chunk);
      out.fill(0, from - offset, to - offset);
    }
  }
  return out;
}

/** Zeros fed for a masked range, a piece at a time. */
const ZEROS = Buffer.alloc(4096);

/**
 * Feed `update` what zeroRanges(chunk, offset, ranges) holds, in pieces: the bytes between
 * the ranges as they are and zeros for the ranges, so a chunk a field lies in is not
 * copied whole (a digest of the concatenation is the same).
 */
export function feedZeroed(update: (piece: Buffer) => void, chunk: Buffer, offset: number, ranges: readonly { start: number; end: number }[]): void {
  const cut: { from: number; to: number }[] = [];
  for (const m of ranges) {
    const from = Math.max(m.start, offset) - offset;
    const to = Math.min(m.end, offset + chunk.length) - offset;
    if (from < to) cut.push({ from, to });
  }
  if (cut.length === 0) return update(chunk);
  cut.sort((a, b) => a.from - b.from);
  let pos = 0;
  for (const c of cut) {
    if (c.from > pos) update(chunk.subarray(pos, c.from));
    // Overlapping ranges: only the part not yet zeroed.
    for (let at = Math.max(pos, c.from); at < c.to; at += ZEROS.length) update(ZEROS.subarray(0, Math.min(ZEROS.length, c.to - at)));
    pos = Math.max(pos, c.to);
  }
  if (pos < chunk.length) update(chunk.subarray(pos));
}
