import { startsWith, type Format } from '../../core/format.js';
import { onFirstUse } from '../shared/lazy.js';
import { HEADER_SIZE, MAGIC } from './spec.js';

const planner = onFirstUse(() => import('./plan.js'));

export const bflt: Format = {
  name: 'bflt',
  title: 'bFLT (uClinux flat binaries)',
  detect: (head) => head.length >= HEADER_SIZE && startsWith(head, MAGIC),
  plan: async (ctx) => (await planner()).planBflt(ctx),
  regions: async (r) => (await import('./regions.js')).bfltRegions(r),
  fields: [{ field: 'build_date (version 4 header)', value: 'the epoch (--clamp: only if newer)' }],
  leftAlone: ['a build_date of 0 ("no date"): it stays 0', 'everything else; a version 2 header has no date', 'compressed (FLAT_FLAG_GZIP) contents are not looked into'],
};
