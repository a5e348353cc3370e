// PE/COFF images, after the Microsoft "PE Format" specification. Offsets are relative
// to the start of the structure they belong to; names follow the specification.

/** IMAGE_DOS_HEADER */
export const DOS_MAGIC = 0x5a4d; // "MZ"
export const e_lfanew = 0x3c;

/** "PE\0\0" at e_lfanew. */
export const PE_SIGNATURE = 0x00004550;

/** IMAGE_FILE_HEADER, right after the signature (20 bytes). */
export const FILE_HEADER_SIZE = 20;
export const fh_Machine = 0;
export const fh_NumberOfSections = 2;
export const fh_TimeDateStamp = 4;
export const fh_SizeOfOptionalHeader = 16;

/** IMAGE_OPTIONAL_HEADER32 / 64: fields whose offsets differ by magic. */
export const PE32_MAGIC = 0x10b;
export const PE32PLUS_MAGIC = 0x20b;
export const oh_SizeOfImage = 56;
export const oh_SizeOfHeaders = 60;
export const oh_CheckSum = 64;
export const oh_NumberOfRvaAndSizes = { [PE32_MAGIC]: 92, [PE32PLUS_MAGIC]: 108 } as const;
export const oh_DataDirectory = { [PE32_MAGIC]: 96, [PE32PLUS_MAGIC]: 112 } as const;

/** IMAGE_DATA_DIRECTORY indexes. */
export const IMAGE_DIRECTORY_ENTRY_EXPORT = 0;
export const IMAGE_DIRECTORY_ENTRY_RESOURCE = 2;
/** The certificate table holds a file offset, not an RVA. */
export const IMAGE_DIRECTORY_ENTRY_SECURITY = 4;
export const IMAGE_DIRECTORY_ENTRY_DEBUG = 6;
export const IMAGE_DIRECTORY_ENTRY_LOAD_CONFIG = 10;
export const IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT = 11;
export const DATA_DIRECTORY_SIZE = 8;

/** IMAGE_SECTION_HEADER (40 bytes). */
export const SECTION_HEADER_SIZE = 40;
export const sh_VirtualSize = 8;
export const sh_VirtualAddress = 12;
export const sh_SizeOfRawData = 16;
export const sh_PointerToRawData = 20;

/** IMAGE_EXPORT_DIRECTORY (40 bytes). */
export const EXPORT_DIRECTORY_SIZE = 40;
export const ed_TimeDateStamp = 4;

/** IMAGE_RESOURCE_DIRECTORY (16 bytes) and its entries (8 bytes). */
export const RESOURCE_DIRECTORY_SIZE = 16;
export const rd_TimeDateStamp = 4;
export const rd_NumberOfNamedEntries = 12;
export const rd_NumberOfIdEntries = 14;
export const RESOURCE_ENTRY_SIZE = 8;
export const re_OffsetToData = 4;
export const IMAGE_RESOURCE_DATA_IS_DIRECTORY = 0x80000000;

/** IMAGE_LOAD_CONFIG_DIRECTORY: Size, then TimeDateStamp. */
export const lc_Size = 0;
export const lc_TimeDateStamp = 4;

/** IMAGE_DEBUG_DIRECTORY (28 bytes). */
export const DEBUG_DIRECTORY_SIZE = 28;
export const dd_TimeDateStamp = 4;
export const dd_Type = 12;
export const dd_SizeOfData = 16;
export const dd_PointerToRawData = 24;

export const DEBUG_TYPE_NAMES: Record<number, string> = {
  1: 'COFF',
  2: 'CodeView',
  3: 'FPO',
  4: 'Misc',
  5: 'Exception',
  6: 'Fixup',
  9: 'Borland',
  10: 'Reserved10',
  11: 'CLSID',
  12: 'VC_FEATURE',
  13: 'POGO',
  14: 'ILTCG',
  15: 'MPX',
  16: 'REPRO',
  20: 'EX_DLLCHARACTERISTICS',
};
export const IMAGE_DEBUG_TYPE_CODEVIEW = 2;

/** CodeView records the CODEVIEW debug entry points at. */
export const CV_SIGNATURE_RSDS = 0x53445352; // "RSDS": GUID(16) Age(4) path
export const CV_SIGNATURE_NB10 = 0x3031424e; // "NB10": Offset(4) Signature(4) Age(4) path
export const rsds_Guid = 4;
export const rsds_Age = 20;
export const RSDS_HEADER_SIZE = 24;
export const nb10_Signature = 8;
export const nb10_Age = 12;
export const NB10_HEADER_SIZE = 16;
