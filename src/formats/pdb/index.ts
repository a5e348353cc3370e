import type { Format } from '../../core/format.js';
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
  detect: (head) => head.length >= Magic.length && head.subarray(0, Magic.length).equals(Magic),
  plan: async (ctx) => (await planner()).planPdb(ctx),
  regions: async (r) => (await import('./regions.js')).pdbRegions(r),
  fields: [
    { field: 'PDB info stream Signature', value: "the paired PE's new COFF TimeDateStamp" },
    { field: 'PDB info stream Age', value: "the paired PE's new CodeView (RSDS) Age" },
    { field: 'PDB info stream GUID', value: "the paired PE's new CodeView (RSDS) GUID" },
    { field: 'DBI stream Age', value: "the paired PE's new CodeView (RSDS) Age" },
    { field: 'free blocks (marked free in the free block map, used by no stream)', value: 'zeros' },
  ],
  leftAlone: [
    'a PDB is only normalized together with its executable (same GUID) in the same run; alone, it is skipped',
    '--remap-path: a PDB holding OLD is refused (with its executable): its name hash tables are not rebuilt yet',
    'all other stream contents: type and symbol records, module streams, /names, the command line and paths linkers record (S_ENVBLOCK)',
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
