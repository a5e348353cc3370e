import type { Format } from '../../core/format.js';
import { keyGuid, pdb70Key } from '../shared/guid.js';
import { onFirstUse } from '../shared/lazy.js';
import { DOS_MAGIC, PE_SIGNATURE, e_lfanew } from './spec.js';

const planner = onFirstUse(() => import('./plan.js'));

export const pe: Format = {
  name: 'pe',
  title: 'PE/COFF images: PE32 and PE32+ .exe, .dll, .sys, .efi',
  detect: (head) => {
    if (head.length < 0x40 || head.readUInt16LE(0) !== DOS_MAGIC) return false;
    const lfanew = head.readUInt32LE(e_lfanew);
    // A PE signature beyond the first bytes is checked by the planner.
    return lfanew + 4 > head.length || head.readUInt32LE(lfanew) === PE_SIGNATURE;
  },
  plan: async (ctx) => (await planner()).planPe(ctx),
  options: [
    {
      name: 'pe-timestamp',
      describe: 'PE TimeDateStamps: "hash" derives them from the content (like /Brepro), "epoch" writes the epoch',
      choices: ['hash', 'epoch'],
      default: 'hash',
    },
    {
      name: 'pdb-path',
      describe: '"basename" rewrites the PDB path in the CodeView record to its base name, NUL-padded in place (what /PDBALTPATH:%_PDB% writes), for builds in different folders',
      choices: ['keep', 'basename'],
      default: 'keep',
    },
  ],
  link: {
    role: 'primary',
    key: async (reader) => (await planner()).peLinkKey(reader),
    unpaired: (key, pairedWith) =>
      pairedWith
        ? `its PDB ${pairedWith.companion} (GUID ${keyGuid(key)}) goes with ${pairedWith.primary}, which carries the same GUID, and will no longer match this file`
        : `its PDB (GUID ${keyGuid(key)}) is not in this run and will no longer match this file; normalize the PE and its PDB together`,
    names: async (reader) => (await planner()).pePdbName(reader),
    keyAfter: (published) => {
      const guid = published.get('guid');
      return guid ? pdb70Key(guid) : undefined;
    },
  },
  regions: async (r) => (await import('./regions.js')).peRegions(r),
  symbols: async (r, pdb) => (await import('./symbols.js')).peSymbols(r, pdb),
  fields: [
    { field: 'COFF file header TimeDateStamp', value: 'first 4 bytes of a SHA-256 of the image with all rewritten fields zeroed (--pe-timestamp hash, default), or the epoch (--pe-timestamp epoch)' },
    { field: 'export directory TimeDateStamp', value: 'the same value as the file header' },
    { field: 'resource directory TimeDateStamp, at every node of the resource tree', value: 'the same value as the file header' },
    { field: 'load config directory TimeDateStamp', value: 'the same value as the file header' },
    { field: 'every debug directory entry TimeDateStamp (CodeView, POGO, VC_FEATURE, ILTCG, REPRO, ...)', value: 'the same value as the file header' },
    { field: 'CodeView RSDS GUID', value: 'bytes 4..20 of the same SHA-256' },
    { field: 'CodeView RSDS / NB10 Age', value: '1' },
    { field: 'CodeView NB10 Signature', value: 'the same value as the file header' },
    { field: 'with --remap-path OLD=NEW: paths in every section (DWARF, __FILE__, resources in UTF-16LE) and the CodeView PDB path', value: 'NEW in place of OLD (also with / and \\ swapped), before the hash-derived fields above are computed' },
    { field: 'CodeView PDB path (only with --pdb-path basename)', value: 'its base name, NUL-padded to the same length' },
    { field: 'OptionalHeader CheckSum (only if it was non-zero)', value: 'the PE checksum recomputed after every other rewrite' },
  ],
  leftAlone: [
    'Authenticode-signed images are skipped whole: normalize before signing',
    'any of the TimeDateStamps above that is 0 ("not set"): it stays 0',
    'a CheckSum of 0 stays 0',
    'the bound import table (listed by explain)',
    'the PDB path in the CodeView record, unless --pdb-path basename',
    'the REPRO debug entry data (already content-derived)',
  ],
};
