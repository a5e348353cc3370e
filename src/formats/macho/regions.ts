// The structure of a Mach-O file as named spans, for `explain <a> <b>`: the header and
// load commands, each segment and section with its VM address, the symbol and string
// tables and the code signature; a fat file's slices are files of their own.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;
const LC_DYSYMTAB = 0xb;
const LC_FUNCTION_STARTS = 0x26;
const LC_DATA_IN_CODE = 0x29;
const LC_DYLD_INFO = 0x22;
const LC_DYLD_INFO_ONLY = 0x22 | S.LC_REQ_DYLD;
const LC_DYLD_EXPORTS_TRIE = 0x33 | S.LC_REQ_DYLD;
const LC_DYLD_CHAINED_FIXUPS = 0x34 | S.LC_REQ_DYLD;
/** Section types without file contents. */
const ZEROFILL = new Set([0x1, 0xc, 0x12]);

const CPU_NAMES: Record<number, string> = {
  7: 'i386',
  0x01000007: 'x86_64',
  12: 'arm',
  0x0100000c: 'arm64',
  0x0200000c: 'arm64_32',
  18: 'ppc',
  0x01000012: 'ppc64',
};

const LINKEDIT_NAMES: Record<number, string> = {
  [S.LC_CODE_SIGNATURE]: 'code signature',
  [LC_FUNCTION_STARTS]: 'function starts',
  [LC_DATA_IN_CODE]: 'data in code',
  [LC_DYLD_EXPORTS_TRIE]: 'exports trie',
  [LC_DYLD_CHAINED_FIXUPS]: 'chained fixups',
};

const cstr = (b: Buffer, at: number, n: number) => {
  const raw = b.subarray(at, at + n);
  const nul = raw.indexOf(0);
  return raw.toString('latin1', 0, nul < 0 ? raw.length : nul);
};

async function fatRegions(r: RangeReader, is64: boolean): Promise<Region[]> {
  const n = (await r.read(4, 4, 'fat header')).readUInt32BE(0);
  const size = is64 ? S.FAT_ARCH_64_SIZE : S.FAT_ARCH_SIZE;
  const out: Region[] = [{ start: 0, end: S.FAT_HEADER_SIZE + n * size, label: 'fat header' }];
  const archs = await r.read(S.FAT_HEADER_SIZE, n * size, 'fat_arch table');
  for (let i = 0; i < n; i++) {
    const a = archs.subarray(i * size);
    const cpu = a.readUInt32BE(0);
    const offset = is64 ? Number(a.readBigUInt64BE(8)) : a.readUInt32BE(8);
    const sliceSize = is64 ? Number(a.readBigUInt64BE(16)) : a.readUInt32BE(12);
    const end = Math.min(offset + sliceSize, r.size);
    const cpuName = CPU_NAMES[cpu] ?? `cputype 0x${cpu.toString(16)}`;
    if (offset < end) out.push({ start: offset, end, label: `slice ${cpuName}`, member: true, entry: `slice ${cpuName}` });
  }
  return out;
}

/**
 * A thin file's header and load commands, read leniently for explain (which describes
 * what it can, never refuses): `sizeofcmds` is cut at the end of the file.
 */
export async function loadCommands(r: RangeReader, magic: number) {
  const is64 = magic === S.MH_MAGIC_64 || magic === S.MH_CIGAM_64;
  const be = magic === S.MH_MAGIC || magic === S.MH_MAGIC_64;
  const u32 = (b: Buffer, at: number) => (be ? b.readUInt32BE(at) : b.readUInt32LE(at));
  const u64 = (b: Buffer, at: number) => Number(be ? b.readBigUInt64BE(at) : b.readBigUInt64LE(at));
  const headerSize = is64 ? S.MACH_HEADER_64_SIZE : S.MACH_HEADER_SIZE;
  const h = await r.read(0, headerSize, 'mach header');
  const ncmds = u32(h, S.mh_ncmds);
  const cmds = await r.read(headerSize, Math.min(u32(h, S.mh_sizeofcmds), r.size - headerSize), 'load commands');
  return { is64, u32, u64, headerSize, ncmds, cmds };
}

export async function machoRegions(r: RangeReader): Promise<Region[]> {
  const magic = (await r.read(0, 4, 'magic')).readUInt32BE(0);
  if (magic === S.FAT_MAGIC || magic === S.FAT_MAGIC_64) return fatRegions(r, magic === S.FAT_MAGIC_64);
  const { is64, u32, u64, headerSize, ncmds, cmds } = await loadCommands(r, magic);
  const sizeofcmds = cmds.length;
  const out: Region[] = [{ start: 0, end: headerSize, label: 'mach header' }];
  const add = (start: number, size: number, label: string, extra: Partial<Region> = {}) => {
    const end = Math.min(start + size, r.size);
    if (start < end) out.push({ start, end, label, ...extra });
  };
  add(headerSize, sizeofcmds, 'load commands');
  let pos = 0;
  for (let i = 0; i < ncmds && pos + S.LOAD_COMMAND_SIZE <= sizeofcmds; i++) {
    const cmd = u32(cmds, pos);
    const cmdsize = u32(cmds, pos + 4);
    if (cmdsize < S.LOAD_COMMAND_SIZE || pos + cmdsize > sizeofcmds) break;
    const at = headerSize + pos;
    if (cmd === LC_SEGMENT || cmd === LC_SEGMENT_64) {
      const seg = cstr(cmds, pos + 8, 16);
      const vmaddr = is64 ? u64(cmds, pos + 24) : u32(cmds, pos + 24);
      const fileoff = is64 ? u64(cmds, pos + 40) : u32(cmds, pos + 32);
      const filesize = is64 ? u64(cmds, pos + 48) : u32(cmds, pos + 36);
      const nsects = u32(cmds, pos + (is64 ? 64 : 48));
      add(at, cmdsize, `load command ${i} (LC_SEGMENT${is64 ? '_64' : ''} ${seg})`);
      // __PAGEZERO and the like have no file contents; __TEXT usually starts at 0 and holds the header.
      if (filesize > 0) add(fileoff, filesize, `segment ${seg}`, { rva: vmaddr, rvaName: 'address' });
      const sectSize = is64 ? 80 : 68;
      let s = pos + (is64 ? 72 : 56);
      for (let k = 0; k < nsects && s + sectSize <= pos + cmdsize; k++, s += sectSize) {
        const sect = cstr(cmds, s, 16);
        const segname = cstr(cmds, s + 16, 16);
        const addr = is64 ? u64(cmds, s + 32) : u32(cmds, s + 32);
        const size = is64 ? u64(cmds, s + 40) : u32(cmds, s + 36);
        const offset = u32(cmds, s + (is64 ? 48 : 40));
        const flags = u32(cmds, s + (is64 ? 64 : 56));
        if (offset > 0 && !ZEROFILL.has(flags & 0xff)) add(offset, size, `section ${segname},${sect}`, { rva: addr, rvaName: 'address' });
      }
      pos += cmdsize;
      continue;
    }
    const dylib = S.DYLIB_COMMANDS[cmd];
    if (dylib) {
      const nameOffset = u32(cmds, pos + 8);
      const name = nameOffset < cmdsize ? cstr(cmds, pos + nameOffset, cmdsize - nameOffset) : '?';
      add(at, cmdsize, `load command ${i} (${dylib} ${name})`);
    } else if (cmd === S.LC_UUID) {
      add(at, cmdsize, `load command ${i} (LC_UUID)`);
    } else if (cmd === S.LC_SYMTAB) {
      add(at, cmdsize, `load command ${i} (LC_SYMTAB)`);
      const symoff = u32(cmds, pos + 8);
      const nsyms = u32(cmds, pos + 12);
      add(symoff, nsyms * (is64 ? S.NLIST_64_SIZE : S.NLIST_SIZE), 'symbol table');
      add(u32(cmds, pos + 16), u32(cmds, pos + 20), 'string table');
    } else if (cmd === LC_DYSYMTAB) {
      add(at, cmdsize, `load command ${i} (LC_DYSYMTAB)`);
      add(u32(cmds, pos + 56), u32(cmds, pos + 60) * 4, 'indirect symbol table');
    } else if (cmd === LC_DYLD_INFO || cmd === LC_DYLD_INFO_ONLY) {
      add(at, cmdsize, `load command ${i} (LC_DYLD_INFO)`);
      ['rebase info', 'bind info', 'weak bind info', 'lazy bind info', 'export info'].forEach((what, k) => add(u32(cmds, pos + 8 + k * 8), u32(cmds, pos + 12 + k * 8), what));
    } else if (LINKEDIT_NAMES[cmd]) {
      add(at, cmdsize, `load command ${i} (${LINKEDIT_NAMES[cmd]})`);
      add(u32(cmds, pos + 8), u32(cmds, pos + 12), LINKEDIT_NAMES[cmd], cmd === S.LC_CODE_SIGNATURE ? { derivedFrom: 'computed from every code page' } : {});
    } else {
      add(at, cmdsize, `load command ${i} (0x${cmd.toString(16)})`);
    }
    pos += cmdsize;
  }
  return out;
}
