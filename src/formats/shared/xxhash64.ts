// XXH64 (xxHash, 64-bit, seed 0), as LLVM's llvm::xxHash64 computes it: clang 14 names an
// anonymous namespace in the Microsoft C++ mangling `?A0x<hash>`, where <hash> is the low
// 32 bits of XXH64 of the main source file's name, in upper-case hex without leading
// zeros (MicrosoftMangleContextImpl). A remapped path changes that name.
import { findAll, type Needle } from '../../core/remap.js';
const M = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;

const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M;
const round = (acc: bigint, input: bigint) => (rotl((acc + input * P2) & M, 31n) * P1) & M;
const merge = (acc: bigint, v: bigint) => (((acc ^ round(0n, v)) * P1 + P4) & M);

export function xxHash64(d: Buffer): bigint {
  const n = d.length;
  let i = 0;
  let h: bigint;
  if (n >= 32) {
    let v1 = (P1 + P2) & M;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (M + 1n - P1) & M;
    for (; i + 32 <= n; i += 32) {
      v1 = round(v1, d.readBigUInt64LE(i));
      v2 = round(v2, d.readBigUInt64LE(i + 8));
      v3 = round(v3, d.readBigUInt64LE(i + 16));
      v4 = round(v4, d.readBigUInt64LE(i + 24));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M;
    for (const v of [v1, v2, v3, v4]) h = merge(h, v);
  } else {
    h = P5;
  }
  h = (h + BigInt(n)) & M;
  for (; i + 8 <= n; i += 8) h = ((rotl(h ^ round(0n, d.readBigUInt64LE(i)), 27n) * P1 + P4) & M);
  if (i + 4 <= n) {
    h = ((rotl(h ^ ((BigInt(d.readUInt32LE(i)) * P1) & M), 23n) * P2 + P3) & M);
    i += 4;
  }
  for (; i < n; i++) h = (rotl(h ^ ((BigInt(d[i]) * P5) & M), 11n) * P1) & M;
  h ^= h >> 33n;
  h = (h * P2) & M;
  h ^= h >> 29n;
  h = (h * P3) & M;
  return h ^ (h >> 32n);
}

/** clang's anonymous namespace token for a main source file name: `?A0x` + hex + `@`. */
export function anonymousNamespaceToken(mainFile: Buffer): string {
  return `?A0x${(xxHash64(mainFile) & 0xffffffffn).toString(16).toUpperCase()}@`;
}

/**
 * The anonymous namespace names (`?A0x<hash>@`, in type unique names and symbol names)
 * that --remap-path changes: for each string that holds a path the rules change (a
 * candidate main source file name), the token of its old name becomes the token of its
 * new one. Tokens of another length (the hash gained or lost a leading zero digit) are
 * returned apart, as `misfits`: a file that holds one cannot be remapped in place.
 */
export function anonymousNamespaces(strings: Iterable<string>, paths: readonly Needle[]): { renames: Needle[]; misfits: Needle[] } {
  const narrow = paths.filter((n) => !n.wide);
  const renames: Needle[] = [];
  const misfits: Needle[] = [];
  const seen = new Set<string>();
  for (const s of strings) {
    const old = Buffer.from(s, 'latin1');
    const hits = findAll(old, narrow);
    if (hits.length === 0) continue;
    const now = Buffer.from(old);
    for (const h of hits) h.needle.to.copy(now, h.at);
    const from = anonymousNamespaceToken(old);
    const to = anonymousNamespaceToken(now);
    if (from === to || seen.has(from)) continue;
    seen.add(from);
    (from.length === to.length ? renames : misfits).push({ from: Buffer.from(from, 'latin1'), to: Buffer.from(to.padEnd(from.length).slice(0, from.length), 'latin1'), wide: false });
  }
  return { renames, misfits };
}

/** Each NUL-terminated 8-bit string of `piece` that holds a hit (at most `max` bytes long) into `out`. */
export function stringsAround(piece: Buffer, hits: readonly { at: number; needle: Needle }[], out: Set<string>, max = 4096): void {
  for (const h of hits) {
    if (h.needle.wide) continue;
    const start = piece.lastIndexOf(0, h.at) + 1;
    const nul = piece.indexOf(0, h.at);
    const end = nul < 0 ? piece.length : nul;
    if (end - start <= max) out.add(piece.toString('latin1', start, end));
  }
}
