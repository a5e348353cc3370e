import { startsWith, type Format } from '../../core/format.js';
import { keyGuid } from '../shared/guid.js';
import { onFirstUse } from '../shared/lazy.js';
import { Magic } from './spec.js';

const planner = onFirstUse(() => import('./plan.js'));

function orphanedReason(key: string): string {
  return `no executable with this PDB's GUID ${keyGuid(key)} is in this run; left alone (normalize the PE and its PDB together)`;
}

function ambiguousReason(key: string, primaries: readonly string[]): string {
  return `${primaries.length} executables carry this PDB's GUID ${keyGuid(key)} (${primaries.join(', ')}) and none is its own by the PDB name it references or by folder and base name; left alone (normalize it with only its own executable)`;
}

export const pdb: Format = {
  name: 'pdb',
  title: 'PDB (MSF 7.00) program databases, paired with their PE',
  detect: (head) => startsWith(head, Magic),
  plan: async (ctx) => (await planner()).planPdb(ctx),
  regions: async (r) => (await import('./regions.js')).pdbRegions(r),
  fields: [
    { field: 'PDB info stream Signature', value: "the paired PE's new COFF TimeDateStamp" },
    { field: 'PDB info stream Age', value: "the paired PE's new CodeView (RSDS) Age" },
    { field: 'PDB info stream GUID', value: "the paired PE's new CodeView (RSDS) GUID" },
    { field: 'DBI stream Age', value: "the paired PE's new CodeView (RSDS) Age" },
    { field: 'free blocks (marked free in the free block map, used by no stream)', value: 'zeros' },
    {
      field: '--remap-path: paths in /names, the DBI (module and object names, source file names), TPI and IPI records (LF_STRING_ID, ...), module symbol records (S_OBJNAME, S_ENVBLOCK, ...), the symbol record stream, /LinkInfo',
      value: 'OLD replaced by NEW, in 8-bit text and UTF-16LE',
    },
    { field: '--remap-path: /names hash buckets (and the DBI EC names table)', value: "rebuilt for the new strings: same bucket count, hashStringV1 or V2 by HashVersion, linear probing, filled in lld's StringMap order" },
    { field: '--remap-path: TPI/IPI hash value of each changed record', value: 'hashTypeRecord(record) % NumHashBuckets (name hash for tags and aliases, JamCRC of the record for the rest)' },
    { field: '--remap-path: DBI file info names and FileNameOffsets', value: "the names laid out in lld's StringMap order for the new names, the offsets following" },
    { field: '--remap-path: S_PUB32 names of string literals (??_C@_...) whose literal holds a path', value: "the compiler's name for the remapped literal (its bytes and CRC taken from the executable)" },
    { field: "--remap-path: clang's anonymous namespace names (?A0x<hash>@) in type names", value: "the hash of the remapped main source file path (xxHash64, clang's MicrosoftMangle)" },
    { field: '--remap-path: publics (record order, hash records, bucket bitmap and offsets, address map) and globals hash, when a name changed', value: "rebuilt as lld's GSIStreamBuilder builds them from the new names" },
    { field: "--remap-path: section contribution DataCrc (DBI and module info) of a section whose bytes the executable's remap changed", value: "JamCRC(0) of the new contents: the old value XOR the CRCs of the executable's bytes before and after" },
  ],
  leftAlone: [
    'a PDB is only normalized together with its executable (same GUID) in the same run; alone, it is skipped',
    '--remap-path: a PDB is refused (with its executable) when a path lies where unstamp does not rebuild what hashes it (the info stream and its named stream map, e.g. the /src/files/<lowercased path> stream of an injected natvis file; hash streams), when a table it must rebuild is not what lld writes, when a changed type record would need hash adjusters, or when a renamed hash changes length (an anonymous namespace hash losing a leading digit)',
    '--remap-path: C13 file checksums (MD5 of the source contents, not of the names); a DataCrc of 0 (what the linker made itself); the MSVC anonymous namespace hash (only clang 14\'s is known)',
    'all other stream contents (without --remap-path also the paths): type and symbol records, module streams, /names, the command line linkers record (S_ENVBLOCK)',
    'the superblock, the free block map itself, the block map and the stream directory',
    'blocks in use that the free block map calls free (GNU ld 2.40), and the slack after each stream',
  ],
  link: {
    role: 'companion',
    key: async (reader) => (await planner()).pdbLinkKey(reader),
    orphaned: orphanedReason,
    ambiguous: ambiguousReason,
  },
};
