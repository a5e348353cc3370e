// CPython bytecode file (.pyc) header, PEP 552 (Python 3.7+), from
// Lib/importlib/_bootstrap_external.py (_classify_pyc, _validate_timestamp_pyc,
// _code_to_hash_pyc, MAGIC_NUMBER) and Python/import.c (_imp.source_hash):
//
//   0   magic       2 bytes, the bytecode version, little-endian; then b'\r\n'
//   4   flags       uint32 LE: bit 0 hash-based, bit 1 check_source; other bits invalid
//   8   mtime       uint32 LE: the source's int(st_mtime) & 0xffffffff  } flags bit 0 clear
//   12  source size uint32 LE: the source's size & 0xffffffff           }
//   8   hash        8 bytes: _imp.source_hash(_RAW_MAGIC_NUMBER, source) } flags bit 0 set
//   16  the code object, marshalled
//
// _RAW_MAGIC_NUMBER is the 4 magic bytes read as a little-endian integer; source_hash keys
// SipHash with k0 = that number, k1 = 0 (_Py_KeyedHash), and returns the 64-bit result
// little-endian.

export const HEADER_SIZE = 16;
export const OFF_FLAGS = 4;
export const OFF_MTIME = 8;
export const OFF_SOURCE_SIZE = 12;
export const OFF_HASH = 8;

export const FLAG_HASH_BASED = 0b01;
export const FLAG_CHECK_SOURCE = 0b10;
export const FLAGS_KNOWN = 0b11;
/** A checked hash-based pyc: what a timestamp pyc with its source becomes. */
export const FLAGS_CHECKED_HASH = FLAG_HASH_BASED | FLAG_CHECK_SOURCE;

/** 3.7a4 (PEP 552: "Deterministic pycs #31650"): the first magic with a flags word. */
export const MAGIC_PEP552 = 3392;
/** 3.11a1 starts at 3450; 3.11 changed _Py_KeyedHash from SipHash-2-4 to SipHash-1-3 (bpo-29410). */
export const MAGIC_3_11 = 3450;
/** "Starting with Python 3.11, Python 3.n starts with magic number 2900+50n": through 3.15. */
export const MAGIC_KNOWN_END = 2900 + 50 * 16;
/** Detected as a pyc: the magics of Python 3.0 (3000) on, whatever the header (see plan). */
export const MAGIC_DETECT = [3000, 4000] as const;

export function pythonOf(magic: number): string {
  if (magic >= 3450) return `3.${Math.floor((magic - 2900) / 50)}`;
  const table: [number, string][] = [[3430, '3.10'], [3420, '3.9'], [3400, '3.8'], [3390, '3.7'], [3360, '3.6'], [3250, '3.5'], [3190, '3.4'], [3100, '3.3'], [3000, '3.0 to 3.2']];
  return table.find(([from]) => magic >= from)?.[1] ?? '3.0';
}

/** SipHash rounds (compression, finalization) of _Py_KeyedHash for the magic's Python. */
export const hashRounds = (magic: number): [number, number] => (magic >= MAGIC_3_11 ? [1, 3] : [2, 4]);

/** The 16-byte SipHash key of _imp.source_hash: k0 = _RAW_MAGIC_NUMBER, k1 = 0, both little-endian. */
export function hashKey(magicBytes: Buffer): Buffer {
  const key = Buffer.alloc(16);
  magicBytes.copy(key, 0, 0, 4);
  return key;
}

/** Whether the first bytes are a Python 3 pyc: a magic of 3000..3999, then "\r\n". */
export function isPyc(head: Buffer): boolean {
  if (head.length < 4 || head[2] !== 0x0d || head[3] !== 0x0a) return false;
  const magic = head.readUInt16LE(0);
  return magic >= MAGIC_DETECT[0] && magic < MAGIC_DETECT[1];
}

/**
 * Where the importer looks for a pyc's source, from the pyc's name and folder
 * (importlib.util.source_from_cache): `__pycache__/mod.cpython-311[.opt-1].pyc` comes from
 * `../mod.py`; a legacy `mod.pyc` (compileall -b) sits beside `mod.py`.
 */
export function sourceOf(file: { name: string; folder: string }): string | undefined {
  if (file.folder === '__pycache__') {
    if (!file.name.endsWith('.pyc')) return undefined;
    const parts = file.name.split('.');
    if (parts.length !== 3 && parts.length !== 4) return undefined;
    if (parts.length === 4 && !/^opt-[A-Za-z0-9]+$/.test(parts[2])) return undefined;
    return parts[0] === '' ? undefined : `../${parts[0]}.py`;
  }
  return /^[^/]+\.pyc$/.test(file.name) && file.name !== '.pyc' ? file.name.slice(0, -1) : undefined;
}

/** int(st_mtime) as Python computes it (a double of seconds + nanoseconds, truncated), & 0xffffffff. */
export function pythonMtime(mtimeNs: bigint): number {
  const sec = mtimeNs / 1_000_000_000n;
  let ns = mtimeNs % 1_000_000_000n;
  let s = sec;
  if (ns < 0n) {
    ns += 1_000_000_000n;
    s -= 1n;
  }
  const t = Math.trunc(Number(s) + Number(ns) * 1e-9);
  return Number(BigInt(t) & 0xffffffffn);
}
