// SipHash (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012) with a 64-bit
// output, in 32-bit halves: JavaScript has no 64-bit integer but BigInt, which is ~50
// times slower. c and d are the compression and finalization round counts: CPython hashes
// pyc sources with SipHash-2-4 up to 3.10 and SipHash-1-3 from 3.11 (_Py_KeyedHash).

// The state: v0..v3 as [hi, lo] pairs at s[0..7].
type State = Uint32Array;

function add(s: State, a: number, b: number): void {
  const lo = (s[a + 1] + s[b + 1]) >>> 0;
  s[a] = (s[a] + s[b] + (lo < s[a + 1] ? 1 : 0)) >>> 0;
  s[a + 1] = lo;
}

function rotl(s: State, a: number, n: number): void {
  const hi = s[a];
  const lo = s[a + 1];
  if (n === 32) {
    s[a] = lo;
    s[a + 1] = hi;
  } else {
    s[a] = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    s[a + 1] = ((lo << n) | (hi >>> (32 - n))) >>> 0;
  }
}

function xor(s: State, a: number, b: number): void {
  s[a] ^= s[b];
  s[a + 1] ^= s[b + 1];
}

const V0 = 0;
const V1 = 2;
const V2 = 4;
const V3 = 6;

function sipRound(s: State): void {
  add(s, V0, V1);
  rotl(s, V1, 13);
  xor(s, V1, V0);
  rotl(s, V0, 32);
  add(s, V2, V3);
  rotl(s, V3, 16);
  xor(s, V3, V2);
  add(s, V0, V3);
  rotl(s, V3, 21);
  xor(s, V3, V0);
  add(s, V2, V1);
  rotl(s, V1, 17);
  xor(s, V1, V2);
  rotl(s, V2, 32);
}

function absorb(s: State, hi: number, lo: number, c: number): void {
  s[V3] ^= hi;
  s[V3 + 1] ^= lo;
  for (let i = 0; i < c; i++) sipRound(s);
  s[V0] ^= hi;
  s[V0 + 1] ^= lo;
}

/** SipHash-c-d of `data` under the 16-byte key `key`; the 8-byte result little-endian, as CPython stores it. */
export function siphash(key: Buffer, data: Buffer, c: number, d: number): Buffer {
  if (key.length !== 16) throw new Error(`siphash: key is ${key.length} bytes, not 16`);
  const k0hi = key.readUInt32LE(4);
  const k0lo = key.readUInt32LE(0);
  const k1hi = key.readUInt32LE(12);
  const k1lo = key.readUInt32LE(8);
  // "somepseudorandomlygeneratedbytes"
  const s: State = new Uint32Array([
    (k0hi ^ 0x736f6d65) >>> 0, (k0lo ^ 0x70736575) >>> 0,
    (k1hi ^ 0x646f7261) >>> 0, (k1lo ^ 0x6e646f6d) >>> 0,
    (k0hi ^ 0x6c796765) >>> 0, (k0lo ^ 0x6e657261) >>> 0,
    (k1hi ^ 0x74656462) >>> 0, (k1lo ^ 0x79746573) >>> 0,
  ]);
  const full = data.length - (data.length % 8);
  for (let i = 0; i < full; i += 8) absorb(s, data.readUInt32LE(i + 4), data.readUInt32LE(i), c);
  // The last block: the 0..7 bytes left, and the length's low byte in the top byte.
  const last = Buffer.alloc(8);
  data.copy(last, 0, full);
  last[7] = data.length & 0xff;
  absorb(s, last.readUInt32LE(4), last.readUInt32LE(0), c);
  s[V2 + 1] ^= 0xff;
  for (let i = 0; i < d; i++) sipRound(s);
  const out = Buffer.alloc(8);
  out.writeUInt32LE((s[V0 + 1] ^ s[V1 + 1] ^ s[V2 + 1] ^ s[V3 + 1]) >>> 0, 0);
  out.writeUInt32LE((s[V0] ^ s[V1] ^ s[V2] ^ s[V3]) >>> 0, 4);
  return out;
}
