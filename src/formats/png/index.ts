import { startsWith, type Format } from '../../core/format.js';
import { onFirstUse } from '../shared/lazy.js';
import { SIGNATURE } from './spec.js';

const planner = onFirstUse(() => import('./plan.js'));

export const png: Format = {
  name: 'png',
  title: 'PNG images',
  detect: (head) => startsWith(head, SIGNATURE),
  plan: async (ctx) => (await planner()).planPng(ctx),
  regions: async (r) => (await import('./regions.js')).pngRegions(r),
  fields: [
    { field: 'tIME chunk', value: 'the epoch, in UTC (--clamp: only if newer)' },
    {
      field: 'tEXt, zTXt, iTXt chunks keyed date:* (ImageMagick date:create, date:modify, date:timestamp), "Creation Time", "Modification Time"',
      value: 'the epoch in UTC, written in the value\'s own shape and length (ISO 8601 with the same zone form, RFC 1123, asctime); a compressed value is compressed again to its exact length',
    },
    { field: 'CRC of each changed chunk', value: 'recomputed' },
  ],
  leftAlone: [
    'image data (IDAT), every other chunk and text keyword',
    'dates and IDs inside an XMP packet (iTXt "XML:com.adobe.xmp", as image editors write) or an eXIf chunk',
    'a date value in a shape unstamp does not know, or that cannot hold the new time at its length (a one-digit RFC 1123 day), is noted and kept',
    'bytes after IEND',
  ],
};
