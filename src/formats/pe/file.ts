import { FormatError, SkipFile, hex } from '../../core/errors.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

export interface Section {
  name: string;
  virtualSize: number;
  virtualAddress: number;
  sizeOfRawData: number;
  pointerToRawData: number;
}

export interface DataDirectory {
  rva: number;
  size: number;
  /** File offset of this IMAGE_DATA_DIRECTORY entry. */
  at: number;
}

/** The headers of a PE image, as plain values. */
export interface PeFile {
  /** Offset of IMAGE_FILE_HEADER (after "PE\0\0"). */
  fileHeader: number;
  machine: number;
  timeDateStamp: number;
  optionalHeader: number;
  magic: typeof S.PE32_MAGIC | typeof S.PE32PLUS_MAGIC;
  sizeOfHeaders: number;
  checksumOffset: number;
  checksum: number;
  directories: DataDirectory[];
  sections: Section[];
  /** End of the section table: the headers are [e_lfanew, headersEnd). */
  headersEnd: number;
}

/** Section headers read per call: 40 KiB. */
const SECTIONS_PER_READ = 1024;

/** Read and check the DOS stub, the PE signature, the file and optional headers, the section table. */
export async function readPe(r: RangeReader): Promise<PeFile> {
  const dos = await r.read(0, 0x40, 'DOS header');
  const lfanew = dos.readUInt32LE(S.e_lfanew);
  if (lfanew + 4 > r.size) throw new SkipFile('MZ executable without a PE header (e_lfanew points past the end)');
  const sig = (await r.read(lfanew, 4, 'PE signature')).readUInt32LE(0);
  if (sig !== S.PE_SIGNATURE) throw new SkipFile(`MZ executable without a PE header (no "PE\\0\\0" at e_lfanew ${hex(lfanew)})`);

  const fileHeader = lfanew + 4;
  const fh = await r.read(fileHeader, S.FILE_HEADER_SIZE, 'COFF file header');
  const numberOfSections = fh.readUInt16LE(S.fh_NumberOfSections);
  const sizeOfOptionalHeader = fh.readUInt16LE(S.fh_SizeOfOptionalHeader);
  const optionalHeader = fileHeader + S.FILE_HEADER_SIZE;
  if (sizeOfOptionalHeader < 2) {
    throw new FormatError(`COFF file header at ${hex(fileHeader)}: SizeOfOptionalHeader ${sizeOfOptionalHeader} is too small for an image`, r.base + fileHeader + S.fh_SizeOfOptionalHeader);
  }
  if (optionalHeader + sizeOfOptionalHeader > r.size) {
    throw new FormatError(
      `optional header at ${hex(optionalHeader)} (${sizeOfOptionalHeader} bytes) runs past the end of the file (size ${hex(r.size)}): the file is truncated or SizeOfOptionalHeader in the COFF file header at ${hex(fileHeader)} is wrong`,
      r.base + fileHeader + S.fh_SizeOfOptionalHeader,
    );
  }
  const oh = await r.read(optionalHeader, sizeOfOptionalHeader, 'optional header');
  const magic = oh.readUInt16LE(0);
  if (magic !== S.PE32_MAGIC && magic !== S.PE32PLUS_MAGIC) {
    throw new FormatError(`optional header at ${hex(optionalHeader)}: Magic ${hex(magic)} is neither PE32 (0x10b) nor PE32+ (0x20b)`, r.base + optionalHeader);
  }
  const nraOff = S.oh_NumberOfRvaAndSizes[magic];
  const ddOff = S.oh_DataDirectory[magic];
  if (sizeOfOptionalHeader < ddOff) {
    throw new FormatError(`optional header at ${hex(optionalHeader)}: SizeOfOptionalHeader ${sizeOfOptionalHeader} ends before the data directories (${ddOff})`, r.base + optionalHeader);
  }
  const numberOfRvaAndSizes = oh.readUInt32LE(nraOff);
  const dirCount = Math.min(numberOfRvaAndSizes, Math.floor((sizeOfOptionalHeader - ddOff) / S.DATA_DIRECTORY_SIZE));
  const directories: DataDirectory[] = [];
  for (let i = 0; i < dirCount; i++) {
    const o = ddOff + i * S.DATA_DIRECTORY_SIZE;
    directories.push({ rva: oh.readUInt32LE(o), size: oh.readUInt32LE(o + 4), at: optionalHeader + o });
  }

  const table = optionalHeader + sizeOfOptionalHeader;
  if (table + numberOfSections * S.SECTION_HEADER_SIZE > r.size) {
    throw new FormatError(
      `section table at ${hex(table)}: ${numberOfSections} sections run past the end of the file (size ${hex(r.size)})`,
      r.base + fileHeader + S.fh_NumberOfSections,
    );
  }
  // Read in bounded pieces: up to 65,535 headers (2.6 MB) never in one buffer.
  const sections: Section[] = [];
  for (let first = 0; first < numberOfSections; first += SECTIONS_PER_READ) {
    const count = Math.min(SECTIONS_PER_READ, numberOfSections - first);
    const raw = await r.read(table + first * S.SECTION_HEADER_SIZE, count * S.SECTION_HEADER_SIZE, 'section table');
    for (let i = 0; i < count; i++) {
      const s = raw.subarray(i * S.SECTION_HEADER_SIZE);
      sections.push({
        name: s.toString('latin1', 0, 8).replace(/\0+$/, ''),
        virtualSize: s.readUInt32LE(S.sh_VirtualSize),
        virtualAddress: s.readUInt32LE(S.sh_VirtualAddress),
        sizeOfRawData: s.readUInt32LE(S.sh_SizeOfRawData),
        pointerToRawData: s.readUInt32LE(S.sh_PointerToRawData),
      });
    }
  }
  return {
    fileHeader,
    machine: fh.readUInt16LE(S.fh_Machine),
    timeDateStamp: fh.readUInt32LE(S.fh_TimeDateStamp),
    optionalHeader,
    magic,
    sizeOfHeaders: oh.readUInt32LE(S.oh_SizeOfHeaders),
    checksumOffset: optionalHeader + S.oh_CheckSum,
    checksum: oh.readUInt32LE(S.oh_CheckSum),
    directories,
    sections,
    headersEnd: table + numberOfSections * S.SECTION_HEADER_SIZE,
  };
}

/**
 * File offset of `length` bytes at `rva`: inside one section's raw data, or inside the
 * headers. `at` is the file offset of the field holding the RVA (a data directory entry):
 * a FormatError names what was being looked for and points there.
 */
export function rvaToOffset(pe: PeFile, rva: number, length: number, what: string, r: RangeReader, at: number): number {
  const fileSize = r.size;
  const from = `${what} at RVA ${hex(rva)}`;
  const entry = `data directory entry at ${hex(at)}`;
  for (const s of pe.sections) {
    const span = Math.max(s.virtualSize, s.sizeOfRawData);
    if (rva >= s.virtualAddress && rva < s.virtualAddress + span) {
      const delta = rva - s.virtualAddress;
      if (delta + length > s.sizeOfRawData) {
        throw new FormatError(
          `${from}: its ${length} bytes lie outside the file data of section ${JSON.stringify(s.name)} (RVA ${hex(s.virtualAddress)}, raw size ${hex(s.sizeOfRawData)}; ${entry})`,
          r.base + at,
        );
      }
      const offset = s.pointerToRawData + delta;
      if (offset + length > fileSize) {
        throw new FormatError(`${from} maps to file offset ${hex(offset)} (${length} bytes), past the end of the file (size ${hex(fileSize)}; ${entry})`, r.base + at);
      }
      return offset;
    }
  }
  if (rva + length <= Math.min(pe.sizeOfHeaders, fileSize)) return rva;
  throw new FormatError(`${from} is not inside any section nor the headers (SizeOfHeaders ${hex(pe.sizeOfHeaders)}; ${entry})`, r.base + at);
}
