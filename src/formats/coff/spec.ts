// COFF object files as the Microsoft toolchains, LLVM and GNU binutils write them.
// References: the Microsoft PE/COFF specification ("COFF File Header (Object and Image)",
// "Section Table", "COFF Symbol Table", "Import Library Format"), winnt.h
// (ANON_OBJECT_HEADER*, IMPORT_OBJECT_HEADER), LLVM BinaryFormat/COFF.h and Magic.cpp.
// Every multi-byte field is little-endian.

/** IMAGE_FILE_HEADER: the whole header of a regular object (it has no optional header). */
export const IMAGE_SIZEOF_FILE_HEADER = 20;
export const FH_Machine = 0;
export const FH_NumberOfSections = 2;
export const FH_TimeDateStamp = 4;
export const FH_PointerToSymbolTable = 8;
export const FH_NumberOfSymbols = 12;
export const FH_SizeOfOptionalHeader = 16;
export const FH_Characteristics = 18;

/**
 * The largest NumberOfSections of a regular object: section numbers 0xff00 and up are
 * reserved (IMAGE_SYM_DEBUG and IMAGE_SYM_ABSOLUTE are -2 and -1 as 16-bit values), so
 * MSVC and LLVM switch to /bigobj past 65279 (LLVM COFF::MaxNumberOfSections16).
 */
export const MAX_NUMBER_OF_SECTIONS16 = 65279;

/** IMAGE_SECTION_HEADER. */
export const IMAGE_SIZEOF_SECTION_HEADER = 40;
export const IMAGE_SIZEOF_SHORT_NAME = 8;
export const SH_Name = 0;
export const SH_VirtualSize = 8;
export const SH_VirtualAddress = 12;
export const SH_SizeOfRawData = 16;
export const SH_PointerToRawData = 20;
export const SH_PointerToRelocations = 24;
export const SH_PointerToLinenumbers = 28;
export const SH_NumberOfRelocations = 32;
export const SH_NumberOfLinenumbers = 34;
export const SH_Characteristics = 36;

/**
 * Section flag: the relocation count did not fit NumberOfRelocations (which is then
 * 0xffff); the first relocation's VirtualAddress holds the real count, itself included.
 */
export const IMAGE_SCN_LNK_NRELOC_OVFL = 0x01000000;

/** IMAGE_RELOCATION, IMAGE_LINENUMBER (deprecated COFF line numbers). */
export const IMAGE_SIZEOF_RELOCATION = 10;
export const IMAGE_SIZEOF_LINENUMBER = 6;

/** IMAGE_SYMBOL (regular objects) and IMAGE_SYMBOL_EX (/bigobj: 32-bit section numbers). */
export const IMAGE_SIZEOF_SYMBOL = 18;
export const IMAGE_SIZEOF_SYMBOL_EX = 20;

/**
 * The string table follows the symbol table; its first 4 bytes are its size, those 4
 * included. Sizes below 4 mean empty (DMD writes 0 there; LLVM accepts it).
 */
export const STRING_TABLE_SIZE_FIELD = 4;

/**
 * ANON_OBJECT_HEADER (winnt.h): objects that are not regular COFF start with Sig1 =
 * IMAGE_FILE_MACHINE_UNKNOWN and Sig2 = 0xffff, which no regular object can (its
 * NumberOfSections would be 65535). Version 0 is a short import object; Version >= 1
 * carries a ClassID saying what follows.
 */
export const ANON_Sig1 = 0;
export const ANON_Sig2 = 2;
export const ANON_Version = 4;
export const ANON_Machine = 6;
export const ANON_TimeDateStamp = 8;
export const ANON_ClassID = 12;
export const ANON_SizeOfData = 28;
export const SIG1_VALUE = 0x0000; // IMAGE_FILE_MACHINE_UNKNOWN
export const SIG2_VALUE = 0xffff;
/** ANON_OBJECT_HEADER (Version 1). */
export const ANON_OBJECT_HEADER_SIZE = 32;
/** ANON_OBJECT_HEADER_V2 (Version 2 and up) adds Flags, MetaDataSize, MetaDataOffset. */
export const ANON_OBJECT_HEADER_V2_VERSION = 2;
export const ANON_OBJECT_HEADER_V2_SIZE = 44;

/** ANON_OBJECT_HEADER_BIGOBJ (cl /bigobj, GNU as -mbig-obj, LLVM past 65279 sections). */
export const BIGOBJ_Flags = 32;
export const BIGOBJ_MetaDataSize = 36;
export const BIGOBJ_MetaDataOffset = 40;
export const BIGOBJ_NumberOfSections = 44;
export const BIGOBJ_PointerToSymbolTable = 48;
export const BIGOBJ_NumberOfSymbols = 52;
export const ANON_OBJECT_HEADER_BIGOBJ_SIZE = 56;
/** LLVM BigObjHeader::MinBigObjectVersion. */
export const BIGOBJ_MIN_VERSION = 2;

/** ClassID of a /bigobj object, as stored: {D1BAA1C7-BAEE-4BA9-AF20-FAF66AA4DCB8}. */
export const BIGOBJ_CLASSID = Buffer.from('c7a1bad1eebaa94baf20faf66aa4dcb8', 'hex');
/**
 * ClassID of an MSVC link-time-code-generation object (cl /GL), as stored
 * (LLVM COFF::ClGlObjMagic): {0CB3FE38-D9A5-4DAB-AC9B-D6B6222653C2}.
 */
export const CLGL_CLASSID = Buffer.from('38feb30ca5d9ab4dac9bd6b6222653c2', 'hex');

/**
 * IMPORT_OBJECT_HEADER: one member of a short-form import library per imported symbol.
 * SizeOfData bytes follow: the public symbol name and the DLL name, each NUL-terminated,
 * and with IMPORT_OBJECT_NAME_EXPORTAS a third string, the name exported.
 */
export const IMPORT_OBJECT_HEADER_SIZE = 20;
export const IMP_SizeOfData = 12;
export const IMP_OrdinalHint = 16;
export const IMP_TypeInfo = 18;
export const IMPORT_OBJECT_VERSION = 0;
/** TypeInfo bits 0-1: IMPORT_OBJECT_CODE 0, _DATA 1, _CONST 2. */
export const IMPORT_OBJECT_TYPE_MASK = 0x3;
export const IMPORT_OBJECT_TYPE_MAX = 2;
/**
 * TypeInfo bits 2-4: IMPORT_OBJECT_ORDINAL 0, _NAME 1, _NAME_NO_PREFIX 2,
 * _NAME_UNDECORATE 3, _NAME_EXPORTAS 4.
 */
export const IMPORT_OBJECT_NAME_TYPE_SHIFT = 2;
export const IMPORT_OBJECT_NAME_TYPE_MASK = 0x7;
export const IMPORT_OBJECT_NAME_TYPE_MAX = 4;
export const IMPORT_OBJECT_NAME_EXPORTAS = 4;

/**
 * Machine types of the PE/COFF specification. IMAGE_FILE_MACHINE_UNKNOWN (0) is left
 * out, as are R3000 (0x162) and R3000BE (0x160): these are also the magic numbers of MIPS
 * ECOFF objects, whose symbol table is laid out differently.
 */
export const MACHINES: ReadonlyMap<number, string> = new Map([
  [0x184, 'ALPHA'],
  [0x284, 'ALPHA64'],
  [0x1d3, 'AM33'],
  [0x8664, 'AMD64'],
  [0x1c0, 'ARM'],
  [0xaa64, 'ARM64'],
  [0xa641, 'ARM64EC'],
  [0xa64e, 'ARM64X'],
  [0x1c4, 'ARMNT'],
  [0xebc, 'EBC'],
  [0x14c, 'I386'],
  [0x200, 'IA64'],
  [0x6232, 'LOONGARCH32'],
  [0x6264, 'LOONGARCH64'],
  [0x9041, 'M32R'],
  [0x266, 'MIPS16'],
  [0x366, 'MIPSFPU'],
  [0x466, 'MIPSFPU16'],
  [0x1f0, 'POWERPC'],
  [0x1f1, 'POWERPCFP'],
  [0x166, 'R4000'],
  [0x168, 'R10000'],
  [0x5032, 'RISCV32'],
  [0x5064, 'RISCV64'],
  [0x5128, 'RISCV128'],
  [0x1a2, 'SH3'],
  [0x1a3, 'SH3DSP'],
  [0x1a6, 'SH4'],
  [0x1a8, 'SH5'],
  [0x1c2, 'THUMB'],
  [0x169, 'WCEMIPSV2'],
]);

/**
 * A symbol's StorageClass, NumberOfAuxSymbols and SectionNumber; the section definition
 * auxiliary record (IMAGE_AUX_SYMBOL.Section) that follows a section's static symbol:
 * Length (4), NumberOfRelocations (2), NumberOfLinenumbers (2), CheckSum (4), ...
 */
export const SYM_Value = 8;
export const SYM_SectionNumber = 12;
export const SYM_StorageClass = 16;
export const SYM_NumberOfAuxSymbols = 17;
/** In IMAGE_SYMBOL_EX (/bigobj) the section number is 32 bits, so the last two fields move by 2. */
export const SYMEX_StorageClass = 18;
export const SYMEX_NumberOfAuxSymbols = 19;
export const IMAGE_SYM_CLASS_STATIC = 3;
export const AUX_Length = 0;
export const AUX_CheckSum = 8;
