import { createHash, type Hash } from 'node:crypto';
import { FormatError, SkipFile, hex } from '../../core/errors.js';
import type { DerivedHasher, PlanContext } from '../../core/format.js';
import { renderTime } from '../../core/time.js';
import { feedZeroed, u32be, u32le } from '../shared/bytes.js';
import { Layout, type Write } from '../shared/layout.js';
import * as S from './spec.js';
import { mergeSpans, needlesOf, remapRange, remapWanted } from '../../core/remap.js';

type Range = { start: number; end: number };

/** Integer reads in the file's byte order. */
interface Endian {
  u32(b: Buffer, at: number): number;
  u64(b: Buffer, at: number): bigint;
  put32(v: number): Buffer;
}
const LE: Endian = {
  u32: (b, at) => b.readUInt32LE(at),
  u64: (b, at) => b.readBigUInt64LE(at),
  put32: u32le,
};
const BE: Endian = {
  u32: (b, at) => b.readUInt32BE(at),
  u64: (b, at) => b.readBigUInt64BE(at),
  put32: u32be,
};

function uuidText(b: Buffer): string {
  const h = b.toString('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** SHA-256 of the slice with the UUID and the code signature zeroed: the new LC_UUID. */
function uuidHasher(masks: Range[]): DerivedHasher {
  const hash = createHash('sha256');
  return {
    update(chunk, offset) {
      feedZeroed((piece) => hash.update(piece), chunk, offset, masks);
    },
    digest() {
      const u = hash.digest().subarray(0, 16);
      // RFC 4122 name-based (version 5) and variant bits: a content digest, not random.
      u[6] = (u[6] & 0x0f) | 0x50;
      u[8] = (u[8] & 0x3f) | 0x80;
      return Buffer.from(u);
    },
  };
}

/** A hasher over one code page, giving the first `size` bytes of the digest. */
function pageHasher(algorithm: string, size: number): DerivedHasher {
  const hash: Hash = createHash(algorithm);
  return { update: (chunk) => void hash.update(chunk), digest: () => Buffer.from(hash.digest().subarray(0, size)) };
}

interface Signature {
  dataoff: number;
  datasize: number;
  /** Offset of the LC_CODE_SIGNATURE command, for messages. */
  command: number;
}

/**
 * The code signature: every CodeDirectory's code slots become derived fields (one page
 * each) in the last stage, after the UUID. A signature made with an identity (a
 * non-empty CMS blob) cannot be redone here: the file is skipped.
 */
async function planSignature(ctx: PlanContext, sig: Signature, stage: number, layout: Layout, writes: Write[]): Promise<void> {
  const r = ctx.reader;
  const at = sig.dataoff;
  if (sig.datasize < S.SUPERBLOB_HEADER_SIZE || at + sig.datasize > r.size) {
    throw new FormatError(
      `LC_CODE_SIGNATURE: signature at ${hex(at)}+${hex(sig.datasize)} runs past the end of the file (size ${hex(r.size)}) or is too small for a SuperBlob; load command at ${hex(sig.command)}`,
      r.base + sig.command + S.linkedit_dataoff,
    );
  }
  const head = await r.read(at, S.SUPERBLOB_HEADER_SIZE, 'code signature SuperBlob');
  if (head.readUInt32BE(0) !== S.CSMAGIC_EMBEDDED_SIGNATURE) {
    throw new FormatError(`code signature at ${hex(at)}: magic ${hex(head.readUInt32BE(0))} is not an embedded signature (0xfade0cc0)`, r.base + at);
  }
  const length = head.readUInt32BE(4);
  const count = head.readUInt32BE(8);
  if (length > sig.datasize || S.SUPERBLOB_HEADER_SIZE + count * S.BLOB_INDEX_SIZE > length) {
    throw new FormatError(`code signature at ${hex(at)}: SuperBlob length ${length} / count ${count} do not fit its ${sig.datasize} bytes`, r.base + at);
  }
  const index = await r.read(at + S.SUPERBLOB_HEADER_SIZE, count * S.BLOB_INDEX_SIZE, 'code signature index');
  const slots: Range[] = [];
  const directories: number[] = [];
  for (let i = 0; i < count; i++) {
    const type = index.readUInt32BE(i * S.BLOB_INDEX_SIZE);
    const offset = index.readUInt32BE(i * S.BLOB_INDEX_SIZE + 4);
    if (offset + S.EMPTY_BLOB_SIZE > length) {
      throw new FormatError(`code signature at ${hex(at)}: blob ${i} (type ${hex(type)}) at +${hex(offset)} lies outside the SuperBlob (length ${length})`, r.base + at);
    }
    if (type === S.CSSLOT_SIGNATURESLOT) {
      const blob = await r.read(at + offset, S.EMPTY_BLOB_SIZE, 'CMS blob');
      if (blob.readUInt32BE(4) > S.EMPTY_BLOB_SIZE) throw new SkipFile('signed with an identity (CMS signature present): sign after unstamp');
    }
    if (type === S.CSSLOT_CODEDIRECTORY || (type >= S.CSSLOT_ALTERNATE_CODEDIRECTORIES && type < S.CSSLOT_ALTERNATE_CODEDIRECTORIES + S.CSSLOT_ALTERNATE_CODEDIRECTORY_MAX)) {
      directories.push(offset);
    }
  }
  for (const [n, offset] of directories.entries()) {
    const cdAt = at + offset;
    const cd = await r.read(cdAt, Math.min(S.CD_MIN_SIZE + 20, length - offset), 'CodeDirectory');
    if (cd.length < S.CD_MIN_SIZE) {
      throw new FormatError(`CodeDirectory at ${hex(cdAt)}: ${cd.length} bytes left in the SuperBlob (length ${length}), less than its ${S.CD_MIN_SIZE}-byte header`, r.base + cdAt);
    }
    if (cd.readUInt32BE(0) !== S.CSMAGIC_CODEDIRECTORY) {
      throw new FormatError(`CodeDirectory at ${hex(cdAt)}: magic ${hex(cd.readUInt32BE(0))} is not ${hex(S.CSMAGIC_CODEDIRECTORY)}`, r.base + cdAt);
    }
    const cdLength = cd.readUInt32BE(S.cd_length);
    const version = cd.readUInt32BE(S.cd_version);
    const hashOffset = cd.readUInt32BE(S.cd_hashOffset);
    const nCodeSlots = cd.readUInt32BE(S.cd_nCodeSlots);
    const hashSize = cd[S.cd_hashSize];
    const hashType = S.CS_HASHTYPES[cd[S.cd_hashType]];
    const pageShift = cd[S.cd_pageSize];
    let codeLimit = cd.readUInt32BE(S.cd_codeLimit);
    if (version >= S.CS_SUPPORTSCODELIMIT64 && cd.length >= S.cd_codeLimit64 + 8) {
      const limit64 = Number(cd.readBigUInt64BE(S.cd_codeLimit64));
      if (limit64 !== 0) codeLimit = limit64;
    }
    if (!hashType || hashType.size !== hashSize) {
      throw new FormatError(`CodeDirectory at ${hex(cdAt)}: hashType ${cd[S.cd_hashType]} with hashSize ${hashSize} is not a known hash`, r.base + cdAt + S.cd_hashSize);
    }
    if (codeLimit > r.size || codeLimit > sig.dataoff) {
      throw new FormatError(`CodeDirectory at ${hex(cdAt)}: codeLimit ${hex(codeLimit)} runs past the signed code (signature at ${hex(sig.dataoff)})`, r.base + cdAt + S.cd_codeLimit);
    }
    const nSpecialSlots = cd.readUInt32BE(S.cd_nSpecialSlots);
    if (hashOffset < S.codeDirectoryHeaderSize(version) + nSpecialSlots * hashSize) {
      throw new FormatError(
        `CodeDirectory at ${hex(cdAt)}: hashOffset ${hex(hashOffset)} with ${nSpecialSlots} special slots overlaps its version ${hex(version)} header`,
        r.base + cdAt + S.cd_hashOffset,
      );
    }
    const pageSize = pageShift === 0 ? Math.max(codeLimit, 1) : 2 ** pageShift;
    const expected = Math.ceil(codeLimit / pageSize);
    if (nCodeSlots !== expected) {
      const page = pageShift === 0 ? 'one page (pageSize 0)' : `page ${pageShift < 32 ? pageSize : `2^${pageShift}`}`;
      throw new FormatError(`CodeDirectory at ${hex(cdAt)}: nCodeSlots ${nCodeSlots} does not match codeLimit ${hex(codeLimit)} / ${page} (${expected} slots)`, r.base + cdAt + S.cd_nCodeSlots);
    }
    const end = Math.min(length, offset + cdLength);
    if (offset + hashOffset + nCodeSlots * hashSize > end) {
      throw new FormatError(
        `CodeDirectory at ${hex(cdAt)}: ${nCodeSlots} code slots of ${hashSize} bytes at hashOffset ${hex(hashOffset)} run past the CodeDirectory (length ${cdLength}, ${end - offset} bytes inside the SuperBlob)`,
        r.base + cdAt + S.cd_hashOffset,
      );
    }
    if (!(cd.readUInt32BE(S.cd_flags) & S.CS_ADHOC)) ctx.note(`CodeDirectory ${n} is not flagged ad-hoc but carries no CMS signature; its code slots are recomputed`);
    const label = n === 0 ? 'CodeDirectory' : `alternate CodeDirectory ${n}`;
    const hashesAt = cdAt + hashOffset;
    slots.push({ start: hashesAt, end: hashesAt + nCodeSlots * hashSize });
    writes.push({ offset: hashesAt, size: nCodeSlots * hashSize, field: `${label} code slots` });
    for (let slot = 0; slot < nCodeSlots; slot++) {
      const start = slot * pageSize;
      ctx.derive({
        offset: cdAt + hashOffset + slot * hashSize,
        size: hashSize,
        field: `${label} (${hashType.name}) code slot ${slot}`,
        stage,
        range: { start, end: Math.min(start + pageSize, codeLimit) },
        render: (b) => b.toString('hex').slice(0, 16) + '…',
        createHasher: () => pageHasher(hashType.algorithm, hashSize),
      });
    }
    ctx.note(`${label}: special slots, identifier and flags kept`);
  }
  layout.structure(at, sig.datasize, 'code signature', slots);
}

/** One thin Mach-O image (a whole file, or a slice handed over by the fat planner). */
export async function planThin(ctx: PlanContext): Promise<void> {
  const r = ctx.reader;
  const magicBytes = await r.read(0, 4, 'Mach-O magic');
  const magic = magicBytes.readUInt32BE(0);
  const is64 = magic === S.MH_MAGIC_64 || magic === S.MH_CIGAM_64;
  const e: Endian = magic === S.MH_MAGIC || magic === S.MH_MAGIC_64 ? BE : LE;
  const headerSize = is64 ? S.MACH_HEADER_64_SIZE : S.MACH_HEADER_SIZE;
  const h = await r.read(0, headerSize, 'mach header');
  const filetype = e.u32(h, S.mh_filetype);
  const ncmds = e.u32(h, S.mh_ncmds);
  const sizeofcmds = e.u32(h, S.mh_sizeofcmds);
  if (headerSize + sizeofcmds > r.size) {
    throw new FormatError(`mach header at 0x0: sizeofcmds ${sizeofcmds} runs past the end of the file (size ${hex(r.size)})`, r.base + S.mh_sizeofcmds);
  }
  if (ncmds * S.LOAD_COMMAND_SIZE > sizeofcmds) {
    throw new FormatError(`mach header at 0x0: ncmds ${ncmds} cannot fit in sizeofcmds ${sizeofcmds}`, r.base + S.mh_ncmds);
  }
  const cmds = await r.read(headerSize, sizeofcmds, 'load commands');
  const layout = new Layout();
  const writes: Write[] = [];
  /** The fields inside the load commands that are rewritten. */
  const commandFields: Range[] = [];
  layout.structure(0, headerSize, 'mach header');

  let uuidAt: number | undefined;
  let symtab: { symoff: number; nsyms: number; command: number } | undefined;
  let signature: Signature | undefined;
  /** Section contents and the string table: where --remap-path looks for paths. */
  const pathSpans: { start: number; end: number; label: string }[] = [];
  let pos = 0;
  for (let i = 0; i < ncmds; i++) {
    const at = headerSize + pos;
    if (pos + S.LOAD_COMMAND_SIZE > sizeofcmds) throw new FormatError(`load command ${i} at ${hex(at)} starts past sizeofcmds ${sizeofcmds}`, r.base + at);
    const cmd = e.u32(cmds, pos + S.lc_cmd);
    const cmdsize = e.u32(cmds, pos + S.lc_cmdsize);
    if (cmdsize < S.LOAD_COMMAND_SIZE || pos + cmdsize > sizeofcmds) {
      throw new FormatError(`load command ${i} at ${hex(at)}: cmdsize ${cmdsize} is below 8 or runs past sizeofcmds ${sizeofcmds}`, r.base + at + S.lc_cmdsize);
    }
    const need = (n: number, what: string) => {
      if (cmdsize < n) throw new FormatError(`${what} at ${hex(at)}: cmdsize ${cmdsize} is smaller than the command (${n})`, r.base + at + S.lc_cmdsize);
    };
    const dylib = S.DYLIB_COMMANDS[cmd];
    if (dylib) {
      need(S.DYLIB_COMMAND_SIZE, dylib);
      const nameOffset = e.u32(cmds, pos + 8);
      const name = nameOffset < cmdsize ? cmds.toString('utf8', pos + nameOffset, pos + cmdsize).replace(/\0.*$/s, '') : '?';
      const old = e.u32(cmds, pos + S.dylib_timestamp);
      const value = ctx.time(old);
      commandFields.push({ start: at + S.dylib_timestamp, end: at + S.dylib_timestamp + 4 });
      writes.push({ offset: at + S.dylib_timestamp, size: 4, field: `${dylib} ${name} timestamp` });
      ctx.patch({ offset: at + S.dylib_timestamp, oldBytes: e.put32(old), bytes: e.put32(value), field: `${dylib} ${name} timestamp`, old: renderTime(old), new: renderTime(value) });
    } else if (cmd === S.LC_UUID) {
      need(S.UUID_COMMAND_SIZE, 'LC_UUID');
      uuidAt = at + S.uuid_uuid;
      commandFields.push({ start: uuidAt, end: uuidAt + 16 });
      writes.push({ offset: uuidAt, size: 16, field: 'LC_UUID' });
    } else if (cmd === S.LC_SYMTAB) {
      need(S.SYMTAB_COMMAND_SIZE, 'LC_SYMTAB');
      symtab = { symoff: e.u32(cmds, pos + S.symtab_symoff), nsyms: e.u32(cmds, pos + S.symtab_nsyms), command: at };
      const stroff = e.u32(cmds, pos + S.symtab_stroff);
      const strsize = e.u32(cmds, pos + S.symtab_strsize);
      if (strsize > 0 && stroff + strsize <= r.size) pathSpans.push({ start: stroff, end: stroff + strsize, label: 'string table (N_SO / N_OSO stabs)' });
    } else if ((cmd === S.LC_SEGMENT || cmd === S.LC_SEGMENT_64) && remapWanted(ctx)) {
      // Sections are read only to look for paths (--remap-path).
      const wide = cmd === S.LC_SEGMENT_64;
      need(wide ? S.SEGMENT_COMMAND_64_SIZE : S.SEGMENT_COMMAND_SIZE, wide ? 'LC_SEGMENT_64' : 'LC_SEGMENT');
      const nsects = e.u32(cmds, pos + (wide ? S.segment64_nsects : S.segment_nsects));
      const first = wide ? S.SEGMENT_COMMAND_64_SIZE : S.SEGMENT_COMMAND_SIZE;
      const size = wide ? S.SECTION_64_SIZE : S.SECTION_SIZE;
      if (first + nsects * size > cmdsize) {
        throw new FormatError(`${wide ? 'LC_SEGMENT_64' : 'LC_SEGMENT'} at ${hex(at)}: ${nsects} sections do not fit its cmdsize ${cmdsize}`, r.base + at + S.lc_cmdsize);
      }
      for (let k = 0; k < nsects; k++) {
        const sec = pos + first + k * size;
        const name = (f: number) => cmds.toString('latin1', sec + f, sec + f + 16).replace(/\0.*$/s, '');
        const bytes = wide ? Number(e.u64(cmds, sec + S.section64_size)) : e.u32(cmds, sec + S.section_size);
        const offset = e.u32(cmds, sec + (wide ? S.section64_offset : S.section_offset));
        const flags = e.u32(cmds, sec + (wide ? S.section64_flags : S.section_flags));
        if (S.ZEROFILL_TYPES.has(flags & S.SECTION_TYPE) || offset === 0 || bytes === 0) continue;
        const label = `section ${name(S.section_segname)},${name(S.section_sectname)}`;
        if (offset + bytes > r.size) {
          throw new FormatError(`${label} (header at ${hex(headerSize + sec)}): contents at ${hex(offset)}+${hex(bytes)} run past the end of the file (size ${hex(r.size)})`, r.base + headerSize + sec);
        }
        pathSpans.push({ start: offset, end: offset + bytes, label });
      }
    } else if (cmd === S.LC_CODE_SIGNATURE) {
      need(S.LINKEDIT_DATA_COMMAND_SIZE, 'LC_CODE_SIGNATURE');
      signature = { dataoff: e.u32(cmds, pos + S.linkedit_dataoff), datasize: e.u32(cmds, pos + S.linkedit_datasize), command: at };
    }
    pos += cmdsize;
  }
  layout.structure(headerSize, sizeofcmds, 'load commands', commandFields);
  if (remapWanted(ctx)) {
    // Before the UUID and the code signature are derived, so both hash the remapped bytes.
    const needles = needlesOf(ctx.options.remap, false);
    for (const span of mergeSpans(pathSpans)) {
      const onHit = (offset: number, size: number) => void writes.push({ offset, size, field: `path in ${span.label}` });
      await remapRange(ctx, span.start, span.end, span.label, needles, { onHit });
    }
  }

  if (filetype === S.MH_OBJECT) {
    ctx.note('MH_OBJECT: nothing time-dependent in object files');
    layout.check(r, writes);
    return;
  }

  if (symtab && symtab.nsyms > 0) {
    const entry = is64 ? S.NLIST_64_SIZE : S.NLIST_SIZE;
    if (symtab.symoff + symtab.nsyms * entry > r.size) {
      throw new FormatError(
        `LC_SYMTAB: ${symtab.nsyms} symbols at ${hex(symtab.symoff)} run past the end of the file (size ${hex(r.size)}); load command at ${hex(symtab.command)}`,
        r.base + symtab.command + S.symtab_symoff,
      );
    }
    // Scan the symbol table in bounded blocks for N_OSO stabs.
    const perBlock = 4096;
    const values: Range[] = [];
    for (let first = 0; first < symtab.nsyms; first += perBlock) {
      const n = Math.min(perBlock, symtab.nsyms - first);
      const block = await r.read(symtab.symoff + first * entry, n * entry, 'symbol table');
      for (let k = 0; k < n; k++) {
        if (block[k * entry + S.n_type] !== S.N_OSO) continue;
        const valueAt = symtab.symoff + (first + k) * entry + S.n_value;
        const width = is64 ? 8 : 4;
        const oldBytes = block.subarray(k * entry + S.n_value, k * entry + S.n_value + width);
        const old = is64 ? Number(e.u64(block, k * entry + S.n_value)) : e.u32(block, k * entry + S.n_value);
        values.push({ start: valueAt, end: valueAt + width });
        writes.push({ offset: valueAt, size: width, field: `N_OSO stab ${first + k} n_value` });
        ctx.patch({ offset: valueAt, oldBytes, bytes: Buffer.alloc(width), field: `N_OSO stab ${first + k} n_value`, old: renderTime(old), new: renderTime(0) });
      }
    }
    layout.structure(symtab.symoff, symtab.nsyms * entry, 'symbol table', values);
  }

  const masks: Range[] = [];
  if (signature) masks.push({ start: signature.dataoff, end: signature.dataoff + signature.datasize });
  if (uuidAt !== undefined) {
    masks.push({ start: uuidAt, end: uuidAt + 16 });
    ctx.derive({ offset: uuidAt, size: 16, field: 'LC_UUID', stage: 0, range: { start: 0, end: r.size }, render: uuidText, createHasher: () => uuidHasher(masks) });
  }
  if (signature) await planSignature(ctx, signature, 1, layout, writes);
  layout.check(r, writes);
}

/** A fat (universal) file: each slice is planned on its own, by whatever format it is. */
export async function planFat(ctx: PlanContext): Promise<void> {
  const r = ctx.reader;
  const h = await r.read(0, S.FAT_HEADER_SIZE, 'fat header');
  const is64 = h.readUInt32BE(0) === S.FAT_MAGIC_64;
  const n = h.readUInt32BE(4);
  const size = is64 ? S.FAT_ARCH_64_SIZE : S.FAT_ARCH_SIZE;
  if (n === 0 || n > S.FAT_MAX_ARCHS) {
    throw new FormatError(`fat header at 0x0: nfat_arch ${n} is ${n === 0 ? '0: no slices' : `more than ${S.FAT_MAX_ARCHS}, the most unstamp accepts`}`, r.base + 4);
  }
  if (S.FAT_HEADER_SIZE + n * size > r.size) {
    throw new FormatError(`fat header at 0x0: nfat_arch ${n} entries of ${size} bytes run past the end of the file (size ${hex(r.size)})`, r.base + 4);
  }
  const archs = await r.read(S.FAT_HEADER_SIZE, n * size, 'fat_arch table');
  const slices: { offset: number; size: number; cputype: number; at: number }[] = [];
  for (let i = 0; i < n; i++) {
    const a = archs.subarray(i * size);
    const offset = is64 ? Number(a.readBigUInt64BE(8)) : a.readUInt32BE(8);
    const sliceSize = is64 ? Number(a.readBigUInt64BE(16)) : a.readUInt32BE(12);
    const at = S.FAT_HEADER_SIZE + i * size;
    if (offset < S.FAT_HEADER_SIZE + n * size || offset + sliceSize > r.size) {
      throw new FormatError(`fat_arch ${i} at ${hex(at)}: slice ${hex(offset)}+${hex(sliceSize)} lies outside the file (size ${hex(r.size)}) or over the fat header`, r.base + at);
    }
    slices.push({ offset, size: sliceSize, cputype: a.readUInt32BE(0), at });
  }
  const sorted = [...slices].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].offset < sorted[i - 1].offset + sorted[i - 1].size) {
      throw new FormatError(`fat_arch at ${hex(sorted[i].at)}: slice at ${hex(sorted[i].offset)} overlaps the slice at ${hex(sorted[i - 1].offset)}`, r.base + sorted[i].at);
    }
  }
  for (const s of slices) {
    const name = `slice ${hex(s.cputype)}@${hex(s.offset)}`;
    if (!(await ctx.member(s.offset, s.size, name))) ctx.note(`${name}: not a format unstamp knows`);
  }
}
