import type { Format } from '../../core/format.js';
import { onFirstUse } from '../shared/lazy.js';
import { HEADER_SIZE, MAGIC } from './spec.js';

const planner = onFirstUse(() => import('./plan.js'));

export const mo: Format = {
  name: 'mo',
  title: 'GNU gettext message catalogs (.mo), either byte order',
  detect: (head) => head.length >= HEADER_SIZE && (head.readUInt32LE(0) === MAGIC || head.readUInt32BE(0) === MAGIC),
  plan: async (ctx) => (await planner()).planMo(ctx),
  regions: async (r) => (await import('./regions.js')).moRegions(r),
  fields: [
    { field: 'header entry (msgid "") POT-Creation-Date', value: 'the epoch in UTC, same shape and length ("YYYY-MM-DD HH:MM+0000"; --clamp: only if newer)' },
    { field: 'header entry (msgid "") PO-Revision-Date', value: 'the same' },
  ],
  leftAlone: [
    'the hash table (it hashes msgids; the header\'s is empty) and every other string',
    'a date field that is not a date (a template\'s "YEAR-MO-DA HO:MI+ZONE") is noted and kept',
  ],
};
