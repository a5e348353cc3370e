#!/usr/bin/env node
// Mutation fuzzing over the real samples of every format (`npm run fuzz`).
//
// Each sample is parsed here, independently of unstamp, into a map of its structures:
// where headers, tables and members begin and end (boundaries), where its counts, sizes
// and offsets are stored (numeric fields, with their width and byte order), and where
// ar's decimal text fields are. Mutants are made from that map: bit flips, truncation at
// and around every boundary, numeric fields set to 0 / 0x7fffffff / 0x80000000 /
// 0xffffffff, counts and offsets pointing past the end or at another structure, ar
// decimal fields, deleted or repeated spans. For every mutant:
//   - no exception escapes, and no result is an internal error;
//   - the file keeps its size (a gzip whose name --gzip-name drop removed gets shorter);
//   - a refused file (status failed) is byte-for-byte untouched and its error names an offset;
//   - a skipped or clean file is untouched;
//   - a gzip whose payload is a known format (samples/gzip-payload) also gets 'payload'
//     mutants: the payload inflated, mutated by its own structure map, deflated again
//     behind the original header, so the recompress path meets broken payloads in valid gzips
//     (the zips there, an ar deflated inside, meet it through the zip's own mutants);
//   - a recompressed file (a field "...): deflate data") may change size either way;
//   - a normalized file is still accepted by an independent tool (ar t, gzip -t,
//     llvm-readobj, llvm-pdbutil, llvm-objdump --macho, unzip -t, tar -tvf, cpio -t, pngcheck,
//     msgunfmt, mkimage -l, python3) if the mutant was, and
//     a second run reports it clean and changes nothing.
//
// Deterministic: mutant n of a sample comes from a seed made of the sample's path and n
// alone, so any mutant can be made again on its own.
//
//   UNSTAMP_FUZZ_N=1300          mutants per sample (default 100)
//   UNSTAMP_FUZZ_FROM=1300       first mutant index (default 0): a later run makes new mutants
//   UNSTAMP_FUZZ_ONLY=lld-exe/a/app.pdb   only samples whose path contains this
//   UNSTAMP_FUZZ_MUTANT=417      only this mutant index (with UNSTAMP_FUZZ_ONLY: one mutant)
//   UNSTAMP_FUZZ_JOBS=4          mutants in flight at once (default 4)
//   UNSTAMP_FUZZ_KEEP=/tmp/dir   write the bytes of every mutant with a problem there
//   UNSTAMP_FUZZ_TOOLS=0         skip the independent tools
//
// Exit status: 0 if no mutant broke a rule, 1 otherwise (each problem is printed with
// the sample, the mutant index, the seed, the mutation and what broke).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import pMap from 'p-map';
import { pristineSamples } from './pristine-samples.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..');
export const samplesDir = pristineSamples(root);

/** Formats in the order the table lists them. */
export const FORMATS = ['ar', 'gzip', 'pe', 'coff', 'pdb', 'macho', 'zip', 'tar', 'cpio', 'elf', 'pyc', 'javadoc', 'png', 'mo', 'uimage', 'bflt'];

// ---------------------------------------------------------------------------------------
// Deterministic randomness

export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The seed of mutant n of a sample: its path and n only. */
export function seedOf(rel, n) {
  return (fnv1a(rel) ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0;
}

// ---------------------------------------------------------------------------------------
// Samples

/** Every sample file of the formats (the `a` side of each pair), sorted. */
export function sampleFiles(dir = samplesDir) {
  return ['ar', 'gzip', 'gzip-payload', 'pe', 'macho', 'zip', 'tar', 'cpio', 'elf', 'pyc', 'javadoc', 'png', 'mo', 'uimage', 'remap']
    .flatMap((f) =>
      readdirSync(path.join(dir, f), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && /\/a$/.test(e.parentPath) && !/\.(c|txt|tbd|rc|py)$/.test(e.name))
        .map((e) => path.join(e.parentPath, e.name)),
    )
    .concat(FIXTURE_SAMPLES.map((f) => path.join(root, f)))
    .sort();
}

/** Formats no Debian tool makes: their real file is a fixture of strip-nondeterminism's. */
const FIXTURE_SAMPLES = ['test/fixtures/strip-nondeterminism/bflt/hello.bflt.in'];

// ---------------------------------------------------------------------------------------
// Structure map: an independent, forgiving parse of each sample.

const u16 = (b, at, le) => (at >= 0 && at + 2 <= b.length ? (le ? b.readUInt16LE(at) : b.readUInt16BE(at)) : undefined);
const u32 = (b, at, le) => (at >= 0 && at + 4 <= b.length ? (le ? b.readUInt32LE(at) : b.readUInt32BE(at)) : undefined);
const u64 = (b, at, le) => (at >= 0 && at + 8 <= b.length ? Number(le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at)) : undefined);

class StructureMap {
  constructor(size) {
    this.size = size;
    /** Offsets where a structure or a member begins or ends. */
    this.bounds = new Set([0, size]);
    /** Numeric fields: { at, size: 2|4|8, le, base, what }. base: what stored offsets are relative to. */
    this.nums = [];
    /** Text number fields (ar, cpio): { at, size, radix, what, zero }; zero: digits padded with '0' on the left (cpio), else spaces on the right (ar). */
    this.texts = [];
    /** Header ranges: [start, end). */
    this.regions = [];
    /** Formats met, nested ones included. */
    this.formats = new Set();
    /** Offsets of tar headers: half the mutants get their checksums written again, to get past that check. */
    this.checksums = [];
  }
  bound(at) {
    if (Number.isInteger(at) && at >= 0 && at <= this.size) this.bounds.add(at);
  }
  num(at, size, le, what, base = 0) {
    if (at >= 0 && at + size <= this.size) this.nums.push({ at, size, le, what, base });
  }
  region(start, end) {
    start = Math.max(0, start);
    end = Math.min(this.size, end);
    if (end > start) this.regions.push([start, end]);
  }
}

const MACHO_MAGICS = new Set([0xfeedface, 0xcefaedfe, 0xfeedfacf, 0xcffaedfe]);
const MSF_MAGIC = Buffer.from('Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0', 'latin1');
const COFF_MACHINES = new Set([0x14c, 0x8664, 0x1c0, 0x1c4, 0xaa64, 0xa641, 0xa64e, 0x200, 0x5064, 0x5032, 0xebc, 0x1c2]);

/** Map the structures of buf[off, off+len) by its magic, recursively into members. */
function scan(m, b, off, len, depth = 0) {
  if (depth > 6 || len < 4) return;
  const s = b.subarray(off, off + len);
  const magic8 = s.toString('latin1', 0, 8);
  try {
    if (magic8 === '!<arch>\n' || magic8 === '!<thin>\n') return scanAr(m, b, off, len, depth);
    if (s[0] === 0x1f && s[1] === 0x8b) return scanGzip(m, b, off, len);
    if (isTarHeader(s)) return scanTar(m, b, off, len, depth);
    if (/^07070[127]$/.test(s.toString('latin1', 0, 6)) || s.readUInt16LE(0) === 0o070707 || s.readUInt16BE(0) === 0o070707) return scanCpio(m, b, off, len, depth);
    if (s[0] === 0x7f && s.toString('latin1', 1, 4) === 'ELF') return scanElf(m, b, off, len);
    if (s.length >= 0x40 && s.readUInt16LE(0) === 0x5a4d) return scanPe(m, b, off, len);
    if (MACHO_MAGICS.has(s.readUInt32BE(0))) return scanMacho(m, b, off, len);
    if ((s.readUInt32BE(0) === 0xcafebabe || s.readUInt32BE(0) === 0xcafebabf) && s.readUInt32BE(4) <= 64) return scanFat(m, b, off, len, depth);
    if (s.length >= 56 && s.subarray(0, 32).equals(MSF_MAGIC)) return scanPdb(m, b, off, len);
    if (s.readUInt32LE(0) === 0x04034b50 || s.readUInt32LE(0) === 0x06054b50) return scanZip(m, b, off, len, depth);
    if (s.length >= 8 && s.subarray(0, 8).equals(PNG_SIGNATURE)) return scanPng(m, b, off, len);
    if (s.length >= 28 && (s.readUInt32LE(0) === 0x950412de || s.readUInt32BE(0) === 0x950412de)) return scanMo(m, b, off, len);
    if (s.length >= 64 && s.readUInt32BE(0) === 0x27051956) return scanUimage(m, b, off, len);
    if (s.length >= 64 && magic8.startsWith('bFLT')) return scanBflt(m, b, off, len);
    if (s.readUInt16LE(0) === 0 && s.readUInt16LE(2) === 0xffff) return scanAnon(m, b, off, len);
    if (s[2] === 0x0d && s[3] === 0x0a && s.readUInt16LE(0) >= 3000 && s.readUInt16LE(0) < 4000) return scanPyc(m, b, off, len);
    if (s.length >= 20 && COFF_MACHINES.has(s.readUInt16LE(0)) && s.readUInt16LE(16) === 0) return scanCoff(m, b, off, len);
    if (s.toString('latin1', 0, 512).includes('\n<!-- Generated by javadoc (')) return scanJavadoc(m, b, off, len);
    // A zip behind a stub (self-extractor): found by its end record.
    if (depth === 0 && s.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1')) >= 0) return scanZip(m, b, off, len, depth);
  } catch {
    // A sample the map cannot follow to the end still has the structures found so far.
  }
}

function scanAr(m, b, off, len, depth) {
  m.formats.add('ar');
  const thin = b.toString('latin1', off, off + 8) === '!<thin>\n';
  const end = off + len;
  m.bound(off + 8);
  let pos = off + 8;
  for (let i = 0; pos + 60 <= end && i < 10000; i++) {
    m.bound(pos);
    m.region(pos, pos + 60);
    const text = (at, size) => b.toString('latin1', pos + at, pos + at + size);
    m.texts.push({ at: pos + 16, size: 12, radix: 10, what: `ar_date of the header at ${pos}` });
    m.texts.push({ at: pos + 28, size: 6, radix: 10, what: `ar_uid of the header at ${pos}` });
    m.texts.push({ at: pos + 34, size: 6, radix: 10, what: `ar_gid of the header at ${pos}` });
    m.texts.push({ at: pos + 40, size: 8, radix: 8, what: `ar_mode of the header at ${pos}` });
    m.texts.push({ at: pos + 48, size: 10, radix: 10, what: `ar_size of the header at ${pos}` });
    const name = text(0, 16).trimEnd();
    if (/^\/\d+$/.test(name)) m.texts.push({ at: pos + 1, size: 15, radix: 10, what: `long-name offset of the header at ${pos}` });
    const size = Number.parseInt(text(48, 10), 10);
    if (!Number.isFinite(size)) break;
    const data = pos + 60;
    m.bound(data);
    let nameLength = 0;
    if (name.startsWith('#1/')) {
      m.texts.push({ at: pos + 3, size: 13, radix: 10, what: `BSD name length of the header at ${pos}` });
      nameLength = Number.parseInt(name.slice(3), 10) || 0;
      m.bound(data + nameLength);
    }
    const index = name === '/' || name === '/SYM64/' || name === '//' || name.startsWith('__.SYMDEF') || (nameLength > 0 && b.toString('latin1', data, data + 9) === '__.SYMDEF');
    if (name === '/') m.num(data, 4, false, 'symbol table count');
    if (name === '/SYM64/') m.num(data, 8, false, 'symbol table count');
    if (index && name !== '/' && name !== '/SYM64/' && name !== '//') m.num(data + nameLength, 4, true, 'ranlib size');
    const inFile = thin && !index ? 0 : size;
    if (!index && inFile > 0) scan(m, b, data + nameLength, Math.min(size - nameLength, end - data - nameLength), depth + 1);
    pos = data + inFile;
    m.bound(Math.min(pos, end));
    if (pos % 2 === 1 && pos < end) pos++;
  }
}

/** cpio: newc/crc (8 hex digits), odc (octal), old binary (16-bit words, either order); archives one after another. */
function scanCpio(m, b, off, len, depth) {
  m.formats.add('cpio');
  const end = off + len;
  const NEWC = [['c_ino', 6], ['c_mode', 14], ['c_uid', 22], ['c_gid', 30], ['c_nlink', 38], ['c_mtime', 46], ['c_filesize', 54], ['c_devmajor', 62], ['c_devminor', 70], ['c_rdevmajor', 78], ['c_rdevminor', 86], ['c_namesize', 94], ['c_check', 102]];
  const ODC = [['c_dev', 6, 6], ['c_ino', 12, 6], ['c_mode', 18, 6], ['c_uid', 24, 6], ['c_gid', 30, 6], ['c_nlink', 36, 6], ['c_rdev', 42, 6], ['c_mtime', 48, 11], ['c_namesize', 59, 6], ['c_filesize', 65, 11]];
  const BIN = [['c_dev', 2], ['c_ino', 4], ['c_mode', 6], ['c_uid', 8], ['c_gid', 10], ['c_nlink', 12], ['c_rdev', 14], ['c_mtime hi', 16], ['c_mtime lo', 18], ['c_namesize', 20], ['c_filesize hi', 22], ['c_filesize lo', 24]];
  let pos = off;
  for (let i = 0; pos < end && i < 10000; i++) {
    m.bound(pos);
    const magic = b.toString('latin1', pos, pos + 6);
    let headerSize, namesize, filesize, mode, align;
    if (magic === '070701' || magic === '070702') {
      headerSize = 110;
      align = 4;
      for (const [name, at] of NEWC) m.texts.push({ at: pos + at, size: 8, radix: 16, zero: true, what: `${name} of the cpio header at ${pos}` });
      const num = (at) => Number.parseInt(b.toString('latin1', pos + at, pos + at + 8), 16);
      [namesize, filesize, mode] = [num(94), num(54), num(14)];
    } else if (magic === '070707') {
      headerSize = 76;
      align = 1;
      for (const [name, at, size] of ODC) m.texts.push({ at: pos + at, size, radix: 8, zero: true, what: `${name} of the cpio header at ${pos}` });
      const num = (at, size) => Number.parseInt(b.toString('latin1', pos + at, pos + at + size), 8);
      [namesize, filesize, mode] = [num(59, 6), num(65, 11), num(18, 6)];
    } else if (u16(b, pos, true) === 0o070707 || u16(b, pos, false) === 0o070707) {
      const le = u16(b, pos, true) === 0o070707;
      headerSize = 26;
      align = 2;
      for (const [name, at] of BIN) m.num(pos + at, 2, le, `${name} of the cpio header at ${pos}`, pos);
      const w = (at) => u16(b, pos + at, le) ?? 0;
      [namesize, filesize, mode] = [w(20), w(22) * 0x10000 + w(24), w(6)];
    } else break;
    if (!Number.isFinite(namesize) || !Number.isFinite(filesize)) break;
    m.region(pos, pos + headerSize);
    const nameAt = pos + headerSize;
    m.bound(nameAt);
    m.bound(nameAt + namesize);
    const data = Math.ceil((nameAt + namesize - off) / align) * align + off;
    m.bound(data);
    m.bound(data + filesize);
    const name = b.toString('latin1', nameAt, Math.max(nameAt, nameAt + namesize - 1));
    if ((mode & 0o170000) === 0o100000 && filesize >= 4 && data + filesize <= end) scan(m, b, data, filesize, depth + 1);
    pos = Math.ceil((data + filesize - off) / align) * align + off;
    if (name === 'TRAILER!!!') {
      // Zero padding to the block size, then possibly another archive.
      while (pos < end && b[pos] === 0) pos++;
      m.bound(pos);
    }
  }
}

/** ELF: the header, the program and section header tables, each section's bytes. */
function scanElf(m, b, off, len) {
  m.formats.add('elf');
  const is64 = b[off + 4] === 2;
  const le = b[off + 5] === 1;
  const word = is64 ? 8 : 4;
  const W = (at) => (is64 ? u64(b, at, le) : u32(b, at, le));
  const eh = is64 ? 64 : 52;
  const f = is64
    ? { phoff: 32, shoff: 40, sizes: 52, phnum: 56, shnum: 60, shstrndx: 62 }
    : { phoff: 28, shoff: 32, sizes: 40, phnum: 44, shnum: 48, shstrndx: 50 };
  m.region(off, off + eh);
  [4, 5, 6, 16, eh].forEach((x) => m.bound(off + x));
  m.num(off + f.phoff, word, le, 'e_phoff', off);
  m.num(off + f.shoff, word, le, 'e_shoff', off);
  for (let x = f.sizes; x < eh; x += 2) m.num(off + x, 2, le, `ELF header +${x}`, off);
  const phoff = W(off + f.phoff) ?? 0;
  const shoff = W(off + f.shoff) ?? 0;
  const phnum = u16(b, off + f.phnum, le) ?? 0;
  const shnum = u16(b, off + f.shnum, le) ?? 0;
  const ph = is64 ? { size: 56, offset: 8, filesz: 32 } : { size: 32, offset: 4, filesz: 16 };
  const sh = is64 ? { size: 64, offset: 24, size_: 32, link: 40 } : { size: 40, offset: 16, size_: 20, link: 24 };
  m.bound(off + phoff);
  m.bound(off + phoff + phnum * ph.size);
  for (let i = 0; i < phnum && i < 64; i++) {
    const at = off + phoff + i * ph.size;
    if (at + ph.size > off + len) break;
    m.region(at, at + ph.size);
    m.num(at, 4, le, `program header ${i} p_type`, off);
    m.num(at + ph.offset, word, le, `program header ${i} p_offset`, off);
    m.num(at + ph.filesz, word, le, `program header ${i} p_filesz`, off);
  }
  m.bound(off + shoff);
  m.bound(off + shoff + shnum * sh.size);
  for (let i = 0; i < shnum && i < 256; i++) {
    const at = off + shoff + i * sh.size;
    if (at + sh.size > off + len) break;
    m.region(at, at + sh.size);
    m.num(at, 4, le, `section header ${i} sh_name`, off);
    m.num(at + 4, 4, le, `section header ${i} sh_type`, off);
    m.num(at + sh.offset, word, le, `section header ${i} sh_offset`, off);
    m.num(at + sh.size_, word, le, `section header ${i} sh_size`, off);
    m.num(at + sh.link, 4, le, `section header ${i} sh_link`, off);
    const start = W(at + sh.offset) ?? 0;
    m.bound(off + start);
    m.bound(off + start + (W(at + sh.size_) ?? 0));
  }
}

function scanGzip(m, b, off, len) {
  m.formats.add('gzip');
  [0, 2, 3, 4, 8, 9, 10, len - 8, len - 4].forEach((x) => m.bound(off + x));
  m.region(off, off + 10);
  m.num(off + 4, 4, true, 'gzip MTIME');
  m.num(off + len - 8, 4, true, 'gzip CRC32');
  m.num(off + len - 4, 4, true, 'gzip ISIZE');
  const flg = b[off + 3];
  let pos = off + 10;
  if (flg & 4) {
    m.num(pos, 2, true, 'gzip XLEN');
    pos += 2 + (u16(b, pos, true) ?? 0);
    m.bound(pos);
  }
  for (const bit of [8, 16]) {
    if (flg & bit) {
      const nul = b.indexOf(0, pos);
      if (nul < 0) return;
      m.bound(nul);
      pos = nul + 1;
      m.bound(pos);
    }
  }
  if (flg & 2) {
    m.num(pos, 2, true, 'gzip FHCRC');
    m.bound(pos + 2);
  }
}

/** A tar header: ustar/GNU magic or a v7 block, with a checksum that matches (unsigned sum, chksum as spaces). */
function isTarHeader(s) {
  if (s.length < 512) return false;
  const magic = s.toString('latin1', 257, 265);
  const v7 = s.subarray(257, 265).every((x) => x === 0) && s[0] !== 0;
  if (magic !== 'ustar\x0000' && magic !== 'ustar  \x00' && !v7) return false;
  return tarSum(s, 0) === Number.parseInt(s.toString('latin1', 148, 156).trim().replace(/\0.*$/, ''), 8);
}

function tarSum(b, at) {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[at + i];
  return sum;
}

function scanTar(m, b, off, len, depth) {
  m.formats.add('tar');
  const end = off + len;
  const octal = (at, size) => Number.parseInt(b.toString('latin1', at, at + size).replace(/^ +/, ''), 8);
  let pos = off;
  for (let i = 0; pos + 512 <= end && i < 10000; i++) {
    m.bound(pos);
    if (b.subarray(pos, pos + 512).every((x) => x === 0)) {
      m.bound(pos + 512);
      m.bound(pos + 1024);
      break;
    }
    m.region(pos, pos + 512);
    m.checksums.push(pos);
    for (const [at, size, what] of [[100, 8, 'mode'], [108, 8, 'uid'], [116, 8, 'gid'], [124, 12, 'size'], [136, 12, 'mtime'], [148, 8, 'chksum'], [329, 8, 'devmajor'], [337, 8, 'devminor']]) {
      m.texts.push({ at: pos + at, size, radix: 8, what: `tar ${what} of the header at ${pos}` });
    }
    const type = String.fromCharCode(b[pos + 156]);
    const size = b[pos + 124] & 0x80 ? 0 : octal(pos + 124, 12) || 0;
    let data = pos + 512;
    if (type === 'S' && b.toString('latin1', pos + 257, pos + 265) === 'ustar  \x00') {
      for (let more = b[pos + 482]; more && data + 512 <= end; data += 512) more = b[data + 504];
      m.bound(data);
    }
    m.bound(data);
    if (type === 'x' || type === 'g') {
      // pax records: "%d %s=%s\n"; their length fields are decimal text.
      let r = data;
      while (r < Math.min(data + size, end) && b[r] !== 0) {
        const sp = b.indexOf(0x20, r);
        const n = Number.parseInt(b.toString('latin1', r, sp), 10);
        if (sp < 0 || !(n > 0)) break;
        m.bound(r);
        m.texts.push({ at: r, size: sp - r, radix: 10, what: `pax record length at ${r}` });
        const eq = b.indexOf(0x3d, sp);
        if (eq > 0 && eq < r + n) m.bound(eq + 1);
        r += n;
      }
      m.bound(r);
    }
    if ((type === '0' || type === '\0' || type === '7') && size >= 4 && data + size <= end) scan(m, b, data, size, depth + 1);
    pos = data + Math.ceil(size / 512) * 512;
    m.bound(Math.min(data + size, end));
  }
}

/** A pyc header (PEP 552): magic, flags, then mtime and source size or the source hash; the marshalled code after. */
function scanPyc(m, b, off, len) {
  m.formats.add('pyc');
  [2, 4, 8, 12, 16].forEach((x) => m.bound(off + x));
  m.region(off, off + 16);
  m.num(off, 2, true, 'pyc magic');
  m.num(off + 4, 4, true, 'pyc flags');
  m.num(off + 8, 4, true, 'pyc mtime');
  m.num(off + 12, 4, true, 'pyc source size');
}

/** A javadoc page's head: the generator comment, its date, the meta dates and the end of the head. */
function scanJavadoc(m, b, off, len) {
  m.formats.add('javadoc');
  const text = b.toString('latin1', off, off + Math.min(len, 65536));
  const at = text.indexOf('<!-- Generated by javadoc (');
  if (at < 0) return;
  const on = text.indexOf(') on ', at);
  const end = text.indexOf(' -->', at);
  [at, on, on + 5, end, end + 4].forEach((x) => x >= 0 && m.bound(off + x));
  if (end > at) m.region(off + at, off + end + 4);
  for (const meta of text.matchAll(/<meta name="(?:date|dc\.created)" content="([^"]*)">/gi)) {
    const start = meta.index + meta[0].length - 2 - meta[1].length;
    [meta.index, start, start + meta[1].length, meta.index + meta[0].length].forEach((x) => m.bound(off + x));
    m.region(off + meta.index, off + meta.index + meta[0].length);
  }
  const close = text.search(/<\/head>/i);
  if (close >= 0) [close, close + 7].forEach((x) => m.bound(off + x));
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG: each chunk's length, type, data and CRC; tIME's fields; text keywords and compressed values. */
function scanPng(m, b, off, len) {
  m.formats.add('png');
  m.region(off, off + 8);
  let pos = off + 8;
  const end = off + len;
  for (let n = 0; pos + 12 <= end && n < 4096; n++) {
    const length = b.readUInt32BE(pos);
    const type = b.toString('latin1', pos + 4, pos + 8);
    const data = pos + 8;
    m.bound(pos);
    m.num(pos, 4, false, `PNG ${type} length`);
    m.region(pos, data);
    m.bound(data);
    if (data + length + 4 > end) return;
    const crcAt = data + length;
    m.bound(crcAt);
    m.num(crcAt, 4, false, `PNG ${type} CRC`);
    if (type === 'tIME') {
      m.num(data, 2, false, 'PNG tIME year');
      m.region(data, crcAt);
    }
    if (type === 'tEXt' || type === 'zTXt' || type === 'iTXt') {
      const nul = b.indexOf(0, data);
      if (nul >= 0 && nul < crcAt) {
        m.bound(nul);
        m.bound(nul + 1);
        m.region(data, Math.min(crcAt, nul + 3));
      }
    }
    pos = crcAt + 4;
    m.bound(pos);
    if (type === 'IEND') return;
  }
}

/** gettext .mo: the header words, both string tables and the strings (the first 64 of each). */
function scanMo(m, b, off, len) {
  m.formats.add('mo');
  const le = b.readUInt32LE(off) === 0x950412de;
  m.region(off, off + 28);
  ['revision', 'N', 'O', 'T', 'S', 'H'].forEach((what, i) => m.num(off + 4 + i * 4, 4, le, `.mo ${what}`));
  const count = u32(b, off + 8, le) ?? 0;
  for (const tableAt of [12, 16]) {
    const table = u32(b, off + tableAt, le) ?? 0;
    m.bound(off + table);
    m.bound(off + table + count * 8);
    for (let i = 0; i < Math.min(count, 64); i++) {
      const at = off + table + i * 8;
      m.num(at, 4, le, '.mo string length');
      m.num(at + 4, 4, le, '.mo string offset', off);
      const sl = u32(b, at, le);
      const so = u32(b, at + 4, le);
      if (sl !== undefined && so !== undefined) {
        m.bound(off + so);
        m.bound(off + so + sl);
      }
    }
  }
  const hashAt = u32(b, off + 24, le) ?? 0;
  m.bound(off + hashAt);
  m.bound(off + hashAt + (u32(b, off + 20, le) ?? 0) * 4);
}

/** U-Boot legacy image: the header's words and the end of the data. */
function scanUimage(m, b, off, len) {
  m.formats.add('uimage');
  m.region(off, off + 64);
  [[4, 'ih_hcrc'], [8, 'ih_time'], [12, 'ih_size'], [16, 'ih_load'], [20, 'ih_ep'], [24, 'ih_dcrc']].forEach(([at, what]) => m.num(off + at, 4, false, `uImage ${what}`));
  [8, 28, 32, 64, 64 + (u32(b, off + 12, false) ?? 0)].forEach((x) => m.bound(off + x));
}

/** bFLT: the header's words and the segments they point to. */
function scanBflt(m, b, off, len) {
  m.formats.add('bflt');
  m.region(off, off + 64);
  ['rev', 'entry', 'data_start', 'data_end', 'bss_end', 'stack_size', 'reloc_start', 'reloc_count', 'flags', 'build_date'].forEach((what, i) => m.num(off + 4 + i * 4, 4, false, `bFLT ${what}`));
  for (const at of [12, 16, 28]) m.bound(off + (u32(b, off + at, false) ?? 0));
  m.bound(off + (u32(b, off + 28, false) ?? 0) + (u32(b, off + 32, false) ?? 0) * 4);
  m.bound(off + 64);
}

/** The section table and the tables it points to, for images and objects alike. */
function scanSections(m, b, table, count, image) {
  const sections = [];
  for (let i = 0; i < count && i < 4096; i++) {
    const at = table + i * 40;
    if (at + 40 > b.length) break;
    m.bound(at);
    m.region(at, at + 40);
    for (const f of [8, 12, 16, 20, 24, 28, 36]) m.num(at + f, 4, true, `section ${i} field +${f}`);
    m.num(at + 32, 2, true, `section ${i} NumberOfRelocations`);
    m.num(at + 34, 2, true, `section ${i} NumberOfLinenumbers`);
    const s = { va: b.readUInt32LE(at + 12), vsize: b.readUInt32LE(at + 8), rawSize: b.readUInt32LE(at + 16), raw: b.readUInt32LE(at + 20) };
    sections.push(s);
    if (s.raw) {
      m.bound(s.raw);
      m.bound(s.raw + s.rawSize);
    }
    if (!image) {
      const rel = b.readUInt32LE(at + 24);
      const nrel = b.readUInt16LE(at + 32);
      if (rel) {
        m.bound(rel);
        m.bound(rel + nrel * 10);
        m.region(rel, rel + Math.min(nrel, 8) * 10);
        for (let k = 0; k < Math.min(nrel, 8); k++) m.num(rel + k * 10, 4, true, `section ${i} relocation ${k}`);
      }
    }
  }
  return sections;
}

function scanPe(m, b, off, len) {
  if (off !== 0) return shiftInto(m, off, len, (mm) => scanPe(mm, b.subarray(off, off + len), 0, len));
  m.formats.add('pe');
  m.region(0, 0x40);
  m.num(0x3c, 4, true, 'e_lfanew');
  const lfanew = b.readUInt32LE(0x3c);
  if (lfanew + 24 > len) return;
  m.bound(lfanew);
  const fh = lfanew + 4;
  m.bound(fh);
  m.region(lfanew, fh + 20);
  m.num(fh + 2, 2, true, 'NumberOfSections');
  m.num(fh + 4, 4, true, 'COFF TimeDateStamp');
  m.num(fh + 8, 4, true, 'PointerToSymbolTable');
  m.num(fh + 12, 4, true, 'NumberOfSymbols');
  m.num(fh + 16, 2, true, 'SizeOfOptionalHeader');
  const nsec = b.readUInt16LE(fh + 2);
  const ohSize = b.readUInt16LE(fh + 16);
  const oh = fh + 20;
  m.bound(oh);
  m.region(oh, oh + ohSize);
  for (let x = 0; x + 4 <= ohSize; x += 4) m.num(oh + x, 4, true, `optional header +${x}`);
  m.num(oh, 2, true, 'optional header Magic');
  const magic = u16(b, oh, true);
  const dd = oh + (magic === 0x20b ? 112 : 96);
  m.bound(dd);
  const table = oh + ohSize;
  m.bound(table);
  const sections = scanSections(m, b, table, nsec, true);
  m.bound(table + nsec * 40);
  const toFile = (rva) => {
    for (const s of sections) if (rva >= s.va && rva < s.va + Math.max(s.vsize, s.rawSize)) return s.raw + rva - s.va;
    return rva < len ? rva : undefined;
  };
  // Data directories: export, resource, debug, load config.
  const dir = (i) => ({ rva: u32(b, dd + i * 8, true), size: u32(b, dd + i * 8 + 4, true) });
  const exp = dir(0);
  if (exp.rva) {
    const at = toFile(exp.rva);
    if (at !== undefined) {
      m.bound(at);
      m.region(at, at + 40);
      for (let x = 0; x < 40; x += 4) m.num(at + x, 4, true, `export directory +${x}`);
    }
  }
  const res = dir(2);
  if (res.rva) {
    const base = toFile(res.rva);
    if (base !== undefined) {
      const queue = [0];
      const seen = new Set();
      while (queue.length && seen.size < 64) {
        const o = queue.shift();
        if (seen.has(o)) continue;
        seen.add(o);
        const at = base + o;
        if (at + 16 > len) continue;
        m.bound(at);
        m.region(at, at + 16);
        m.num(at + 4, 4, true, 'resource directory TimeDateStamp');
        m.num(at + 12, 2, true, 'resource NumberOfNamedEntries');
        m.num(at + 14, 2, true, 'resource NumberOfIdEntries');
        const n = b.readUInt16LE(at + 12) + b.readUInt16LE(at + 14);
        for (let i = 0; i < n && i < 64; i++) {
          const e = at + 16 + i * 8;
          if (e + 8 > len) break;
          m.num(e + 4, 4, true, 'resource entry OffsetToData');
          const t = b.readUInt32LE(e + 4);
          if (t & 0x80000000) queue.push(t & 0x7fffffff);
          else m.bound(base + t);
        }
      }
    }
  }
  const dbg = dir(6);
  if (dbg.rva) {
    const at = toFile(dbg.rva);
    if (at !== undefined) {
      for (let i = 0; i * 28 < dbg.size && i < 32; i++) {
        const e = at + i * 28;
        if (e + 28 > len) break;
        m.bound(e);
        m.region(e, e + 28);
        for (const f of [4, 12, 16, 20, 24]) m.num(e + f, 4, true, `debug entry ${i} +${f}`);
        const size = b.readUInt32LE(e + 16);
        const ptr = b.readUInt32LE(e + 24);
        m.bound(ptr);
        m.bound(ptr + size);
        if (b.readUInt32LE(e + 12) === 2 && ptr + 24 <= len) {
          m.region(ptr, ptr + 24);
          for (const f of [0, 4, 8, 12, 16, 20]) m.num(ptr + f, 4, true, `CodeView +${f}`);
        }
      }
    }
  }
  const lc = dir(10);
  if (lc.rva) {
    const at = toFile(lc.rva);
    if (at !== undefined) {
      m.bound(at);
      m.num(at, 4, true, 'load config Size');
      m.num(at + 4, 4, true, 'load config TimeDateStamp');
    }
  }
}

/** The symbol and string tables of a regular or /bigobj object at `off`. */
function scanCoffTables(m, b, off, len, symPtrAt, nsymAt, symSize) {
  const sub = b.subarray(off, off + len);
  const ptr = sub.readUInt32LE(symPtrAt);
  const nsym = sub.readUInt32LE(nsymAt);
  m.num(off + symPtrAt, 4, true, 'PointerToSymbolTable', off);
  m.num(off + nsymAt, 4, true, 'NumberOfSymbols', off);
  if (ptr) {
    m.bound(off + ptr);
    const strtab = ptr + nsym * symSize;
    m.bound(off + strtab);
    m.num(off + strtab, 4, true, 'string table size', off);
    m.region(off + strtab, off + strtab + 4);
    m.bound(off + strtab + (u32(sub, strtab, true) ?? 0));
  }
}

function scanCoff(m, b, off, len) {
  m.formats.add('coff');
  const sub = b.subarray(off, off + len);
  m.region(off, off + 20);
  m.bound(off + 20);
  m.num(off + 2, 2, true, 'NumberOfSections', off);
  m.num(off + 4, 4, true, 'TimeDateStamp', off);
  m.num(off + 16, 2, true, 'SizeOfOptionalHeader', off);
  const nsec = sub.readUInt16LE(2);
  shiftInto(m, off, len, (mm) => scanSections(mm, sub, 20, nsec, false));
  scanCoffTables(m, b, off, len, 8, 12, 18);
}

/** Run a scanner written for a sub-buffer and record its findings at file offsets. */
function shiftInto(m, base, len, fn) {
  const sub = new StructureMap(len);
  fn(sub);
  for (const f of sub.formats) m.formats.add(f);
  for (const x of sub.bounds) if (x !== 0 && x !== sub.size) m.bound(base + x);
  for (const n of sub.nums) m.num(base + n.at, n.size, n.le, n.what, base + n.base);
  for (const [s, e] of sub.regions) m.region(base + s, base + e);
}

function scanAnon(m, b, off, len) {
  m.formats.add('coff');
  const sub = b.subarray(off, off + len);
  const version = sub.readUInt16LE(4);
  m.region(off, off + Math.min(len, 56));
  m.num(off + 4, 2, true, 'Version', off);
  m.num(off + 6, 2, true, 'Machine', off);
  m.num(off + 8, 4, true, 'TimeDateStamp', off);
  if (version === 0) {
    m.num(off + 12, 4, true, 'SizeOfData', off);
    m.num(off + 16, 2, true, 'OrdinalHint', off);
    m.num(off + 18, 2, true, 'TypeInfo', off);
    m.bound(off + 20);
    const a = sub.indexOf(0, 20);
    if (a > 0) {
      m.bound(off + a + 1);
      const d = sub.indexOf(0, a + 1);
      if (d > 0) m.bound(off + d + 1);
    }
    return;
  }
  if (len >= 56) {
    for (const f of [28, 32, 36, 40, 44, 48, 52]) m.num(off + f, 4, true, `bigobj +${f}`, off);
    const nsec = sub.readUInt32LE(44);
    m.bound(off + 56);
    shiftInto(m, off, len, (mm) => scanSections(mm, sub, 56, nsec, false));
    scanCoffTables(m, b, off, len, 48, 52, 20);
  }
}

function scanPdb(m, b, off, len) {
  if (off !== 0) return shiftInto(m, off, len, (mm) => scanPdb(mm, b.subarray(off, off + len), 0, len));
  m.formats.add('pdb');
  m.region(32, 56);
  for (const f of [32, 36, 40, 44, 48, 52]) m.num(f, 4, true, `superblock +${f}`);
  const bs = b.readUInt32LE(32);
  if (![512, 1024, 2048, 4096].includes(bs)) return;
  const numBlocks = b.readUInt32LE(40);
  for (let k = 0; k <= numBlocks && k * bs <= len; k++) m.bound(k * bs);
  const dirBytes = b.readUInt32LE(44);
  const mapAt = b.readUInt32LE(52) * bs;
  const nDirBlocks = Math.ceil(dirBytes / bs);
  const dirBlocks = [];
  for (let i = 0; i < nDirBlocks && i < bs / 4; i++) {
    m.num(mapAt + i * 4, 4, true, `block map entry ${i}`);
    dirBlocks.push(u32(b, mapAt + i * 4, true));
  }
  m.region(mapAt, mapAt + nDirBlocks * 4);
  const fileAt = (d) => dirBlocks[Math.floor(d / bs)] * bs + (d % bs);
  const word = (d) => u32(b, fileAt(d), true);
  const numStreams = word(0);
  if (numStreams === undefined) return;
  m.num(fileAt(0), 4, true, 'NumStreams');
  m.region(fileAt(0), fileAt(0) + Math.min(bs - (fileAt(0) % bs), 4 + numStreams * 4));
  let pos = 4 + numStreams * 4;
  const streams = [];
  for (let i = 0; i < numStreams && i < 4096 && pos < dirBytes; i++) {
    m.num(fileAt(4 + i * 4), 4, true, `stream ${i} size`);
    const size = word(4 + i * 4);
    const n = size === 0xffffffff ? 0 : Math.ceil(size / bs);
    const blocks = [];
    for (let j = 0; j < n && pos + j * 4 < dirBytes; j++) {
      m.num(fileAt(pos + j * 4), 4, true, `stream ${i} block ${j}`);
      blocks.push(word(pos + j * 4));
    }
    streams.push(blocks);
    pos += n * 4;
  }
  // The info stream and DBI stream headers.
  for (const [s, words] of [[1, 3], [3, 16]]) {
    const first = streams[s]?.[0];
    if (first === undefined) continue;
    m.region(first * bs, first * bs + words * 4);
    for (let k = 0; k < words; k++) m.num(first * bs + k * 4, 4, true, `stream ${s} header +${k * 4}`);
  }
}

function scanMacho(m, b, off, len) {
  m.formats.add('macho');
  const magic = b.readUInt32BE(off);
  const le = magic === 0xcefaedfe || magic === 0xcffaedfe;
  const is64 = magic === 0xfeedfacf || magic === 0xcffaedfe;
  const hs = is64 ? 32 : 28;
  m.region(off, off + hs);
  for (const f of [4, 8, 12, 16, 20, 24]) m.num(off + f, 4, le, `mach header +${f}`, off);
  const ncmds = u32(b, off + 16, le);
  const sizeofcmds = u32(b, off + 20, le);
  m.bound(off + hs);
  m.bound(off + hs + sizeofcmds);
  let pos = off + hs;
  let sig;
  let symtab;
  for (let i = 0; i < ncmds && i < 512; i++) {
    const cmd = u32(b, pos, le);
    const cmdsize = u32(b, pos + 4, le);
    if (cmd === undefined || !cmdsize || pos + cmdsize > off + len) break;
    m.bound(pos);
    m.region(pos, pos + Math.min(cmdsize, 256));
    for (let x = 0; x + 4 <= cmdsize && x < 256; x += 4) {
      m.num(pos + x, 4, le, `load command ${i} (${cmd.toString(16)}) +${x}`, off);
      const v = u32(b, pos + x, le);
      if (x >= 8 && v > 0 && v < len && v % 4 === 0) m.bound(off + v);
    }
    if (cmd === 0x19) {
      for (const f of [24, 32, 40, 48]) m.num(pos + f, 8, le, `segment_64 +${f}`, off);
    }
    if (cmd === 0x2) symtab = { symoff: u32(b, pos + 8, le), nsyms: u32(b, pos + 12, le), stroff: u32(b, pos + 16, le), strsize: u32(b, pos + 20, le) };
    if (cmd === 0x1d) sig = { dataoff: u32(b, pos + 8, le), datasize: u32(b, pos + 12, le) };
    pos += cmdsize;
  }
  if (symtab) {
    const entry = is64 ? 16 : 12;
    m.bound(off + symtab.symoff + symtab.nsyms * entry);
    m.bound(off + symtab.stroff + symtab.strsize);
    for (let k = 0; k < Math.min(symtab.nsyms, 64); k++) {
      const at = off + symtab.symoff + k * entry;
      m.num(at, 4, le, `nlist ${k} n_strx`, off);
      if (b[at + 4] === 0x66) m.num(at + 8, is64 ? 8 : 4, le, `nlist ${k} n_value (N_OSO)`, off);
    }
  }
  if (sig && sig.dataoff + 12 <= len) {
    const at = off + sig.dataoff;
    m.region(at, at + 12);
    m.num(at + 4, 4, false, 'SuperBlob length', at);
    m.num(at + 8, 4, false, 'SuperBlob count', at);
    const count = b.readUInt32BE(at + 8);
    for (let i = 0; i < count && i < 16; i++) {
      const x = at + 12 + i * 8;
      if (x + 8 > off + len) break;
      m.region(x, x + 8);
      m.num(x, 4, false, `blob ${i} type`, at);
      m.num(x + 4, 4, false, `blob ${i} offset`, at);
      const blob = at + b.readUInt32BE(x + 4);
      if (blob + 8 > off + len) continue;
      m.bound(blob);
      m.num(blob + 4, 4, false, `blob ${i} length`, blob);
      if (b.readUInt32BE(blob) === 0xfade0c02) {
        m.region(blob, blob + 88);
        for (const f of [8, 12, 16, 20, 24, 28, 32]) m.num(blob + f, 4, false, `CodeDirectory ${i} +${f}`, blob);
        m.num(blob + 36, 2, false, `CodeDirectory ${i} hashSize/hashType`, blob);
        m.num(blob + 38, 2, false, `CodeDirectory ${i} platform/pageSize`, blob);
        m.num(blob + 56, 8, false, `CodeDirectory ${i} codeLimit64`, blob);
        m.bound(blob + (u32(b, blob + 16, false) ?? 0));
      }
    }
  }
}

function scanFat(m, b, off, len, depth) {
  m.formats.add('macho');
  const is64 = b.readUInt32BE(off) === 0xcafebabf;
  const n = b.readUInt32BE(off + 4);
  const size = is64 ? 32 : 20;
  m.region(off, off + 8 + n * size);
  m.num(off + 4, 4, false, 'nfat_arch', off);
  for (let i = 0; i < n; i++) {
    const a = off + 8 + i * size;
    m.bound(a);
    for (let x = 0; x < size; x += 4) m.num(a + x, 4, false, `fat_arch ${i} +${x}`, off);
    if (is64) {
      m.num(a + 8, 8, false, `fat_arch_64 ${i} offset`, off);
      m.num(a + 16, 8, false, `fat_arch_64 ${i} size`, off);
    }
    const sliceAt = is64 ? u64(b, a + 8, false) : u32(b, a + 8, false);
    const sliceSize = is64 ? u64(b, a + 16, false) : u32(b, a + 12, false);
    m.bound(off + sliceAt);
    m.bound(off + sliceAt + sliceSize);
    if (sliceAt + sliceSize <= len) scan(m, b, off + sliceAt, sliceSize, depth + 1);
  }
}

function scanZipExtra(m, b, at, length, what) {
  let pos = at;
  while (pos + 4 <= at + length) {
    m.bound(pos);
    m.num(pos, 2, true, `${what} extra id`);
    m.num(pos + 2, 2, true, `${what} extra size`);
    const id = b.readUInt16LE(pos);
    const size = b.readUInt16LE(pos + 2);
    if (id === 1) for (let x = 0; x + 8 <= size; x += 8) m.num(pos + 4 + x, 8, true, `${what} zip64 extra +${x}`);
    else for (let x = 0; x + 4 <= size && x < 32; x += 4) m.num(pos + 4 + x, 4, true, `${what} extra ${id.toString(16)} +${x}`);
    pos += 4 + size;
  }
  m.bound(pos);
}

function scanZip(m, b, off, len, depth) {
  m.formats.add('zip');
  const s = b.subarray(off, off + len);
  // The archive's own offsets are relative to where it starts (after any prefix).
  const eocd = s.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
  let base = off;
  if (eocd >= 0) base = off + Math.max(0, eocd - s.readUInt32LE(eocd + 12) - s.readUInt32LE(eocd + 16));
  const sig = (t) => Buffer.from(t, 'latin1');
  const fields16 = (at, list, what) => list.forEach((f) => m.num(at + f, 2, true, `${what} +${f}`, base));
  const fields32 = (at, list, what) => list.forEach((f) => m.num(at + f, 4, true, `${what} +${f}`, base));
  for (let at = s.indexOf(sig('PK\x01\x02')); at >= 0; at = s.indexOf(sig('PK\x01\x02'), at + 4)) {
    const x = off + at;
    if (at + 46 > len) break;
    m.bound(x);
    m.region(x, x + 46);
    fields16(x, [4, 6, 8, 10, 12, 14, 28, 30, 32, 34, 36], 'central header');
    fields32(x, [16, 20, 24, 38, 42], 'central header');
    const n = s.readUInt16LE(at + 28);
    const e = s.readUInt16LE(at + 30);
    const c = s.readUInt16LE(at + 32);
    [46, 46 + n, 46 + n + e, 46 + n + e + c].forEach((d) => m.bound(x + d));
    scanZipExtra(m, b, x + 46 + n, e, 'central');
  }
  for (let at = s.indexOf(sig('PK\x03\x04')); at >= 0; at = s.indexOf(sig('PK\x03\x04'), at + 4)) {
    const x = off + at;
    if (at + 30 > len) break;
    m.bound(x);
    m.region(x, x + 30);
    fields16(x, [4, 6, 8, 10, 12, 26, 28], 'local header');
    fields32(x, [14, 18, 22], 'local header');
    const n = s.readUInt16LE(at + 26);
    const e = s.readUInt16LE(at + 28);
    const data = at + 30 + n + e;
    const csize = s.readUInt32LE(at + 18);
    [30, 30 + n, 30 + n + e, 30 + n + e + csize].forEach((d) => m.bound(x + d));
    scanZipExtra(m, b, x + 30 + n, e, 'local');
    if (s.readUInt16LE(at + 8) === 0 && csize >= 4 && csize !== 0xffffffff && data + csize <= len) scan(m, b, off + data, csize, depth + 1);
  }
  for (let at = s.indexOf(sig('PK\x07\x08')); at >= 0; at = s.indexOf(sig('PK\x07\x08'), at + 4)) {
    m.bound(off + at);
    fields32(off + at, [4, 8, 12], 'data descriptor');
  }
  for (let at = s.indexOf(sig('PK\x06\x06')); at >= 0; at = s.indexOf(sig('PK\x06\x06'), at + 4)) {
    const x = off + at;
    m.bound(x);
    m.region(x, x + 56);
    m.num(x + 4, 8, true, 'zip64 end size', base);
    fields16(x, [12, 14], 'zip64 end');
    fields32(x, [16, 20], 'zip64 end');
    for (const f of [24, 32, 40, 48]) m.num(x + f, 8, true, `zip64 end +${f}`, base);
  }
  for (let at = s.indexOf(sig('PK\x06\x07')); at >= 0; at = s.indexOf(sig('PK\x06\x07'), at + 4)) {
    const x = off + at;
    m.bound(x);
    m.region(x, x + 20);
    fields32(x, [4, 16], 'zip64 locator');
    m.num(x + 8, 8, true, 'zip64 locator record offset', base);
  }
  if (eocd >= 0) {
    const x = off + eocd;
    m.bound(x);
    m.region(x, x + 22);
    fields16(x, [4, 6, 8, 10, 20], 'end of central directory');
    fields32(x, [12, 16], 'end of central directory');
    m.bound(base + s.readUInt32LE(eocd + 16));
  }
  if (base > off) m.bound(base);
}

/** The structure map of a sample, plus the offsets of the fields unstamp plans. */
export function structureOf(bytes, fieldOffsets = []) {
  const m = new StructureMap(bytes.length);
  scan(m, bytes, 0, bytes.length);
  for (const at of fieldOffsets) {
    m.bound(at);
    m.bound(at + 4);
  }
  return m;
}

// ---------------------------------------------------------------------------------------
// Mutations

const SPECIAL = {
  2: [0, 0x7fff, 0x8000, 0xffff, 1],
  4: [0, 0x7fffffff, 0x80000000, 0xffffffff, 1],
  8: [0n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xffffffffn, 0x100000000n],
};

function writeNum(b, at, size, le, value) {
  if (at < 0 || at + size > b.length) return;
  if (size === 8) {
    const v = BigInt.asUintN(64, BigInt(value));
    le ? b.writeBigUInt64LE(v, at) : b.writeBigUInt64BE(v, at);
  } else {
    const v = Number(BigInt.asUintN(size * 8, BigInt(Math.trunc(Number(value)))));
    if (size === 4) le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at);
    else le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at);
  }
}

const ENTRY_SIZES = [1, 2, 4, 8, 10, 12, 16, 18, 20, 24, 28, 32, 40, 46, 56, 60, 80];
const KINDS = [
  ['flip', 20],
  ['truncate-boundary', 14],
  ['truncate-random', 4],
  ['special', 18],
  ['pointer', 20],
  ['ar-text', 10],
  ['field', 6],
  ['splice', 8],
  ['payload', 30],
];
const KIND_TOTAL = KINDS.reduce((n, [, w]) => n + w, 0);

/**
 * Mutant n of a sample: { bytes, kind, what }. Depends only on the sample's bytes, its
 * structure map, its path and n. A third of the mutants get a second, size-keeping
 * mutation on top of the first, to get past the first check a file meets.
 */
export function makeMutant(sample, n) {
  const rnd = mulberry32(seedOf(sample.rel, n));
  const mutant = mutateTwice(sample, rnd);
  // Formats that check a CRC over what the mutation hit refuse nearly every mutant at that
  // check: half of their mutants get their CRCs made right again, so the mutation reaches
  // the parsers behind it.
  const repair = REPAIR[sample.format];
  if (!repair || rnd() >= 0.5) return mutant;
  return { bytes: repair(Buffer.from(mutant.bytes)), kind: `${mutant.kind}+crc`, what: `${mutant.what}; then its CRCs recomputed` };
}

function mutateTwice(sample, rnd) {
  const first = mutateOnce(sample, sample.bytes, rnd, false);
  if (first.bytes.length !== sample.bytes.length || rnd() >= 0.33) return withChecksums(sample, first, rnd);
  const second = mutateOnce(sample, first.bytes, rnd, true);
  return withChecksums(sample, { bytes: second.bytes, kind: `${first.kind}+${second.kind}`, what: `${first.what}; then ${second.what}` }, rnd);
}

/**
 * Half the mutants of a tar get every header checksum written again (as tar writes it),
 * so the mutation reaches the checks behind the checksum. Other formats draw nothing here.
 */
function withChecksums(sample, mutant, rnd) {
  const at = sample.map.checksums.filter((x) => x + 512 <= mutant.bytes.length);
  if (at.length === 0 || rnd() >= 0.5) return mutant;
  const b = Buffer.from(mutant.bytes);
  for (const x of at) b.write(`${tarSum(b, x).toString(8).padStart(6, '0')}\0 `, x + 148, 'latin1');
  return { ...mutant, what: `${mutant.what}; then the tar header checksums written again` };
}

const REPAIR = {
  /** Every PNG chunk's CRC over its type and data, as far as the chunk lengths lead. */
  png(b) {
    for (let pos = 8, n = 0; pos + 12 <= b.length && n < 4096; n++) {
      const length = b.readUInt32BE(pos);
      const crcAt = pos + 8 + length;
      if (crcAt + 4 > b.length) break;
      b.writeUInt32BE(crc32(b.subarray(pos + 4, crcAt)), crcAt);
      if (b.toString('latin1', pos + 4, pos + 8) === 'IEND') break;
      pos = crcAt + 4;
    }
    return b;
  },
  /** The uImage header CRC (ih_hcrc, with itself read as zero). */
  uimage(b) {
    if (b.length < 64) return b;
    const h = Buffer.from(b.subarray(0, 64));
    h.fill(0, 4, 8);
    b.writeUInt32BE(crc32(h), 4);
    return b;
  },
};

function mutateOnce(sample, src, rnd, sizeKept) {
  const pick = (k) => Math.floor(rnd() * k);
  const choose = (list) => list[pick(list.length)];
  const map = sample.map;
  const b = Buffer.from(src);
  const bounds = sample.boundList;
  let w = pick(KIND_TOTAL);
  let kind = KINDS.find(([, weight]) => (w -= weight) < 0)[0];
  if (sizeKept && (kind.startsWith('truncate') || kind === 'splice' || kind === 'payload')) kind = 'pointer';
  if (kind === 'payload' && !sample.payload) kind = 'flip';
  if (kind === 'payload') {
    const inner = mutateOnce(sample.payload.sample, sample.payload.sample.bytes, rnd, false);
    return { bytes: regzip(sample.payload.header, inner.bytes), kind: `payload ${inner.kind}`, what: `payload: ${inner.what}` };
  }
  if (kind === 'ar-text' && map.texts.length === 0) kind = 'pointer';
  if ((kind === 'special' || kind === 'pointer') && map.nums.length === 0) kind = 'flip';
  if (kind === 'field' && sample.fields.length === 0) kind = 'special';
  if (kind === 'special' && map.nums.length === 0) kind = 'flip';
  const hot = () => {
    // A byte inside a header region (or anywhere, a third of the time).
    if (map.regions.length === 0 || rnd() < 0.33) return pick(b.length);
    const [s, e] = choose(map.regions);
    return s + pick(e - s);
  };
  switch (kind) {
    case 'flip': {
      const flips = [];
      for (let k = 1 + pick(4); k > 0; k--) {
        const at = hot();
        const bit = pick(8);
        b[at] ^= 1 << bit;
        flips.push(`${hex(at)}.${bit}`);
      }
      return { bytes: b, kind, what: `bit flips ${flips.join(' ')}` };
    }
    case 'truncate-boundary': {
      const at = choose(bounds) + choose([-3, -2, -1, -1, 0, 0, 0, 1, 1, 2, 3, 4, -4, 8]);
      const cut = Math.max(0, Math.min(src.length - 1, at));
      return { bytes: b.subarray(0, cut), kind, what: `truncated to ${hex(cut)} bytes (a structure boundary)` };
    }
    case 'truncate-random': {
      const cut = pick(src.length);
      return { bytes: b.subarray(0, cut), kind, what: `truncated to ${hex(cut)} bytes` };
    }
    case 'special': {
      const f = choose(map.nums);
      // Mostly the field as it is; sometimes its neighbour halves, or a 16-bit view.
      const size = rnd() < 0.15 ? (f.size === 2 ? 4 : 2) : f.size;
      const value = choose(SPECIAL[size]);
      writeNum(b, f.at, size, f.le, value);
      return { bytes: b, kind, what: `${f.what} at ${hex(f.at)} (${size} bytes ${f.le ? 'LE' : 'BE'}) set to ${hex(value)}` };
    }
    case 'pointer': {
      const f = choose(map.nums);
      const size = src.length;
      const rel = (x) => x - f.base;
      const candidates = [
        () => rel(size) + choose([0, 1, 2, 3, 4, 8, 16, 0x100, 0x10000]),
        () => rel(size) - choose([1, 2, 3, 4, 8, 12, 16, 20]),
        () => rel(choose(bounds)),
        () => rel(choose(bounds)) + choose([-4, -2, -1, 1, 2, 4]),
        () => choose(bounds),
        () => Math.floor(rel(size) / choose(ENTRY_SIZES)) + choose([1, 2, 0x100]),
        () => Math.floor(size / choose(ENTRY_SIZES)) + 1,
        () => 2 ** (pick(f.size * 8 - 1) + 1) + choose([-1, 0, 1]),
        () => (f.size === 8 ? 0 : f.le ? src.readUIntLE(f.at, f.size) : src.readUIntBE(f.at, f.size)) + choose([1, -1, 2, 4, 0x10, 0x1000, -0x1000]),
      ];
      const value = choose(candidates)();
      writeNum(b, f.at, f.size, f.le, value);
      return { bytes: b, kind, what: `${f.what} at ${hex(f.at)} (${f.size} bytes ${f.le ? 'LE' : 'BE'}) set to ${hex(value)}` };
    }
    case 'ar-text': {
      const t = choose(map.texts);
      const left = src.length - t.at;
      const old = Number.parseInt(src.toString('latin1', t.at, t.at + t.size), t.radix) || 0;
      // cpio's fields hold zero-padded digits in their own radix; ar's decimal text padded with spaces.
      const num = (v) => (t.zero ? v.toString(t.radix) : String(v));
      const texts = [
        () => num(left + choose([-60, -1, 0, 1, 2, 60])),
        () => num(old + choose([-2, -1, 1, 2, 1000])),
        () => '9'.repeat(t.size),
        () => num(2 ** 31),
        () => num(2 ** 32 + old),
        () => '-1',
        () => '',
        () => ` ${old}`,
        () => `${old}x`,
        () => '1 2',
        () => '0x10',
        () => '1e9',
        () => num(pick(10 ** Math.min(t.size, 15))),
        () => '0'.repeat(t.size),
      ];
      const raw = choose(texts)().slice(0, t.size);
      const text = t.zero ? raw.padStart(t.size, '0') : raw.padEnd(t.size, ' ');
      b.write(text, t.at, 'latin1');
      return { bytes: b, kind, what: `${t.what} at ${hex(t.at)} set to ${JSON.stringify(text)}` };
    }
    case 'field': {
      const at = choose(sample.fields);
      const value = choose([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x5f5e1000, 946684800]);
      writeNum(b, at, Math.min(4, b.length - at), true, value);
      return { bytes: b, kind, what: `rewritten field at ${hex(at)} set to ${hex(value)}` };
    }
    default: {
      const at = rnd() < 0.5 ? choose(bounds) : pick(src.length);
      const span = 1 + pick(rnd() < 0.5 ? 8 : 128);
      if (rnd() < 0.5) {
        const out = Buffer.concat([src.subarray(0, at), src.subarray(Math.min(src.length, at + span))]);
        return { bytes: out, kind, what: `${span} bytes deleted at ${hex(at)}` };
      }
      const out = Buffer.concat([src.subarray(0, at), src.subarray(at, at + span), src.subarray(at)]);
      return { bytes: out, kind, what: `${span} bytes at ${hex(at)} repeated` };
    }
  }
}

function hex(v) {
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  return v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

// ---------------------------------------------------------------------------------------
// Independent tools

const PYC_CHECK = [
  'import importlib.util, marshal, sys',
  'd = open(sys.argv[1], "rb").read()',
  'assert d[:4] == importlib.util.MAGIC_NUMBER and int.from_bytes(d[4:8], "little") <= 3',
  'marshal.loads(d[16:])',
].join('\n');
const JAVADOC_CHECK = [
  'import html.parser, re, sys',
  'class P(html.parser.HTMLParser):',
  '    found = []',
  '    def handle_comment(self, data):',
  '        if data.startswith(" Generated by javadoc"): self.found.append(data)',
  'p = P(); p.feed(open(sys.argv[1], encoding="latin-1").read()); p.close()',
  'assert len(P.found) == 1 and re.fullmatch(r" Generated by javadoc \\([^)]*\\) on \\S.* ", P.found[0]), P.found',
].join('\n');

/** Exit status -> 'ok' | 'warn' | 'fail', per tool. */
const TOOLS = {
  ar: { cmd: 'ar', args: (f) => ['t', f] },
  gzip: { cmd: 'gzip', args: (f) => ['-t', f], warn: [2] },
  pe: { cmd: 'llvm-readobj', args: (f) => ['--file-headers', '--sections', '--coff-debug-directory', '--coff-resources', f] },
  coff: { cmd: 'llvm-readobj', args: (f) => ['--file-headers', '--sections', '--symbols', f] },
  pdb: { cmd: 'llvm-pdbutil', args: (f) => ['dump', '--summary', f] },
  macho: { cmd: 'llvm-objdump', args: (f) => ['--macho', '--private-headers', f] },
  zip: { cmd: 'unzip', args: (f) => ['-tqq', f], warn: [1] },
  tar: { cmd: 'tar', args: (f) => ['--full-time', '-tvf', f] },
  cpio: { cmd: 'cpio', args: (f) => ['-t', '--quiet', '-F', f] },
  elf: { cmd: 'llvm-readobj', args: (f) => ['--file-headers', '--program-headers', '--sections', '--symbols', f] },
  // marshal reads the code object after the 16-byte header; the magic must still be this Python's.
  pyc: { cmd: '/usr/bin/python3', args: (f) => ['-c', PYC_CHECK, f] },
  // html.parser reads the page and finds one well-formed generator comment in it.
  javadoc: { cmd: '/usr/bin/python3', args: (f) => ['-c', JAVADOC_CHECK, f] },
  png: { cmd: 'pngcheck', args: (f) => ['-q', f] },
  mo: { cmd: 'msgunfmt', args: (f) => [f] },
  // mkimage -l exits 0 whatever it reads, and lists a header it does not accept as another
  // image type: a legacy header it accepts (magic and header CRC) is listed with its name.
  uimage: { cmd: 'sh', need: 'mkimage', name: 'mkimage -l F (lists Image Name)', args: (f) => ['-c', 'mkimage -l "$1" | grep -q "^Image Name:"', 'mkimage-l', f] },
};
const RANK = { ok: 0, warn: 1, fail: 2 };

function runTool(format, file) {
  const tool = TOOLS[format];
  if (!tool) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = spawn(tool.cmd, tool.args(file), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    let stderr = '';
    child.stderr.on('data', (d) => {
      if (stderr.length < 4000) stderr += d;
    });
    child.on('error', (e) => resolve({ verdict: 'missing', code: -1, stderr: String(e) }));
    child.on('close', (code, signal) => {
      let verdict = 'fail';
      if (code === 0) verdict = /warning/i.test(stderr) ? 'warn' : 'ok';
      else if (tool.warn?.includes(code)) verdict = 'warn';
      resolve({ verdict, code: signal ?? code, stderr: stderr.trim().split('\n').slice(0, 3).join(' | ') });
    });
  });
}

function toolName(format) {
  const t = TOOLS[format];
  return t ? (t.name ?? `${t.cmd} ${t.args('F').join(' ')}`) : format;
}

/** Which tools are installed (the rest are not run; their checks are counted as skipped). */
async function availableTools() {
  const out = new Set();
  for (const [format, t] of Object.entries(TOOLS)) {
    const ok = await new Promise((resolve) => {
      const c = spawn('sh', ['-c', `command -v ${t.need ?? t.cmd}`], { stdio: 'ignore' });
      c.on('close', (code) => resolve(code === 0));
      c.on('error', () => resolve(false));
    });
    if (ok) out.add(format);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The run

/**
 * Read each sample, plan it once (the fields unstamp rewrites, its format) and map its
 * structures. A PDB is fuzzed beside a pristine copy of its executable, since a PDB is
 * only normalized together with it.
 */
export async function prepareSamples(lib, { only } = {}) {
  const files = sampleFiles().filter((f) => !only || path.relative(samplesDir, f).includes(only));
  const out = [];
  for (const file of files) {
    const rel = path.relative(samplesDir, file);
    const bytes = readFileSync(file);
    let partner;
    if (/\.pdb$/i.test(file)) {
      const dir = path.dirname(file);
      const image = readdirSync(dir).find((f) => /\.(exe|dll)$/i.test(f));
      if (image) partner = path.join(dir, image);
    }
    const planned = partner ? await planPair(lib, file, partner) : await lib.planFile(file, { epoch: 0 });
    const format = planned.format ?? 'unknown';
    // A payload's fields lie in the decoded bytes, not in the file.
    const fields = planned.fields.filter((f) => !f.field.startsWith('payload')).map((f) => f.offset).filter((x) => x >= 0 && x < bytes.length);
    const map = structureOf(bytes, fields);
    out.push({ rel, file, bytes, format, fields, map, boundList: [...map.bounds].sort((a, b) => a - b), partner, payload: payloadOf(bytes, planned) });
  }
  return out;
}

/** Where a gzip's compressed data starts, from its header. */
function gzipDataStart(b) {
  const flg = b[3];
  let pos = 10;
  if (flg & 4) pos += 2 + b.readUInt16LE(pos);
  for (const bit of [8, 16]) if (flg & bit) pos = b.indexOf(0, pos) + 1;
  return flg & 2 ? pos + 2 : pos;
}

/**
 * A gzip whose payload unstamp rewrites (its plan lists payload fields): the inflated
 * payload with its own structure map, for 'payload' mutants.
 */
function payloadOf(bytes, planned) {
  if (planned.format !== 'gzip' || !planned.fields.some((f) => f.field.startsWith('payload ('))) return undefined;
  const start = gzipDataStart(bytes);
  const inflated = inflateRawSync(bytes.subarray(start, bytes.length - 8));
  const map = structureOf(inflated, []);
  return { header: bytes.subarray(0, start), sample: { bytes: inflated, map, boundList: [...map.bounds].sort((a, b) => a - b), fields: [] } };
}

/** A gzip of `data` behind `header`, with its own CRC-32 and ISIZE: a valid gzip of a broken payload. */
function regzip(header, data) {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length % 2 ** 32, 4);
  return Buffer.concat([header, deflateRawSync(data), trailer]);
}

async function planPair(lib, pdb, image) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unstamp-fuzz-plan-'));
  try {
    copyFileSync(pdb, path.join(dir, path.basename(pdb)));
    copyFileSync(image, path.join(dir, path.basename(image)));
    const r = await lib.checkTree([dir], { epoch: 0, jobs: 1 });
    return r.files.find((f) => f.path.endsWith(path.basename(pdb)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The build folders the samples hold, each remapped to one of the same length (--remap-path). */
const REMAP = [
  { from: '/tmp/unstamp-elf', to: '/tmp/unstamp-ELF' },
  { from: '/tmp/unstamp-macho-build', to: '/tmp/unstamp-MACHO-build' },
  { from: '/tmp/unstamp-pe-build', to: '/tmp/unstamp-PE-build' },
  { from: '/tmp/unstamp-reorder-build', to: '/tmp/unstamp-REORDER-build' },
  // The compiler's own folder, in the command line clang records in CodeView objects.
  { from: '/usr/lib/llvm-14', to: '/opt/lib/llvm-14' },
  // samples/remap: PDBs whose hash tables follow the remap (YYYY keeps the anonymous namespace hash's length).
  { from: '/tmp/unstamp-remap-AAAA', to: '/tmp/unstamp-remap-YYYY' },
];

/**
 * Options of mutant n: mostly the defaults; every fifth one with --remap-path, every fifth
 * the other settings. A PNG gets an epoch in 2001: pngcheck refuses a tIME year before 1995
 * (its own rule; the PNG spec sets none), and the default epoch 0 would fail it for every mutant.
 * The samples of samples/remap are there for --remap-path: four in five of their mutants get it.
 */
function optionsOf(n, format, rel = '') {
  const epoch = format === 'png' ? 1_000_000_000 : 0;
  if (n % 5 === 2 || (rel.startsWith('remap/') && n % 5 !== 4)) return { epoch, remap: REMAP };
  if (n % 5 !== 4) return { epoch };
  return { epoch: 1_000_000_000, clamp: true, settings: { 'pe-timestamp': 'epoch', 'pdb-path': 'basename', 'zip-order': 'name', 'gzip-name': 'drop' } };
}

async function normalizeOnce(lib, sample, dir, file, opts) {
  if (!sample.partner) return lib.normalizeFile(file, opts);
  const r = await lib.normalizeTree([dir], { ...opts, jobs: 1 });
  return r.files.find((f) => f.path === file);
}

/** Rewrites that move bytes: a zip's member order, a gzip header without its name (the file gets shorter). */
const MOVES_BYTES = new Set(['member order', 'FNAME/FCOMMENT']);
/** The field itself, or the same field of a member rewritten inside a container ("member x.gz (gzip): FNAME/FCOMMENT"). */
const movesBytes = (f) => f.changed && [...MOVES_BYTES].some((m) => f.field === m || f.field.endsWith(`: ${m}`));
/** A recompressed payload: the file gets any size. */
const recompressed = (fields) => fields.some((f) => f.changed && /\): deflate data$/.test(f.field));

/** The largest field unstamp rewrites: a free PDB block of 4096 bytes. */
const MAX_FIELD = 4096;

/**
 * The first byte that changed outside every field the result lists as changed (a field
 * is known by its start only; none is larger than MAX_FIELD), or undefined. A rewrite
 * that reorders members moves everything, so it is not checked.
 */
function strayChange(before, after, fields) {
  if (fields.some(movesBytes) || recompressed(fields)) return undefined;
  const starts = fields.filter((f) => f.changed).map((f) => f.offset).sort((a, b) => a - b);
  let k = -1;
  for (let p = 0; p < before.length; p++) {
    while (k + 1 < starts.length && starts[k + 1] <= p) k++;
    if (before[p] !== after[p] && (k < 0 || p - starts[k] >= MAX_FIELD)) return p;
  }
  return undefined;
}

/** Messages that name no structure: the reader's defaults. */
const GENERIC = /^(data|range) |more than one read may take|invalid offset or length/;

/** Run one mutant through every check; returns its tally entry and problems. */
async function runMutant(lib, sample, n, ctx) {
  const { bytes, kind, what } = makeMutant(sample, n);
  const opts = optionsOf(n, sample.format, sample.rel);
  const dir = mkdtempSync(path.join(ctx.tmp, 'm-'));
  const file = path.join(dir, path.basename(sample.file));
  const entry = { status: 'error', toolChecked: false, toolRejectedAfter: false, problems: [] };
  const problem = (why) => entry.problems.push({ sample: sample.rel, n, seed: seedOf(sample.rel, n), kind, what, why, bytes });
  try {
    writeFileSync(file, bytes);
    if (sample.partner) copyFileSync(sample.partner, path.join(dir, path.basename(sample.partner)));
    let r;
    try {
      r = await normalizeOnce(lib, sample, dir, file, opts);
    } catch (e) {
      problem(`uncaught exception: ${e?.stack ?? e}`);
      return entry;
    }
    if (!r) {
      problem('no result for the mutant');
      return entry;
    }
    entry.status = r.status;
    const after = readFileSync(file);
    const shortened = r.status === 'normalized' && r.fields.some((f) => movesBytes(f) && f.field.endsWith('FNAME/FCOMMENT'));
    if (r.status === 'normalized' && recompressed(r.fields)) {
      // Any size, but still a gzip of a payload unstamp now leaves alone (checked by the second run below).
    } else if (shortened ? statSync(file).size >= bytes.length : statSync(file).size !== bytes.length) problem(`size changed from ${bytes.length} to ${statSync(file).size}`);
    if (r.status === 'failed') {
      const message = r.error?.message ?? '';
      if (message.startsWith('internal error')) problem(message);
      else {
        if (!after.equals(bytes)) problem(`refused (${message}) but the file was modified`);
        const offset = r.error?.offset;
        if (!/0x[0-9a-f]+/.test(message)) problem(`error names no offset: ${message}`);
        else if (typeof offset !== 'number') problem(`error carries no offset: ${message}`);
        else if (offset < 0 || offset > bytes.length) problem(`error offset ${hex(offset)} lies outside the file (size ${hex(bytes.length)}): ${message}`);
        else {
          // Inside a member ("member x (zip at 0x40): ..."), the offset is still a file offset.
          const bases = [...message.matchAll(/\(\w+ at (0x[0-9a-f]+)\): /g)].map((x) => Number(x[1]));
          if (bases.length > 0 && offset < Math.max(...bases)) problem(`error offset ${hex(offset)} lies before the member it is about (at ${hex(Math.max(...bases))}): ${message}`);
        }
        if (GENERIC.test(message)) problem(`generic error message: ${message}`);
      }
    } else if (r.status === 'clean' || r.status === 'skipped') {
      if (!after.equals(bytes)) problem(`${r.status}${r.reason ? ` (${r.reason})` : ''} but the file was modified`);
    } else if (r.status === 'normalized') {
      if (ctx.tools.has(r.format)) {
        const before = path.join(ctx.tmp, `${path.basename(dir)}-before-${path.basename(sample.file)}`);
        writeFileSync(before, bytes);
        try {
          const [tb, ta] = await Promise.all([runTool(r.format, before), runTool(r.format, file)]);
          if (tb.verdict !== 'fail') {
            entry.toolChecked = true;
            if (RANK[ta.verdict] > RANK[tb.verdict]) {
              entry.toolRejectedAfter = true;
              problem(`${toolName(r.format)} accepted the mutant (${tb.verdict}, exit ${tb.code}) but not the normalized file (${ta.verdict}, exit ${ta.code}: ${ta.stderr})`);
            }
          }
        } finally {
          rmSync(before, { force: true });
        }
      }
      const stray = strayChange(bytes, after, r.fields);
      if (stray !== undefined) problem(`byte at ${hex(stray)} changed, but no rewritten field starts in the ${MAX_FIELD} bytes before it`);
      const second = await normalizeOnce(lib, sample, dir, file, opts);
      const again = readFileSync(file);
      if (second?.status !== 'clean') {
        const detail = second?.error?.message ?? second?.fields?.filter((f) => f.changed).map((f) => `${f.field} ${f.old} -> ${f.new}`).slice(0, 3).join('; ');
        problem(`second run was ${second?.status}, not clean${detail ? `: ${detail}` : ''}`);
      }
      if (!again.equals(after) && second?.status === 'clean') problem('second run reported clean but changed the file');
    } else {
      problem(`unexpected status ${r.status}`);
    }
  } catch (e) {
    problem(`harness error: ${e?.stack ?? e}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return entry;
}

/**
 * Fuzz every sample: n mutants each (or only `mutant`), `jobs` in flight. Returns the
 * per-format rows, the problems, the total and the wall time.
 */
export async function runFuzz(lib, { n = 100, from = 0, only, mutant, jobs = 4, useTools = true, onProgress } = {}) {
  const started = Date.now();
  const samples = await prepareSamples(lib, { only });
  const tools = useTools ? await availableTools() : new Set();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'unstamp-fuzz-'));
  const rows = new Map();
  const problems = [];
  const row = (format) => {
    if (!rows.has(format)) {
      rows.set(format, { format, samples: 0, mutants: 0, normalized: 0, clean: 0, refused: 0, skipped: 0, toolChecked: 0, toolRejectedAfter: 0, problems: 0, seconds: 0 });
    }
    return rows.get(format);
  };
  const order = [...FORMATS, ...new Set(samples.map((s) => s.format))];
  try {
    for (const format of [...new Set(order)]) {
      const group = samples.filter((s) => s.format === format);
      if (group.length === 0) continue;
      const r = row(format);
      r.samples = group.length;
      const t0 = Date.now();
      const work = group.flatMap((s) => (mutant !== undefined ? [[s, mutant]] : Array.from({ length: n }, (_, i) => [s, from + i])));
      let done = 0;
      await pMap(
        work,
        async ([s, i]) => {
          const e = await runMutant(lib, s, i, { tmp, tools });
          r.mutants++;
          if (e.status === 'normalized') r.normalized++;
          else if (e.status === 'clean') r.clean++;
          else if (e.status === 'failed') r.refused++;
          else if (e.status === 'skipped') r.skipped++;
          if (e.toolChecked) r.toolChecked++;
          if (e.toolRejectedAfter) r.toolRejectedAfter++;
          if (e.problems.length > 0) {
            r.problems++;
            problems.push(...e.problems);
          }
          done++;
          onProgress?.(format, done, work.length);
        },
        { concurrency: jobs },
      );
      r.seconds = (Date.now() - t0) / 1000;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const list = [...rows.values()];
  const total = { format: 'total', samples: 0, mutants: 0, normalized: 0, clean: 0, refused: 0, skipped: 0, toolChecked: 0, toolRejectedAfter: 0, problems: 0, seconds: 0 };
  for (const r of list) for (const k of Object.keys(total)) if (k !== 'format') total[k] += r[k];
  total.seconds = (Date.now() - started) / 1000;
  return { rows: list, total, problems, tools: [...tools], seconds: total.seconds };
}

const COLUMNS = [
  ['format', 'format'],
  ['samples', 'samples'],
  ['mutants', 'mutants'],
  ['normalized', 'normalized'],
  ['clean', 'clean'],
  ['refused', 'refused'],
  ['skipped', 'skipped'],
  ['toolChecked', 'tool-checked'],
  ['toolRejectedAfter', 'tool-rejected-after'],
  ['problems', 'problems'],
  ['seconds', 'seconds'],
];

/** The per-format table, as text. */
export function formatTable(result) {
  const lines = [...result.rows, result.total].map((r) => COLUMNS.map(([k]) => (k === 'seconds' ? r[k].toFixed(1) : String(r[k]))));
  const head = COLUMNS.map(([, h]) => h);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

/** One problem, with what it takes to make the mutant again. */
export function formatProblem(p) {
  return `${p.sample} mutant ${p.n} (seed ${hex(p.seed)}, ${p.kind}: ${p.what}): ${p.why}\n    again: UNSTAMP_FUZZ_ONLY=${p.sample} UNSTAMP_FUZZ_MUTANT=${p.n} npm run fuzz`;
}

async function main() {
  const lib = await import(pathToFileURL(path.join(root, 'dist', 'index.js')).href);
  const env = process.env;
  const n = Number(env.UNSTAMP_FUZZ_N ?? 100);
  const mutant = env.UNSTAMP_FUZZ_MUTANT !== undefined && env.UNSTAMP_FUZZ_MUTANT !== '' ? Number(env.UNSTAMP_FUZZ_MUTANT) : undefined;
  const jobs = Number(env.UNSTAMP_FUZZ_JOBS ?? 4);
  const from = Number(env.UNSTAMP_FUZZ_FROM ?? 0);
  const keep = env.UNSTAMP_FUZZ_KEEP;
  let last = 0;
  const result = await runFuzz(lib, {
    n,
    from,
    only: env.UNSTAMP_FUZZ_ONLY || undefined,
    mutant,
    jobs,
    useTools: env.UNSTAMP_FUZZ_TOOLS !== '0',
    onProgress: (format, done, all) => {
      const now = Date.now();
      if (process.stderr.isTTY || now - last > 30_000 || done === all) {
        last = now;
        process.stderr.write(`fuzz: ${format} ${done}/${all}\n`);
      }
    },
  });
  const which = mutant !== undefined ? `mutant ${mutant}` : from > 0 ? `mutants ${from}..${from + n - 1}` : `${n} mutants`;
  console.log(`unstamp fuzz: ${which} of each sample, tools: ${result.tools.join(', ') || 'none'}`);
  console.log(formatTable(result));
  if (result.problems.length > 0) {
    console.log(`\n${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}:`);
    for (const p of result.problems) console.log(formatProblem(p));
    if (keep) {
      mkdirSync(keep, { recursive: true });
      for (const p of result.problems) writeFileSync(path.join(keep, `${p.sample.replace(/\//g, '_')}.${p.n}`), p.bytes);
      console.log(`mutant bytes written to ${keep}`);
    }
  }
  return result.problems.length > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(e);
      process.exitCode = 2;
    },
  );
}
