// The fast PE checksum (32-bit words, CheckSum bytes zeroed for the sum) against the
// textbook definition: 16-bit little-endian words, carry folded after every add, the
// CheckSum dword counted as zero, plus the file length. Real images and random data,
// streamed in random chunk sizes and alignments.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { peChecksumHasher } from '../../src/formats/pe/checksum.js';
import { samples } from '../helpers.js';

function textbook(data: Buffer, checksumOffset: number): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) {
    if (i >= checksumOffset && i < checksumOffset + 4) continue;
    sum += data[i] | ((i + 1 < data.length ? data[i + 1] : 0) << 8);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return (sum + data.length) >>> 0;
}

function streamed(data: Buffer, checksumOffset: number, rnd: () => number): number {
  const h = peChecksumHasher(checksumOffset, data.length);
  for (let pos = 0; pos < data.length; ) {
    const len = Math.min(data.length - pos, 1 + Math.floor(rnd() * 9000));
    // Copy into a buffer at an odd byte offset now and then, to take the unaligned path.
    const backing = Buffer.alloc(len + 1);
    const odd = rnd() < 0.3 ? 1 : 0;
    data.copy(backing, odd, pos, pos + len);
    h.update(backing.subarray(odd, odd + len), pos);
    pos += len;
  }
  return h.digest().readUInt32LE(0);
}

let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);

t.test('real images: same value as the textbook definition', async (t) => {
  for (const rel of ['pe/lld-dll/a/foo.dll', 'pe/mingw-dll/a/lib.dll', 'pe/lld-exe/a/app.exe', 'pe/mingw-exe/a/app.exe']) {
    const data = readFileSync(path.join(samples, rel));
    const ck = data.readUInt32LE(0x3c) + 24 + 64;
    t.equal(streamed(data, ck, rnd), textbook(data, ck), rel);
  }
});

t.test('random data, all-zero and all-0xff data, every chunking', async (t) => {
  let bad = 0;
  for (let trial = 0; trial < 400; trial++) {
    const n = Math.floor(rnd() * 20000);
    const data = trial % 10 === 0 ? Buffer.alloc(n, trial % 20 === 0 ? 0 : 0xff) : randomBytes(n);
    const ck = 4 * Math.floor((rnd() * n) / 4);
    if (streamed(data, ck, rnd) !== textbook(data, ck)) bad++;
  }
  t.equal(bad, 0, '400 inputs agree');
});
