// Work and memory are bounded by the file size, never by a count the file states: real
// samples with one count or size field set to an absurd value (a zip claiming 65,535 or
// 2^32-1 entries, a PE with 65,535 sections, a Mach-O with 2^32-1 load commands, an MSF
// directory claiming millions of streams, an ar member of 10 GB, ...). Each must be
// refused quickly with the specific rule and the offset of the field, and be left
// untouched. The time each took is printed in the test name, never asserted.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { normalizeFile } from '../src/index.js';
import { samples, tempDir } from './helpers.js';
import { dataDirectory, fileHeader, resourceRoot } from './pe-offsets.js';

interface Case {
  name: string;
  sample: string;
  edit: (b: Buffer) => void;
  message: RegExp;
  /** The file offset the error must carry: the field holding the absurd value. */
  offset: (b: Buffer) => number;
  /** Bytes appended before editing (a file large enough for the claim to be read). */
  pad?: number;
}

const read = (rel: string) => readFileSync(path.join(samples, rel));
const eocdOf = (b: Buffer) => b.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
const zip64EndOf = (b: Buffer) => b.lastIndexOf(Buffer.from('PK\x06\x06', 'latin1'));
/** File offset of NumStreams: the first block of the MSF stream directory. */
const msfDirectory = (b: Buffer) => {
  const bs = b.readUInt32LE(32);
  return b.readUInt32LE(b.readUInt32LE(52) * bs) * bs;
};
/** Offset of the first load command of type `cmd` in a little-endian 64-bit Mach-O. */
const loadCommand = (b: Buffer, cmd: number) => {
  let at = 32;
  for (let i = 0; i < b.readUInt32LE(16); i++, at += b.readUInt32LE(at + 4)) if (b.readUInt32LE(at) === cmd) return at;
  throw new Error(`no load command ${cmd}`);
};

const cases: Case[] = [
  {
    name: 'zip: end of central directory claims 65,535 entries',
    sample: 'zip/infozip/a/demo.zip',
    edit: (b) => {
      b.writeUInt16LE(0xffff, eocdOf(b) + 8);
      b.writeUInt16LE(0xffff, eocdOf(b) + 10);
    },
    message: /end of central directory at 0x[0-9a-f]+: 65535 entries need at least 3014610 bytes \(46 each\), but the central directory is \d+ bytes/,
    offset: (b) => eocdOf(b) + 10,
  },
  {
    name: 'zip64: end of central directory record claims 2^32-1 entries',
    sample: 'zip/bsdtar-zip64/a/demo.zip',
    edit: (b) => {
      b.writeBigUInt64LE(0xffffffffn, zip64EndOf(b) + 24);
      b.writeBigUInt64LE(0xffffffffn, zip64EndOf(b) + 32);
    },
    message: /zip64 end of central directory record at 0x[0-9a-f]+: 4294967295 entries need at least 197568495570 bytes \(46 each\), but the central directory is \d+ bytes/,
    offset: (b) => zip64EndOf(b) + 32,
  },
  {
    name: 'zip64: end of central directory record claims 2^64-1 entries',
    sample: 'zip/bsdtar-zip64/a/demo.zip',
    edit: (b) => b.writeBigUInt64LE(0xffffffffffffffffn, zip64EndOf(b) + 32),
    message: /zip64 end of central directory record at 0x[0-9a-f]+: 18446744073709551615 entries need at least 848550227390639374290 bytes \(46 each\), but the central directory is \d+ bytes/,
    offset: (b) => zip64EndOf(b) + 32,
  },
  {
    name: 'PE: NumberOfSections 65535',
    sample: 'pe/lld-exe/a/app.exe',
    edit: (b) => b.writeUInt16LE(0xffff, fileHeader(b) + 2),
    message: /section table at 0x[0-9a-f]+: 65535 sections run past the end of the file \(size 0xa00\)/,
    offset: (b) => fileHeader(b) + 2,
  },
  {
    name: 'PE: resource directory claiming 65535 + 65535 entries',
    sample: 'pe/mingw-dll/a/lib.dll',
    edit: (b) => {
      const at = resourceRoot(b);
      b.writeUInt16LE(0xffff, at + 12);
      b.writeUInt16LE(0xffff, at + 14);
    },
    message: /resource directory root at 0x[0-9a-f]+: 131070 entries run past the resource data \(Size 0x[0-9a-f]+ in the data directory entry at 0x[0-9a-f]+\)/,
    offset: (b) => resourceRoot(b) + 12,
  },
  {
    name: 'PE: debug directory Size 0xffffffff',
    sample: 'pe/lld-exe/a/app.exe',
    edit: (b) => b.writeUInt32LE(0xffffffff, dataDirectory(b, 6) + 4),
    message: /debug directory at RVA 0x[0-9a-f]+: its 4294967292 bytes lie outside the file data of section "\.rdata"/,
    offset: (b) => dataDirectory(b, 6),
  },
  {
    name: 'COFF object: NumberOfSections 65535',
    sample: 'pe/clang-obj/a/main.obj',
    edit: (b) => b.writeUInt16LE(0xffff, 2),
    message: /IMAGE_FILE_HEADER at 0x0: NumberOfSections 65535 is more than 65279, the most a regular object can have/,
    offset: () => 2,
  },
  {
    name: 'COFF object: NumberOfSections 65279 (the largest allowed)',
    sample: 'pe/clang-obj/a/main.obj',
    edit: (b) => b.writeUInt16LE(65279, 2),
    message: /IMAGE_FILE_HEADER at 0x0: the section table at 0x14 \(NumberOfSections 65279, 40 bytes each\) runs past the end of the object/,
    offset: () => 2,
  },
  {
    name: 'COFF /bigobj: NumberOfSections 2^32-1',
    sample: 'pe/gas-bigobj/a/big.o',
    edit: (b) => b.writeUInt32LE(0xffffffff, 44),
    message: /ANON_OBJECT_HEADER_BIGOBJ at 0x0: the section table at 0x38 \(NumberOfSections 4294967295, 40 bytes each\) runs past the end of the object/,
    offset: () => 44,
  },
  {
    name: 'COFF object: NumberOfSymbols 2^32-1',
    sample: 'pe/clang-obj/a/main.obj',
    edit: (b) => b.writeUInt32LE(0xffffffff, 12),
    message: /IMAGE_FILE_HEADER at 0x0: the symbol table at 0x[0-9a-f]+ \(NumberOfSymbols 4294967295, 18 bytes each\) runs past the end of the object/,
    offset: () => 8,
  },
  {
    name: 'Mach-O: ncmds 2^32-1',
    sample: 'macho/arm64-dylib/a/libdemo.dylib',
    edit: (b) => b.writeUInt32LE(0xffffffff, 16),
    message: /mach header at 0x0: ncmds 4294967295 cannot fit in sizeofcmds \d+/,
    offset: () => 16,
  },
  {
    name: 'Mach-O: LC_SYMTAB nsyms 2^32-1',
    sample: 'macho/arm64-dylib/a/libdemo.dylib',
    edit: (b) => b.writeUInt32LE(0xffffffff, loadCommand(b, 0x2) + 12),
    message: /LC_SYMTAB: 4294967295 symbols at 0x[0-9a-f]+ run past the end of the file \(size 0xc4b0\); load command at 0x[0-9a-f]+/,
    offset: (b) => loadCommand(b, 0x2) + 8,
  },
  {
    name: 'Mach-O: code signature SuperBlob count 2^32-1',
    sample: 'macho/arm64-dylib/a/libdemo.dylib',
    edit: (b) => b.writeUInt32BE(0xffffffff, b.readUInt32LE(loadCommand(b, 0x1d) + 8) + 8),
    message: /code signature at 0x[0-9a-f]+: SuperBlob length \d+ \/ count 4294967295 do not fit its \d+ bytes/,
    offset: (b) => b.readUInt32LE(loadCommand(b, 0x1d) + 8),
  },
  {
    name: 'Mach-O fat: nfat_arch 2^32-1',
    sample: 'macho/fat/a/libdemo.dylib',
    edit: (b) => b.writeUInt32BE(0xffffffff, 4),
    message: /fat header at 0x0: nfat_arch 4294967295 is more than 64, the most unstamp accepts/,
    offset: () => 4,
  },
  {
    name: 'Mach-O fat: nfat_arch 64 (in range, past the slices)',
    sample: 'macho/fat/a/libdemo.dylib',
    edit: (b) => b.writeUInt32BE(64, 4),
    message: /fat_arch 2 at 0x30: slice 0x[0-9a-f]+\+0x[0-9a-f]+ lies outside the file \(size 0x[0-9a-f]+\) or over the fat header/,
    offset: () => 0x30,
  },
  {
    name: 'MSF/PDB: stream directory claims 5,000,000 streams',
    sample: 'pe/lld-exe/a/app.pdb',
    edit: (b) => b.writeUInt32LE(5_000_000, msfDirectory(b)),
    message: /MSF stream directory at 0x[0-9a-f]+: NumStreams 5000000 needs 20000004 bytes of stream sizes, but the directory has \d+ \(NumDirectoryBytes\)/,
    offset: (b) => msfDirectory(b),
  },
  {
    name: 'MSF/PDB: stream directory claims 2^32-1 streams',
    sample: 'pe/mingw-exe-pdb/a/app.pdb',
    edit: (b) => b.writeUInt32LE(0xffffffff, msfDirectory(b)),
    message: /MSF stream directory at 0x[0-9a-f]+: NumStreams 4294967295 needs 17179869184 bytes of stream sizes/,
    offset: (b) => msfDirectory(b),
  },
  {
    name: 'MSF/PDB: NumBlocks 2^32-1',
    sample: 'pe/lld-exe/a/app.pdb',
    edit: (b) => b.writeUInt32LE(0xffffffff, 40),
    message: /MSF superblock at 0x28: NumBlocks 4294967295 × BlockSize 4096 = 0x[0-9a-f]+ bytes, more than the file holds/,
    offset: () => 40,
  },
  {
    name: 'MSF/PDB: a stream of 2^32-2 bytes',
    sample: 'pe/lld-exe/a/app.pdb',
    edit: (b) => b.writeUInt32LE(0xfffffffe, msfDirectory(b) + 4 + 4 * 2),
    message: /MSF stream directory at 0x[0-9a-f]+: stream 2 of 4294967294 bytes needs 1048576 block indices at directory offset 0x[0-9a-f]+, past the end of the directory/,
    offset: (b) => msfDirectory(b) + 4 + 4 * 2,
  },
  {
    name: 'ar: member size 9,999,999,999',
    sample: 'ar/gnu/a/libdemo.a',
    edit: (b) => b.write('9999999999', 8 + 48, 'latin1'),
    message: /member \/ at 0x8: ar_size 9999999999 runs past the end of the archive \(\d+ bytes left\)/,
    offset: () => 8 + 48,
  },
  {
    name: 'ar: BSD name length 9,999,999,999,999',
    sample: 'ar/llvm-bsd/a/libdemo.a',
    edit: (b) => b.write('#1/9999999999999', 8, 'latin1'),
    message: /member header at 0x8: BSD name length 9999999999999 \(#1\/9999999999999\) is longer than the member/,
    offset: () => 8,
  },
  {
    name: 'gzip: FEXTRA XLEN 65535',
    sample: 'gzip/gnu/a/hello.txt.gz',
    edit: (b) => {
      b[3] |= 0x04;
      b.writeUInt16LE(0xffff, 10);
    },
    message: /gzip extra field at 0xa: XLEN 65535 runs past the end of the file/,
    offset: () => 10,
  },
];


t.test('PE: 65,535 sections whose table fits in the file: read in bounded pieces, refused for what it overlaps, not for its size', async (t) => {
  const src = read('pe/lld-exe/a/app.exe');
  const bytes = Buffer.concat([src, Buffer.alloc(65535 * 40)]);
  bytes.writeUInt16LE(0xffff, fileHeader(bytes) + 2);
  const file = path.join(tempDir(t), 'app.exe');
  writeFileSync(file, bytes);
  const started = process.hrtime.bigint();
  const r = await normalizeFile(file, { epoch: 0 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.equal(r.status, 'failed', `refused in ${ms.toFixed(1)} ms (a 2.6 MB section table, never read in one piece)`);
  // The table now covers the sections' data, where the debug directory is.
  t.match(r.error?.message, /^debug directory\[0\] \(CodeView\) TimeDateStamp at 0x[0-9a-f]+ lies inside the PE headers and section table at 0x78\.\.0x280158, which unstamp reads to find the fields/);
  t.ok(readFileSync(file).equals(bytes), 'byte-for-byte untouched');
});

t.test('a count or size field set to an absurd value: refused quickly, with the rule and the offset', async (t) => {
  const dir = tempDir(t);
  for (const [i, c] of cases.entries()) {
    const bytes = Buffer.concat([read(c.sample), Buffer.alloc(c.pad ?? 0)]);
    c.edit(bytes);
    const file = path.join(dir, `${i}-${path.basename(c.sample)}`);
    writeFileSync(file, bytes);
    const started = process.hrtime.bigint();
    const r = await normalizeFile(file, { epoch: 0 });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    await t.test(`${c.name}: refused in ${ms.toFixed(1)} ms`, async (t) => {
      t.equal(r.status, 'failed', 'refused');
      t.match(r.error?.message, c.message, 'the rule is named');
      t.equal(r.error?.offset, c.offset(bytes), 'at the offset of the field holding the claim');
      t.ok(readFileSync(file).equals(bytes), 'byte-for-byte untouched');
    });
  }
});
