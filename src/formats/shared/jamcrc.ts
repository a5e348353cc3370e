import { crc32 } from 'node:zlib';

/**
 * JamCRC with a zero initial value and no final inversion (LLVM's JamCRC(0), microsoft-pdb
 * SigForPbCb): LLVM's COFF section checksums, hashBufferV8 (the hash of most PDB type
 * records) and the DataCrc of a PDB section contribution. zlib's CRC-32 inverts on entry
 * and exit, so both inversions are undone.
 */
export function jamCrc0(b: Buffer): number {
  return ~crc32(b, 0xffffffff) >>> 0;
}
