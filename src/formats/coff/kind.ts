// What a file that may be a COFF object is, from its first bytes: detection (index.ts)
// and the planner both ask, so it lives apart from the planner, which loads on first use.
import * as S from './spec.js';

/** The kinds of file that share the name "COFF object". */
export type CoffKind =
  /** IMAGE_FILE_HEADER, then the section table. */
  | 'object'
  /** ANON_OBJECT_HEADER_BIGOBJ. */
  | 'bigobj'
  /** IMPORT_OBJECT_HEADER (short import object, a member of an import library). */
  | 'import'
  /** ANON_OBJECT_HEADER with the cl /GL ClassID. */
  | 'ltcg'
  /** ANON_OBJECT_HEADER with another ClassID: claimed, then skipped with the reason. */
  | 'anon';

/** 8 bytes: a name of up to 8 printable characters (or "/123", an offset into the string table), NUL-padded. */
function isSectionShortName(name: Buffer): boolean {
  if (name.length !== S.IMAGE_SIZEOF_SHORT_NAME) return false;
  let end = name.indexOf(0);
  if (end < 0) end = name.length;
  if (end === 0) return false;
  for (let i = 0; i < end; i++) if (name[i] < 0x21 || name[i] > 0x7e) return false;
  for (let i = end; i < name.length; i++) if (name[i] !== 0) return false;
  return true;
}

/**
 * What the first bytes say the file is, or undefined if they are not a COFF object.
 *
 * A regular object has no magic number, so it is recognized by its shape: a machine type
 * of the specification, no optional header (an image has one), at least one section, and
 * a first section header (right after the file header) whose name is a printable section
 * name. Those fields cannot match ELF, Mach-O, gzip, ar, zip, MZ (PE) or MSF (PDB) magic,
 * nor text (a text file has no NUL bytes at offset 16). The file-size bounds of the
 * section and symbol tables are not part of detection on purpose: a truncated or
 * corrupted object is still recognized, then refused by the planner with the offset and
 * the rule, instead of being skipped as "unknown format".
 *
 * The other kinds begin with Sig1 = 0, Sig2 = 0xffff (IMAGE_FILE_MACHINE_UNKNOWN and a
 * section count no regular object may have), then Version: 0 for an import object (with
 * a known machine), otherwise the ClassID at offset 12 tells a /bigobj from a /GL object.
 */
export function classify(head: Buffer, size: number): CoffKind | undefined {
  if (head.length < 8 || size < 8) return undefined;
  const first = head.readUInt16LE(S.ANON_Sig1);
  if (first === S.SIG1_VALUE && head.readUInt16LE(S.ANON_Sig2) === S.SIG2_VALUE) {
    const version = head.readUInt16LE(S.ANON_Version);
    const machineKnown = S.MACHINES.has(head.readUInt16LE(S.ANON_Machine));
    if (version === S.IMPORT_OBJECT_VERSION) return machineKnown ? 'import' : undefined;
    if (head.length < S.ANON_ClassID + 16) return undefined;
    const classId = head.subarray(S.ANON_ClassID, S.ANON_ClassID + 16);
    if (classId.equals(S.BIGOBJ_CLASSID)) return 'bigobj';
    if (classId.equals(S.CLGL_CLASSID)) return 'ltcg';
    return machineKnown && size >= S.ANON_OBJECT_HEADER_SIZE ? 'anon' : undefined;
  }
  const sectionName = S.IMAGE_SIZEOF_FILE_HEADER + S.SH_Name;
  if (head.length < S.IMAGE_SIZEOF_FILE_HEADER + S.IMAGE_SIZEOF_SECTION_HEADER) return undefined;
  if (!S.MACHINES.has(first)) return undefined;
  if (head.readUInt16LE(S.FH_SizeOfOptionalHeader) !== 0) return undefined;
  if (head.readUInt16LE(S.FH_NumberOfSections) === 0) return undefined;
  if (!isSectionShortName(head.subarray(sectionName, sectionName + S.IMAGE_SIZEOF_SHORT_NAME))) return undefined;
  return 'object';
}
