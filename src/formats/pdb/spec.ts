// PDB files: the MSF 7.00 container and the two stream headers unstamp rewrites.
// References: LLVM llvm/docs/PDB/MsfFile.rst, PdbStream.rst and DbiStream.rst;
// LLVM lib/DebugInfo/MSF (MSFCommon, MSFBuilder) for what lld writes.

/** SuperBlock::FileMagic: "Microsoft C/C++ MSF 7.00\r\n" followed by 1A 44 53 00 00 00. */
export const Magic = Buffer.from('Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0', 'latin1');

/** struct SuperBlock at file offset 0: FileMagic[32], then six ulittle32_t. */
export const SUPERBLOCK_SIZE = 56;
export const SuperBlock = {
  FileMagic: { offset: 0, size: 32 },
  BlockSize: { offset: 32, size: 4 },
  FreeBlockMapBlock: { offset: 36, size: 4 },
  NumBlocks: { offset: 40, size: 4 },
  NumDirectoryBytes: { offset: 44, size: 4 },
  Unknown: { offset: 48, size: 4 },
  BlockMapAddr: { offset: 52, size: 4 },
} as const;

/** The block sizes MsfFile.rst lists as valid (LLVM's isValidBlockSize). */
export const VALID_BLOCK_SIZES: readonly number[] = [512, 1024, 2048, 4096];

/**
 * FreeBlockMapBlock is 1 or 2: the two copies of the free block map (FPM1, FPM2), one
 * current and one for the next commit. Both repeat in every interval of BlockSize blocks:
 * blocks k*BlockSize + 1 and k*BlockSize + 2 are free block map blocks, whichever is current.
 */
export const FPM1 = 1;
export const FPM2 = 2;

/** The superblock always occupies block 0. */
export const SUPERBLOCK_BLOCK = 0;

/** StreamSizes[i] of a stream that does not exist (a "nil" stream): it has no blocks. */
export const NIL_STREAM_SIZE = 0xffffffff;

/** Fixed stream indices. */
export const STREAM_OLD_DIRECTORY = 0;
export const STREAM_PDB = 1;
export const STREAM_TPI = 2;
export const STREAM_DBI = 3;
export const STREAM_IPI = 4;

/** struct PdbStreamHeader at offset 0 of the PDB info stream (stream 1). */
export const PdbStreamHeader = {
  Version: { offset: 0, size: 4 },
  /** time() when the PDB was written (MSVC); lld stores the low 32 bits of its content hash. */
  Signature: { offset: 4, size: 4 },
  Age: { offset: 8, size: 4 },
  /** The GUID ("Guid" in the LLVM sources); stored only from version VC70 on. */
  UniqueId: { offset: 12, size: 16 },
} as const;
/** The header up to Age: what every version has. */
export const PDB_STREAM_HEADER_MIN = 12;
export const PDB_STREAM_HEADER_SIZE = 28;

/** enum PdbStreamVersion: the versions from VC70 on have the UniqueId GUID. */
export const PdbStreamVersion = {
  VC2: 19941610,
  VC4: 19950623,
  VC41: 19950814,
  VC50: 19960307,
  VC98: 19970604,
  VC70Dep: 19990604,
  VC70: 20000404,
  VC80: 20030901,
  VC110: 20091201,
  VC140: 20140508,
} as const;

/** struct DbiStreamHeader at offset 0 of the DBI stream (stream 3): the fields up to Age. */
export const DbiStreamHeader = {
  VersionSignature: { offset: 0, size: 4 },
  VersionHeader: { offset: 4, size: 4 },
  Age: { offset: 8, size: 4 },
} as const;
export const DBI_STREAM_HEADER_MIN = 12;
/** VersionSignature of the "new" DBI header (every toolchain since VC 4.1); older headers have no Age. */
export const DBI_VERSION_SIGNATURE_NEW = 0xffffffff;
