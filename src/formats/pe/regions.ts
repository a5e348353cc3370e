// The structure of a PE image as named spans, for `explain <a> <b>`: headers, each
// section with its RVA, the data directories that lie in the file, the debug data, the
// certificate table and the overlay. Read-only and tolerant: a directory that does not
// map into the file is simply not named.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { readPe, type PeFile } from './file.js';
import * as S from './spec.js';

const DIRECTORY_NAMES = [
  'export directory',
  'import directory',
  'resource directory',
  'exception directory',
  'certificate table',
  'base relocation table',
  'debug directory',
  'architecture data',
  'global pointer',
  'TLS directory',
  'load config directory',
  'bound import table',
  'import address table',
  'delay import descriptors',
  'CLR runtime header',
];

/** File offset of [rva, rva+length) when it lies wholly in one section's file data or in the headers. */
function fileOffset(pe: PeFile, rva: number, length: number, size: number): number | undefined {
  for (const s of pe.sections) {
    if (rva >= s.virtualAddress && rva < s.virtualAddress + Math.max(s.virtualSize, s.sizeOfRawData)) {
      const delta = rva - s.virtualAddress;
      const at = s.pointerToRawData + delta;
      return delta + length <= s.sizeOfRawData && at + length <= size ? at : undefined;
    }
  }
  return rva + length <= Math.min(pe.sizeOfHeaders, size) ? rva : undefined;
}

export async function peRegions(r: RangeReader): Promise<Region[]> {
  const pe = await readPe(r);
  const out: Region[] = [];
  const add = (start: number, end: number, label: string, extra: Partial<Region> = {}) => {
    const e = Math.min(end, r.size);
    if (start < e) out.push({ start, end: e, label, ...extra });
  };
  const lfanew = pe.fileHeader - 4;
  add(0, Math.max(pe.sizeOfHeaders, lfanew), 'headers', { rva: 0 });
  add(0, 0x40, 'DOS header');
  add(0x40, lfanew, 'DOS stub');
  add(lfanew, pe.fileHeader + S.FILE_HEADER_SIZE, 'COFF file header');
  const sectionTable = pe.optionalHeader + (await r.read(pe.fileHeader, S.FILE_HEADER_SIZE, 'COFF file header')).readUInt16LE(S.fh_SizeOfOptionalHeader);
  add(pe.optionalHeader, sectionTable, 'optional header');
  for (const [i, d] of pe.directories.entries()) {
    if (d.rva === 0 && d.size === 0) continue;
    add(d.at, d.at + S.DATA_DIRECTORY_SIZE, `optional header, data directory entry ${i} (${DIRECTORY_NAMES[i] ?? 'reserved'})`);
  }
  add(sectionTable, sectionTable + pe.sections.length * S.SECTION_HEADER_SIZE, 'section table');

  let end = Math.max(pe.sizeOfHeaders, sectionTable + pe.sections.length * S.SECTION_HEADER_SIZE);
  for (const s of pe.sections) {
    if (s.sizeOfRawData === 0) continue;
    add(s.pointerToRawData, s.pointerToRawData + s.sizeOfRawData, `section ${s.name || '(unnamed)'}`, { rva: s.virtualAddress });
    if (s.virtualSize > 0 && s.virtualSize < s.sizeOfRawData) {
      add(s.pointerToRawData + s.virtualSize, s.pointerToRawData + s.sizeOfRawData, `section ${s.name || '(unnamed)'} padding (past VirtualSize)`, {
        rva: s.virtualAddress + s.virtualSize,
      });
    }
    end = Math.max(end, s.pointerToRawData + s.sizeOfRawData);
  }

  for (const [i, d] of pe.directories.entries()) {
    if (d.size === 0 || i === S.IMAGE_DIRECTORY_ENTRY_SECURITY) continue;
    const at = fileOffset(pe, d.rva, d.size, r.size);
    if (at !== undefined) add(at, at + d.size, DIRECTORY_NAMES[i] ?? `data directory ${i}`);
  }
  const cert = pe.directories[S.IMAGE_DIRECTORY_ENTRY_SECURITY];
  if (cert && cert.size > 0) add(cert.rva, cert.rva + cert.size, 'certificate table (Authenticode)');

  // The debug directory entries and the data they point at (CodeView record, POGO, ...).
  const debug = pe.directories[S.IMAGE_DIRECTORY_ENTRY_DEBUG];
  const debugAt = debug && debug.size > 0 ? fileOffset(pe, debug.rva, debug.size, r.size) : undefined;
  if (debug && debugAt !== undefined) {
    const n = Math.min(Math.floor(debug.size / S.DEBUG_DIRECTORY_SIZE), 64);
    const raw = await r.read(debugAt, n * S.DEBUG_DIRECTORY_SIZE, 'debug directory');
    for (let k = 0; k < n; k++) {
      const e = raw.subarray(k * S.DEBUG_DIRECTORY_SIZE);
      const type = S.DEBUG_TYPE_NAMES[e.readUInt32LE(S.dd_Type)] ?? `type ${e.readUInt32LE(S.dd_Type)}`;
      add(debugAt + k * S.DEBUG_DIRECTORY_SIZE, debugAt + (k + 1) * S.DEBUG_DIRECTORY_SIZE, `debug directory entry ${k} (${type})`);
      const size = e.readUInt32LE(S.dd_SizeOfData);
      const ptr = e.readUInt32LE(S.dd_PointerToRawData);
      if (size > 0 && ptr > 0) add(ptr, ptr + size, `debug data (${type})`);
    }
  }
  add(end, r.size, 'overlay (after the last section)');
  return out;
}
