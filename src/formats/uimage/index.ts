import type { Format } from '../../core/format.js';
import { onFirstUse } from '../shared/lazy.js';
import { HEADER_SIZE, IH_MAGIC } from './spec.js';

const planner = onFirstUse(() => import('./plan.js'));

export const uimage: Format = {
  name: 'uimage',
  title: 'U-Boot legacy images (uImage, mkimage)',
  detect: (head) => head.length >= HEADER_SIZE && head.readUInt32BE(0) === IH_MAGIC,
  plan: async (ctx) => (await planner()).planUimage(ctx),
  regions: async (r) => (await import('./regions.js')).uimageRegions(r),
  fields: [
    { field: 'ih_time', value: 'the epoch (--clamp: only if newer)' },
    { field: 'ih_hcrc', value: 'recomputed over the patched header' },
  ],
  leftAlone: ['an ih_time of 0 ("no time"): it stays 0', 'the image data and its CRC (ih_dcrc), load address, entry point, name', 'FIT images (a device tree, not this header): not handled'],
};
