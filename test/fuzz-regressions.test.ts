// Mutants `npm run fuzz` found a problem with, made again from the sample by the same
// edit, so each stays fixed. Every row is a refusal: the run must fail with the rule
// named, the error's offset must be a file offset inside the file (inside the member it
// is about, for a member of a container), and the file must be left untouched.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { normalizeFile } from '../src/index.js';
import { samples, tempDir } from './helpers.js';

interface Row {
  /** Where the fuzzer found it: sample and mutant index (the seed follows from them). */
  found: string;
  sample: string;
  edit: (b: Buffer) => Buffer;
  message: RegExp;
  /** The offset the error must carry, when it is known exactly. */
  offset?: number;
  /** For a member of a container: where the member starts (the offset is at or after it). */
  member?: number;
}

const set32 = (at: number, v: number) => (b: Buffer) => (b.writeUInt32LE(v >>> 0, at), b);
const set16 = (at: number, v: number) => (b: Buffer) => (b.writeUInt16LE(v, at), b);
const setText = (at: number, text: string) => (b: Buffer) => (b.write(text, at, 'latin1'), b);
const flip = (...bits: [number, number][]) => (b: Buffer) => {
  for (const [at, bit] of bits) b[at] ^= 1 << bit;
  return b;
};
const truncate = (n: number) => (b: Buffer) => b.subarray(0, n);
const cut = (at: number, n: number) => (b: Buffer) => Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);

const rows: Row[] = [
  // PE: an RVA that maps nowhere was refused with no file offset; it now points at the data directory entry.
  {
    found: 'pe/lld-exe/a/app.exe mutant 33',
    sample: 'pe/lld-exe/a/app.exe',
    edit: set32(0x1b4, 0x12a),
    message: /debug directory at RVA 0x2000 is not inside any section nor the headers \(SizeOfHeaders 0x400; data directory entry at 0x130\)/,
    offset: 0x130,
  },
  {
    found: 'pe/lld-exe32/a/app.exe mutant 109',
    sample: 'pe/lld-exe32/a/app.exe',
    edit: set32(0x124, 0xffffffff),
    message: /debug directory at RVA 0x2000: its 4294967292 bytes lie outside the file data of section "\.rdata" \(RVA 0x2000, raw size 0x200; data directory entry at 0x120\)/,
    offset: 0x120,
  },
  {
    found: 'pe/mingw-dll/a/lib.dll mutant 14',
    sample: 'pe/mingw-dll/a/lib.dll',
    edit: flip([0x25c, 0], [0x94, 0]),
    message: /export directory at RVA 0x8000: its 40 bytes lie outside the file data of section/,
  },
  // PE resources: a subdirectory past the data, or past a truncated end, named a place outside the file.
  {
    found: 'pe/mingw-exe/a/app.exe mutant 32',
    sample: 'pe/mingw-exe/a/app.exe',
    edit: set16(0x9a1c, 0x8000),
    message: /resource directory 16 at offset 0x8000 of the resource data \(pointed to at 0x9a1c\) lies outside the resource data \(Size 0x350 in the data directory entry at 0x118\)/,
    offset: 0x9a1c,
  },
  {
    found: 'pe/mingw-exe/a/app.exe mutant 54',
    sample: 'pe/mingw-exe/a/app.exe',
    edit: truncate(0x9a38),
    message: /resource directory 16 at 0x9a50 \(pointed to at 0x9a1c\) runs past the end of the file \(size 0x9a38\)/,
    offset: 0x9a1c,
  },
  // Mach-O: the offsets of LC_SYMTAB and LC_CODE_SIGNATURE data named places past the end.
  {
    found: 'macho/arm64-dylib/a/libbase.dylib mutant 100',
    sample: 'macho/arm64-dylib/a/libbase.dylib',
    edit: truncate(0xe05),
    message: /LC_SYMTAB: 6 symbols at 0x4020 run past the end of the file \(size 0xe05\); load command at 0x[0-9a-f]+/,
  },
  {
    found: 'macho/arm64-dylib/a/libbase.dylib mutant 111',
    sample: 'macho/arm64-dylib/a/libbase.dylib',
    edit: truncate(0x4082),
    message: /LC_CODE_SIGNATURE: signature at 0x40f0\+0x120 runs past the end of the file \(size 0x4082\) or is too small for a SuperBlob; load command at 0x[0-9a-f]+/,
  },
  // Members of containers: errors carried the offset inside the member instead of the file offset.
  {
    found: 'macho/fat/a/libdemo.dylib mutant 101',
    sample: 'macho/fat/a/libdemo.dylib',
    edit: set32(0x8244, 0x800a),
    message: /member slice 0x100000c@0x8000 \(macho at 0x8000\): load command 2 at 0x240: cmdsize 32778 is below 8 or runs past sizeofcmds/,
    offset: 0x8244,
    member: 0x8000,
  },
  {
    found: 'macho/static/a/libdemo-darwin.a mutant 157',
    sample: 'macho/static/a/libdemo-darwin.a',
    edit: flip([0x8d6, 4], [0xe2, 6], [0x9cb, 2], [0xe0, 3]),
    message: /member demo-x86_64\.o \(macho at 0xd0\): mach header at 0x0: ncmds 4194316 cannot fit in sizeofcmds 1160/,
    offset: 0xd0 + 0x10,
    member: 0xd0,
  },
  {
    found: 'macho/static/a/libdemo-universal.a mutant 141',
    sample: 'macho/static/a/libdemo-universal.a',
    edit: setText(0x48, '-1          '),
    message: /member slice 0x1000007@0x30 \(ar at 0x30\): member header at 0x8: ar_date "-1          " is not a decimal number/,
    offset: 0x48,
    member: 0x30,
  },
  {
    found: 'ar/gnu-nested-gz/a/libdata.a mutant 188',
    sample: 'ar/gnu-nested-gz/a/libdata.a',
    edit: flip([0x49, 7], [0x48, 5], [0x46, 5], [0xf, 5]),
    message: /\(gzip at 0x44\): gzip compression method at 0x2 is 40, not 8 \(deflate\)/,
    offset: 0x46,
    member: 0x44,
  },
  {
    found: 'zip/nested/a/outer.zip mutant 129',
    sample: 'zip/nested/a/outer.zip',
    edit: flip([0x233, 6], [0x7ae, 2]),
    message: /member demo\.jar \(zip at 0x1f4\): central directory entry \d+ \("META-INF\/MANIFEST\.MF"\): local header at 0x3d has a bad signature 0x4434b50/,
    offset: 0x1f4 + 0x3d,
    member: 0x1f4,
  },
  {
    found: 'zip/nested/a/outer.zip mutant 155',
    sample: 'zip/nested/a/outer.zip',
    edit: set16(0x210, 0x231),
    message: /member demo\.jar \(zip at 0x1f4\): central directory entry 0 \("META-INF\/"\): local header at 0x0: name and extra lengths 9 \+ 561 run past the end of the file|member demo\.jar \(zip at 0x1f4\): central directory entry 0 \("META-INF\/"\): local extra field 0x[0-9a-f]+ at 0x[0-9a-f]+: size \d+ runs past the extra data/,
    member: 0x1f4,
  },
  // zip: a local header whose extra length runs past the end of the file.
  {
    found: 'zip/bsdtar-zip64/a/demo.zip mutant 131',
    sample: 'zip/bsdtar-zip64/a/demo.zip',
    edit: set16(0x19d, 0x57f),
    message: /local header at 0x[0-9a-f]+: name and extra lengths 1407 \+ \d+ run past the end of the file \(size 0x5c7\)/,
    offset: 0x19d,
  },
  // zip64: a locator pointing past the end.
  {
    found: 'zip/bsdtar-zip64/a/demo.zip mutant 166',
    sample: 'zip/bsdtar-zip64/a/demo.zip',
    edit: cut(0x49c, 101),
    message: /zip64 end of central directory locator at 0x[0-9a-f]+: the record offset 0x565 leaves no room for the 56-byte zip64 end of central directory record before the locator/,
  },
  // PE: a section whose raw data lies over the section table put the export directory there;
  // rewriting its TimeDateStamp rewrote a section header, and llvm-readobj then refused the file.
  {
    found: 'pe/mingw-dll/a/lib.dll mutant 226 (llvm-readobj refused the result, the second run failed)',
    sample: 'pe/mingw-dll/a/lib.dll',
    edit: (b) => set32(0x24c, 0x33ec)(set32(0x28c, 0x1dc)(b)),
    message: /export directory TimeDateStamp at 0x1e0 lies inside the PE headers and section table at 0x80\.\.0x368, which unstamp reads to find the fields: the structures overlap/,
    offset: 0x1e0,
  },
  // zip: a local header whose name ran over the next members was accepted; with --zip-order
  // name the members were moved whole and the second run refused what the first had written.
  {
    found: 'zip/wheel/a/demo-1.0-py3-none-any.whl mutant 769 (second run failed after --zip-order name)',
    sample: 'zip/wheel/a/demo-1.0-py3-none-any.whl',
    edit: flip([0xd2, 3], [0x1b, 2], [0x219, 5]),
    message: /^central directory entry 0 \("demo\/__init__\.py"\): local header at 0x0: its name and extra \(up to 0x42e\) run into the local header of central directory entry 1 at 0x68$/,
    offset: 0x1a,
  },
  {
    found: 'zip/tz-wheel/a/demo-1.0-py3-none-any.whl mutant 2789 (second run failed after --zip-order name)',
    sample: 'zip/tz-wheel/a/demo-1.0-py3-none-any.whl',
    edit: (b) => set16(0x152, 0x3b6)(set16(0x479, 0x8000)(b)),
    message: /^central directory entry 3 \("demo-1\.0\.dist-info\/WHEEL"\): local header at 0x138: its name and extra \(up to 0x50c\) run into the local header of central directory entry 4 at 0x1ca$/,
    offset: 0x152,
  },
];

for (const row of rows) {
  t.test(`${row.found}: refused with the rule and a file offset, untouched`, async (t) => {
    const bytes = row.edit(Buffer.from(readFileSync(path.join(samples, row.sample))));
    const file = path.join(tempDir(t), path.basename(row.sample));
    writeFileSync(file, bytes);
    const r = await normalizeFile(file, { epoch: 0 });
    t.equal(r.status, 'failed');
    t.match(r.error?.message, row.message);
    const offset = r.error?.offset;
    t.type(offset, 'number', 'the error carries an offset');
    t.ok(offset !== undefined && offset >= 0 && offset < bytes.length, `offset ${offset} lies inside the file (size ${bytes.length})`);
    if (row.offset !== undefined) t.equal(offset, row.offset, 'the offset of the field at fault');
    if (row.member !== undefined) t.ok(offset !== undefined && offset >= row.member, 'a file offset, not an offset inside the member');
    t.ok(readFileSync(file).equals(bytes), 'byte-for-byte untouched');
  });
}
