// FileSource: a small file read whole in one read, a big one through a window that grows
// while reads go forward and shrinks at a jump; every read the caller's own copy.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { FileSource, BufferSource, WHOLE } from '../../src/core/reader.js';
import { mulberry32 } from '../fuzz-harness.mjs';
import { tempDir } from '../helpers.js';

/** A file of `size` pseudo-random bytes, the bytes, and a FileSource on it that counts its read(2)s. */
async function counted(t: Parameters<typeof tempDir>[0], size: number) {
  const rnd = mulberry32(size);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = Math.floor(rnd() * 256);
  const file = path.join(tempDir(t), 'f.bin');
  writeFileSync(file, bytes);
  const fh = await open(file, 'r');
  t.teardown(() => fh.close());
  const reads: { position: number; length: number }[] = [];
  const read = fh.read.bind(fh);
  // Every read FileSource makes goes through this handle's read(buffer, offset, length, position).
  fh.read = ((buf: Buffer, off: number, len: number, pos: number) => {
    reads.push({ position: pos, length: len });
    return read(buf, off, len, pos);
  }) as typeof fh.read;
  return { bytes, source: new FileSource(fh, size), reads };
}

t.test('a file of at most 1 MiB is read whole, once', async (t) => {
  const { bytes, source, reads } = await counted(t, WHOLE);
  for (const [at, n] of [[0, 512], [WHOLE - 1024, 1024], [300_000, 60], [5, 0], [700_000, 65_536]]) {
    t.same(await source.readAt(at, n), bytes.subarray(at, at + n), `${n} bytes at ${at}`);
  }
  t.same(reads, [{ position: 0, length: WHOLE }], 'one read of the whole file');
});

t.test('a bigger file: forward reads grow the window, a jump starts it small again', async (t) => {
  const size = 5 * WHOLE + 123;
  const { bytes, source, reads } = await counted(t, size);
  // An archive's members, one after the other: 60-byte headers 3 KiB apart.
  const wrong: number[] = [];
  for (let at = 0; at + 60 <= 3 * WHOLE; at += 3000) if (!(await source.readAt(at, 60)).equals(bytes.subarray(at, at + 60))) wrong.push(at);
  t.same(wrong, [], 'every header read right');
  const lengths = reads.map((r) => r.length);
  t.equal(lengths[0], 64 * 1024, 'it starts at 64 KiB');
  t.ok(lengths.every((n, i) => i === 0 || n >= lengths[i - 1]), `and only grows while the reads go forward: ${lengths.join(', ')}`);
  t.equal(Math.max(...lengths), WHOLE, 'up to 1 MiB');
  t.ok(reads.length < 10, `3 MiB of headers in ${reads.length} reads`);
  reads.length = 0;
  // A zip's local headers: far apart.
  const far = [size - 100, 4 * WHOLE, WHOLE / 2];
  for (const at of far) t.same(await source.readAt(at, 30), bytes.subarray(at, at + 30));
  t.same(reads.map((r) => r.length), [100, 64 * 1024, 64 * 1024], 'a jump reads a small window (clipped at the end)');
  // A streaming pass hands its chunk out: the caller may lay patches over it.
  const chunk = await source.readAt(WHOLE, WHOLE);
  t.same(chunk, bytes.subarray(WHOLE, 2 * WHOLE));
  await t.rejects(source.readAt(size - 10, 20), /file shrank while being read: 20 bytes wanted at 0x500071, 10 read/, 'a read past the end names what it got');
});

t.test('each read is a copy: changing it changes nothing else', async (t) => {
  const { bytes, source } = await counted(t, 4096);
  const a = await source.readAt(100, 16);
  a.fill(0xee);
  t.same(await source.readAt(100, 16), bytes.subarray(100, 116), 'the cached file is unchanged');
  const whole = await source.readAt(0, 4096);
  whole.fill(0);
  t.same(await source.readAt(0, 4096), bytes, 'a read of the whole window too');
  const mem = new BufferSource(Buffer.from('abcdef'));
  const b = await mem.readAt(1, 3);
  b[0] = 0x7a;
  t.equal((await mem.readAt(0, 6)).toString(), 'abcdef', 'BufferSource too');
  t.equal((await mem.readAt(4, 10)).toString(), 'ef', 'clipped at its end');
});

t.test('readInto fills the given buffer, bypasses the window, and reports a short file', async (t) => {
  const size = 3 * WHOLE + 77;
  const { bytes, source, reads } = await counted(t, size);
  const target = Buffer.alloc(WHOLE);
  const got = await source.readInto(target, WHOLE + 5, 1000);
  t.same(got, bytes.subarray(WHOLE + 5, WHOLE + 1005), 'the bytes asked for');
  t.equal(got.buffer, target.buffer, 'in the buffer given, not a new one');
  t.same(reads, [{ position: WHOLE + 5, length: 1000 }], 'exactly the bytes asked for, no window around them');
  // Reused: a second read overwrites the first, and a windowed read still sees the file.
  const again = await source.readInto(target, 0, 10);
  t.same(again, bytes.subarray(0, 10));
  t.same(await source.readAt(WHOLE + 5, 4), bytes.subarray(WHOLE + 5, WHOLE + 9), 'readAt unaffected');
  await t.rejects(source.readInto(target, size - 10, 20), /file shrank while being read: 20 bytes wanted at 0x300043, 10 read/, 'a read past the end names what it got');
});
