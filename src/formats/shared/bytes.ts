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
