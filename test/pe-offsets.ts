// Where things are in a real PE image, for tests that corrupt one field of a sample: read
// straight from the headers, independently of unstamp's own parser.

/** The COFF file header, after "PE\0\0" at e_lfanew. */
export const fileHeader = (b: Buffer): number => b.readUInt32LE(0x3c) + 4;
export const optionalHeader = (b: Buffer): number => fileHeader(b) + 20;

/** Data directory entry `i` (6 debug, 2 resources, ...), PE32 or PE32+. */
export const dataDirectory = (b: Buffer, i: number): number => optionalHeader(b) + (b.readUInt16LE(optionalHeader(b)) === 0x20b ? 112 : 96) + i * 8;

/** File offset of an RVA, through the section table. */
export function rvaOffset(b: Buffer, rva: number): number {
  const fh = fileHeader(b);
  const table = fh + 20 + b.readUInt16LE(fh + 16);
  for (let i = 0; i < b.readUInt16LE(fh + 2); i++) {
    const s = table + i * 40;
    const va = b.readUInt32LE(s + 12);
    if (rva >= va && rva < va + Math.max(b.readUInt32LE(s + 8), b.readUInt32LE(s + 16))) return b.readUInt32LE(s + 20) + rva - va;
  }
  throw new Error(`RVA ${rva} maps to no section`);
}

export const debugEntry = (b: Buffer): number => rvaOffset(b, b.readUInt32LE(dataDirectory(b, 6)));
/** The root IMAGE_RESOURCE_DIRECTORY. */
export const resourceRoot = (b: Buffer): number => rvaOffset(b, b.readUInt32LE(dataDirectory(b, 2)));

/** A section's bytes in the file, by name (".rdata"): where they start and how many hold content. */
export function section(b: Buffer, name: string): { offset: number; size: number } {
  const fh = fileHeader(b);
  const table = fh + 20 + b.readUInt16LE(fh + 16);
  for (let i = 0; i < b.readUInt16LE(fh + 2); i++) {
    const s = table + i * 40;
    if (b.toString('latin1', s, s + 8).replace(/\0+$/, '') === name) return { offset: b.readUInt32LE(s + 20), size: Math.min(b.readUInt32LE(s + 8), b.readUInt32LE(s + 16)) };
  }
  throw new Error(`no section ${name}`);
}
