// Errors a user can act on: each row is a real sample with one specific corruption, and
// the message it must give, which names the rule and the offset. All rows run through
// the CLI at once, as a user would meet them: exit 3, one line per file on stderr,
// `unstamp: <path>: <message>; left untouched`, every file byte-for-byte untouched, and
// with --json each error carries the offset as a number inside the file.
import t from 'tap';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, samples, tempDir } from './helpers.js';
import { dataDirectory, debugEntry, fileHeader, optionalHeader, resourceRoot } from './pe-offsets.js';

interface Row {
  format: string;
  name: string;
  sample: string;
  corrupt: (b: Buffer) => Buffer;
  message: RegExp;
  /** A PE to put beside a PDB so the PDB is planned, not only paired. */
  beside?: string;
}

const read = (rel: string) => readFileSync(path.join(samples, rel));
const edit = (fn: (b: Buffer) => void) => (b: Buffer) => {
  fn(b);
  return b;
};
const text = (at: number, s: string) => edit((b) => b.write(s, at, 'latin1'));
const u16 = (at: number | ((b: Buffer) => number), v: number) => edit((b) => b.writeUInt16LE(v, typeof at === 'number' ? at : at(b)));
const u32 = (at: number | ((b: Buffer) => number), v: number) => edit((b) => b.writeUInt32LE(v >>> 0, typeof at === 'number' ? at : at(b)));
const u32be = (at: number | ((b: Buffer) => number), v: number) => edit((b) => b.writeUInt32BE(v >>> 0, typeof at === 'number' ? at : at(b)));
const truncate = (n: number | ((b: Buffer) => number)) => (b: Buffer) => b.subarray(0, typeof n === 'number' ? n : n(b));

// PE: lld-exe app.exe, PE32+; the file header follows "PE\0\0" at e_lfanew.

// COFF: clang main.obj (regular object), one section table entry after the 20-byte header.
const symbolTable = (b: Buffer) => b.readUInt32LE(8);
const stringTable = (b: Buffer) => symbolTable(b) + b.readUInt32LE(12) * 18;

// MSF: lld-exe app.pdb.
const msfDirectory = (b: Buffer) => {
  const bs = b.readUInt32LE(32);
  return b.readUInt32LE(b.readUInt32LE(52) * bs) * bs;
};

// Mach-O: arm64 dylib, little-endian 64-bit; load commands from 0x20.
function loadCommand(b: Buffer, cmd: number): number {
  let at = 32;
  for (let i = 0; i < b.readUInt32LE(16); i++, at += b.readUInt32LE(at + 4)) if (b.readUInt32LE(at) === cmd) return at;
  throw new Error(`no load command ${cmd}`);
}
const signature = (b: Buffer) => b.readUInt32LE(loadCommand(b, 0x1d) + 8);
const codeDirectory = (b: Buffer) => signature(b) + b.readUInt32BE(signature(b) + 16);

// zip: Info-ZIP demo.zip: 6 entries, each with UT (0x5455) and ux (0x7875) extras.
const eocd = (b: Buffer) => b.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
function central(b: Buffer, i: number): number {
  let at = eocd(b) >= 0 ? b.readUInt32LE(eocd(b) + 16) : 0;
  for (let k = 0; k < i; k++) at += 46 + b.readUInt16LE(at + 28) + b.readUInt16LE(at + 30) + b.readUInt16LE(at + 32);
  return at;
}
const centralExtra = (b: Buffer, i: number) => central(b, i) + 46 + b.readUInt16LE(central(b, i) + 28);
const local = (b: Buffer, i: number) => b.readUInt32LE(central(b, i) + 42);

const rows: Row[] = [
  // ar: GNU archive; the first header (the / symbol table) is at 0x8, member /0 (a long name) at 0x5d6.
  { format: 'ar', name: 'header magic', sample: 'ar/gnu/a/libdemo.a', corrupt: text(8 + 58, 'X\n'), message: /^member header at 0x8: ar_fmag is "X\\n", not "`\\n"$/ },
  { format: 'ar', name: 'date not decimal', sample: 'ar/gnu/a/libdemo.a', corrupt: text(8 + 16, '12ab'), message: /^member header at 0x8: ar_date "12ab\d* *" is not a decimal number$/ },
  { format: 'ar', name: 'mode not octal', sample: 'ar/gnu/a/libdemo.a', corrupt: text(0xf8 + 40, '100648  '), message: /^member header at 0xf8: ar_mode "100648  " is not an octal number$/ },
  { format: 'ar', name: 'header truncated', sample: 'ar/gnu/a/libdemo.a', corrupt: truncate(8 + 30), message: /^member header at 0x8 is truncated: 30 bytes left, a header takes 60$/ },
  { format: 'ar', name: 'size past the end', sample: 'ar/gnu/a/libdemo.a', corrupt: text(8 + 48, '99999999  '), message: /^member \/ at 0x8: ar_size 99999999 runs past the end of the archive \(\d+ bytes left\)$/ },
  { format: 'ar', name: 'long name past the // table', sample: 'ar/gnu/a/libdemo.a', corrupt: text(0x5d6, '/99             '), message: /^member header at 0x5d6: long-name offset 99 is past the end of the \/\/ table \(size 52\)$/ },
  { format: 'ar', name: 'BSD name longer than the member', sample: 'ar/llvm-bsd/a/libdemo.a', corrupt: text(8, '#1/999          '), message: /^member header at 0x8: BSD name length 999 \(#1\/999\) is longer than the member \(ar_size \d+\)$/ },

  // gzip: GNU gzip with FNAME.
  { format: 'gzip', name: 'compression method', sample: 'gzip/gnu/a/hello.txt.gz', corrupt: edit((b) => (b[2] = 7)), message: /^gzip compression method at 0x2 is 7, not 8 \(deflate\)$/ },
  { format: 'gzip', name: 'reserved flag', sample: 'gzip/gnu/a/hello.txt.gz', corrupt: edit((b) => (b[3] |= 0x20)), message: /^gzip flags at 0x3 are 0x28: reserved bits 0xe0 are set$/ },
  { format: 'gzip', name: 'XLEN past the end', sample: 'gzip/gnu/a/hello.txt.gz', corrupt: edit((b) => ((b[3] |= 0x04), b.writeUInt16LE(0xffff, 10))), message: /^gzip extra field at 0xa: XLEN 65535 runs past the end of the file \(size 0x56\)$/ },
  { format: 'gzip', name: 'FNAME without its NUL', sample: 'gzip/gnu/a/hello.txt.gz', corrupt: truncate(15), message: /^gzip FNAME at 0xa has no terminating NUL before the end \(size 0xf\)$/ },
  { format: 'gzip', name: 'no room for the trailer', sample: 'gzip/gnu/a/hello.txt.gz', corrupt: truncate((b) => b.indexOf(0, 10) + 4), message: /^gzip header ends at 0x14, leaving no room for compressed data and the 8-byte trailer \(size 0x17\)$/ },

  // PE: lld-exe app.exe.
  { format: 'pe', name: 'sections past the end', sample: 'pe/lld-exe/a/app.exe', corrupt: u16((b) => fileHeader(b) + 2, 0xffff), message: /^section table at 0x180: 65535 sections run past the end of the file \(size 0xa00\)$/ },
  { format: 'pe', name: 'optional header magic', sample: 'pe/lld-exe/a/app.exe', corrupt: u16(optionalHeader, 0x107), message: /^optional header at 0x90: Magic 0x107 is neither PE32 \(0x10b\) nor PE32\+ \(0x20b\)$/ },
  { format: 'pe', name: 'optional header too small', sample: 'pe/lld-exe/a/app.exe', corrupt: u16((b) => fileHeader(b) + 16, 1), message: /^COFF file header at 0x7c: SizeOfOptionalHeader 1 is too small for an image$/ },
  {
    format: 'pe',
    name: 'optional header past the end',
    sample: 'pe/lld-exe/a/app.exe',
    corrupt: u16((b) => fileHeader(b) + 16, 0xf000),
    message: /^optional header at 0x90 \(61440 bytes\) runs past the end of the file \(size 0xa00\): the file is truncated or SizeOfOptionalHeader in the COFF file header at 0x7c is wrong$/,
  },
  {
    format: 'pe',
    name: 'debug directory RVA outside every section',
    sample: 'pe/lld-exe/a/app.exe',
    corrupt: u32((b) => dataDirectory(b, 6), 0x7fff0000),
    message: /^debug directory at RVA 0x7fff0000 is not inside any section nor the headers \(SizeOfHeaders 0x400; data directory entry at 0x130\)$/,
  },
  {
    format: 'pe',
    name: 'CodeView data past the end',
    sample: 'pe/lld-exe/a/app.exe',
    corrupt: u32((b) => debugEntry(b) + 24, 0x7ffffff0),
    message: /^PE debug directory at 0x[0-9a-f]+ points past end of file: CodeView data at 0x7ffffff0\+0x[0-9a-f]+ \(size 0xa00\)$/,
  },
  {
    format: 'pe',
    name: 'resource entries past the resource data',
    sample: 'pe/mingw-dll/a/lib.dll',
    corrupt: u16((b) => resourceRoot(b) + 14, 0xffff),
    message: /^resource directory root at 0x[0-9a-f]+: \d+ entries run past the resource data \(Size 0x[0-9a-f]+ in the data directory entry at 0x[0-9a-f]+\)$/,
  },

  // COFF objects: clang main.obj, gas /bigobj, a short import object inside an llvm-lib import library.
  {
    format: 'coff',
    name: 'NumberOfSections over the limit',
    sample: 'pe/clang-obj/a/main.obj',
    corrupt: u16(2, 0xffff),
    message: /^IMAGE_FILE_HEADER at 0x0: NumberOfSections 65535 is more than 65279, the most a regular object can have \(larger objects use the \/bigobj header\)$/,
  },
  {
    format: 'coff',
    name: 'symbol table past the end',
    sample: 'pe/clang-obj/a/main.obj',
    corrupt: u32(12, 0x10000),
    message: /^IMAGE_FILE_HEADER at 0x0: the symbol table at 0x[0-9a-f]+ \(NumberOfSymbols 65536, 18 bytes each\) runs past the end of the object \(size 0x[0-9a-f]+\)$/,
  },
  {
    format: 'coff',
    name: 'string table size past the end',
    sample: 'pe/clang-obj/a/main.obj',
    corrupt: u32(stringTable, 0x7fffffff),
    message: /^string table at 0x[0-9a-f]+: its size 0x7fffffff runs past the end of the object \(size 0x[0-9a-f]+\)$/,
  },
  {
    format: 'coff',
    name: 'section data past the end',
    sample: 'pe/clang-obj/a/main.obj',
    corrupt: u32(20 + 20, 0x7fff0000),
    message: /^section 1 \("\.text"\) header at 0x14: raw data at 0x7fff0000 \(SizeOfRawData 0x[0-9a-f]+\) runs past the end of the object \(size 0x[0-9a-f]+\)$/,
  },
  {
    format: 'coff',
    name: 'relocations past the end',
    sample: 'pe/clang-obj/a/main.obj',
    corrupt: u32(20 + 24, 0x7fff0000),
    message: /^section 1 \("\.text"\) header at 0x14: \d+ relocations at 0x7fff0000 run past the end of the object/,
  },
  {
    format: 'coff',
    name: '/bigobj version below 2',
    sample: 'pe/gas-bigobj/a/big.o',
    corrupt: u16(4, 1),
    message: /^ANON_OBJECT_HEADER_BIGOBJ at 0x0: Version 1 is below 2, the first \/bigobj version$/,
  },
  {
    format: 'coff',
    name: 'import object SizeOfData past the end (inside a .lib)',
    sample: 'pe/lld-dll/a/foo.lib',
    corrupt: u32(0x424 + 60 + 12, 0x1000),
    message: /^member foo\.dll \(coff at 0x460\): IMPORT_OBJECT_HEADER at 0x0: SizeOfData 0x1000 runs past the end of the object \(size 0x20\)$/,
  },

  // PDB: lld-exe app.pdb (4096-byte blocks); alone it is read as far as its GUID, beside its PE it is planned.
  { format: 'pdb', name: 'block size', sample: 'pe/lld-exe/a/app.pdb', corrupt: u32(32, 3), message: /^MSF superblock at 0x20: BlockSize 3 is not one of 512, 1024, 2048, 4096$/ },
  { format: 'pdb', name: 'free block map block', sample: 'pe/lld-exe/a/app.pdb', corrupt: u32(36, 3), message: /^MSF superblock at 0x24: FreeBlockMapBlock 3 is neither 1 nor 2$/ },
  { format: 'pdb', name: 'directory size', sample: 'pe/lld-exe/a/app.pdb', corrupt: u32(44, 125), message: /^MSF superblock at 0x2c: NumDirectoryBytes 125 is not a positive multiple of 4$/ },
  { format: 'pdb', name: 'block map past the last block', sample: 'pe/lld-exe/a/app.pdb', corrupt: u32(52, 0x10000), message: /^MSF superblock BlockMapAddr at 0x34 is block 65536, past the last block \(NumBlocks 19\)$/ },
  {
    format: 'pdb',
    name: 'truncated file',
    sample: 'pe/lld-exe/a/app.pdb',
    corrupt: truncate(50000),
    message: /^MSF superblock at 0x28: NumBlocks 19 × BlockSize 4096 = 0x13000 bytes, more than the file holds \(size 0xc350\)$/,
  },
  {
    format: 'pdb',
    name: 'stream count',
    sample: 'pe/lld-exe/a/app.pdb',
    corrupt: u32(msfDirectory, 0x40000000),
    message: /^MSF stream directory at 0x12000: NumStreams 1073741824 needs 4294967300 bytes of stream sizes, but the directory has \d+ \(NumDirectoryBytes\)$/,
  },
  {
    format: 'pdb',
    name: 'DBI stream too short (beside its executable)',
    sample: 'pe/lld-exe/a/app.pdb',
    beside: 'pe/lld-exe/a/app.exe',
    corrupt: u32((b) => msfDirectory(b) + 16, 8),
    message: /^MSF stream directory at 0x12010: the DBI stream is 8 bytes, too short for its header \(VersionSignature, VersionHeader, Age\)$/,
  },

  // Mach-O: arm64 dylib (ad-hoc signed), and the fat dylib.
  { format: 'macho', name: 'ncmds', sample: 'macho/arm64-dylib/a/libdemo.dylib', corrupt: u32(16, 100000), message: /^mach header at 0x0: ncmds 100000 cannot fit in sizeofcmds \d+$/ },
  { format: 'macho', name: 'sizeofcmds', sample: 'macho/arm64-dylib/a/libdemo.dylib', corrupt: u32(20, 0x7fffffff), message: /^mach header at 0x0: sizeofcmds 2147483647 runs past the end of the file \(size 0xc4b0\)$/ },
  { format: 'macho', name: 'cmdsize 0', sample: 'macho/arm64-dylib/a/libdemo.dylib', corrupt: u32(32 + 4, 0), message: /^load command 0 at 0x20: cmdsize 0 is below 8 or runs past sizeofcmds \d+$/ },
  {
    format: 'macho',
    name: 'symbols past the end',
    sample: 'macho/arm64-dylib/a/libdemo.dylib',
    corrupt: u32((b) => loadCommand(b, 0x2) + 8, 0x7ffff000),
    message: /^LC_SYMTAB: \d+ symbols at 0x7ffff000 run past the end of the file \(size 0xc4b0\); load command at 0x[0-9a-f]+$/,
  },
  {
    format: 'macho',
    name: 'signature magic',
    sample: 'macho/arm64-dylib/a/libdemo.dylib',
    corrupt: u32be(signature, 0x12345678),
    message: /^code signature at 0x[0-9a-f]+: magic 0x12345678 is not an embedded signature \(0xfade0cc0\)$/,
  },
  {
    format: 'macho',
    name: 'CodeDirectory slot count',
    sample: 'macho/arm64-dylib/a/libdemo.dylib',
    corrupt: u32be((b) => codeDirectory(b) + 28, 0x00ffffff),
    message: /^CodeDirectory at 0x[0-9a-f]+: nCodeSlots 16777215 does not match codeLimit 0x[0-9a-f]+ \/ page 4096 \(\d+ slots\)$/,
  },
  {
    format: 'macho',
    name: 'CodeDirectory magic',
    sample: 'macho/arm64-dylib/a/libdemo.dylib',
    corrupt: u32be(codeDirectory, 0xfade0c01),
    message: /^CodeDirectory at 0x[0-9a-f]+: magic 0xfade0c01 is not 0xfade0c02$/,
  },
  { format: 'macho', name: 'fat: nfat_arch', sample: 'macho/fat/a/libdemo.dylib', corrupt: u32be(4, 1000), message: /^fat header at 0x0: nfat_arch 1000 is more than 64, the most unstamp accepts$/ },
  {
    format: 'macho',
    name: 'fat: slices overlapping',
    sample: 'macho/fat/a/libdemo.dylib',
    corrupt: edit((b) => b.writeUInt32BE(b.readUInt32BE(8 + 8) + 0x100, 8 + 20 + 8)),
    message: /^fat_arch at 0x1c: slice at 0x1100 overlaps the slice at 0x1000$|^fat_arch 1 at 0x1c: slice 0x[0-9a-f]+\+0x[0-9a-f]+ lies outside the file/,
  },
  {
    format: 'macho',
    name: 'fat: a load command in the second slice',
    sample: 'macho/fat/a/libdemo.dylib',
    corrupt: u32(0x8244, 0x800a),
    message: /^member slice 0x100000c@0x8000 \(macho at 0x8000\): load command 2 at 0x240: cmdsize 32778 is below 8 or runs past sizeofcmds \d+$/,
  },

  // zip: Info-ZIP demo.zip, and bsdtar's zip64.
  { format: 'zip', name: 'no end record', sample: 'zip/infozip/a/demo.zip', corrupt: truncate(eocd), message: /^no end of central directory record \("PK\\5\\6"\) in the last 1126 bytes \(0x0\.\.0x466\): truncated or not a zip$/ },
  {
    format: 'zip',
    name: 'central directory offset',
    sample: 'zip/infozip/a/demo.zip',
    corrupt: u32((b) => eocd(b) + 16, 0x7ffffff0),
    message: /^end of central directory at 0x466: central directory 0x7ffffff0\+0x1d5 does not fit before it$/,
  },
  {
    format: 'zip',
    name: 'central entry signature',
    sample: 'zip/infozip/a/demo.zip',
    corrupt: u32((b) => central(b, 2), 0x12345678),
    message: /^central directory entry 2 at 0x32e: bad signature 0x12345678, not 0x2014b50 \("PK\\1\\2"\)$/,
  },
  {
    format: 'zip',
    name: 'extra field length',
    sample: 'zip/infozip/a/demo.zip',
    corrupt: u16((b) => centralExtra(b, 0) + 2, 30),
    message: /^central directory entry 0 \("hello\.txt"\): central extra field 0x5455 at 0x2c8: size 30 runs past the extra data \(24 bytes at 0x2c8, 20 left after this field's header\)$/,
  },
  {
    format: 'zip',
    name: 'ux uid size',
    sample: 'zip/infozip/a/demo.zip',
    corrupt: edit((b) => (b[centralExtra(b, 1) + 9 + 5] = 200)),
    message: /^central directory entry 1 \("data\.bin"\): central extra field 0x7875 at 0x31f: uid\/gid sizes 200\/\? run past the field$/,
  },
  {
    format: 'zip',
    name: 'local header offset past the end',
    sample: 'zip/infozip/a/demo.zip',
    corrupt: u32((b) => central(b, 3) + 42, 0x7ffffff0),
    message: /^central directory entry 3 \("sub\/"\): local header offset 0x7ffffff0 runs past the end of the file \(size 0x47c\)$/,
  },
  {
    format: 'zip',
    name: 'local header signature',
    sample: 'zip/infozip/a/demo.zip',
    corrupt: u32((b) => local(b, 4), 0x04034b51),
    message: /^central directory entry 4 \("sub\/nested\.txt"\): local header at 0x1e5 has a bad signature 0x4034b51, not 0x4034b50 \("PK\\3\\4"\)$/,
  },
  {
    format: 'zip',
    name: 'two entries share a local header',
    sample: 'zip/infozip/a/demo.zip',
    corrupt: u32((b) => central(b, 5) + 42, 0x9c),
    message: /^central directory entry 5 \("link\.txt"\): local header offset 0x9c is also that of central directory entry 1; entries cannot share a local header$/,
  },
  {
    format: 'zip',
    name: 'member data over the central directory',
    sample: 'zip/infozip/a/demo.zip',
    corrupt: u32((b) => central(b, 5) + 20, 0x100),
    message: /^central directory entry 5 \("link\.txt"\): its data at 0x288 \(compressed size 0x100\) runs into the central directory at 0x291$/,
  },
  {
    format: 'zip',
    name: 'entry count too high',
    sample: 'zip/infozip/a/demo.zip',
    corrupt: u16((b) => eocd(b) + 10, 7),
    message: /^central directory entry 6 at 0x466 runs past the central directory \(ends 0x466\)$/,
  },
  {
    format: 'zip',
    name: 'entry count absurd',
    sample: 'zip/infozip/a/demo.zip',
    corrupt: u16((b) => eocd(b) + 10, 0xffff),
    message: /^end of central directory at 0x466: 65535 entries need at least 3014610 bytes \(46 each\), but the central directory is 469 bytes$/,
  },
  {
    format: 'zip',
    name: 'zip64 locator pointing at no record',
    sample: 'zip/bsdtar-zip64/a/demo.zip',
    corrupt: edit((b) => b.writeBigUInt64LE(0x10n, b.lastIndexOf(Buffer.from('PK\x06\x07', 'latin1')) + 8)),
    message: /^zip64 end of central directory record at 0x10: bad signature 0x[0-9a-f]+, not 0x6064b50 \("PK\\6\\6"\); the zip64 locator at 0x59d points there$/,
  },
];

t.test('each kind of corruption gives its own message, naming the rule and the offset', async (t) => {
  const dir = tempDir(t);
  const files = rows.map((row, i) => {
    const bytes = row.corrupt(Buffer.from(read(row.sample)));
    // Each PDB planned beside its executable gets a folder of its own, so it pairs with that copy.
    const folder = row.beside ? path.join(dir, `pair-${i}`) : dir;
    mkdirSync(folder, { recursive: true });
    // (Named as in its sample: the executable sorts first, as the pairing expects.)
    const file = path.join(folder, row.beside ? path.basename(row.sample) : `${String(i).padStart(2, '0')}-${row.format}-${path.basename(row.sample)}`);
    writeFileSync(file, bytes);
    if (row.beside) copyFileSync(path.join(samples, row.beside), path.join(folder, path.basename(row.beside)));
    return { row, file, bytes };
  });

  const run = cli([dir]);
  t.equal(run.code, 3, 'exit 3: files failed');
  t.notMatch(run.stderr, /\n\s+at |internal error/, 'no stack trace, no internal error');
  const lines = run.stderr.split('\n').filter(Boolean);
  // An executable beside a PDB that cannot be normalized is not written either (so the two still match), and says so.
  const partner = (f: (typeof files)[number]) => path.join(path.dirname(f.file), path.basename(f.row.beside ?? ''));
  const strays = lines.filter((l) => !files.some((f) => l.startsWith(`unstamp: ${f.file}: `) || (f.row.beside && l.startsWith(`unstamp: ${partner(f)}: its PDB `))));
  t.same(strays, [], 'one line on stderr per corrupt file (and per executable held back with its PDB), nothing else');
  const json = JSON.parse(cli(['--json', dir]).stdout) as { files: { path: string; status: string; error?: { message: string; offset?: number } }[] };

  for (const { row, file, bytes } of files) {
    t.test(`${row.format}: ${row.name}`, async (t) => {
      const prefix = `unstamp: ${file}: `;
      const line = lines.find((l) => l.startsWith(prefix));
      t.ok(line, 'its one line is on stderr');
      t.ok(line?.endsWith('; left untouched'), 'the line ends "; left untouched"');
      const message = line?.slice(prefix.length, -'; left untouched'.length) ?? '';
      t.match(message, row.message, 'the specific rule');
      t.match(message, /0x[0-9a-f]+/, 'an offset is named');
      const entry = json.files.find((f) => f.path === file);
      t.equal(entry?.status, 'failed');
      t.equal(entry?.error?.message, message, '--json gives the same message');
      const offset = entry?.error?.offset;
      t.ok(typeof offset === 'number' && offset >= 0 && offset < bytes.length, `--json gives the offset, inside the file (${offset})`);
      t.ok(readFileSync(file).equals(bytes), 'byte-for-byte untouched');
    });
  }
});
