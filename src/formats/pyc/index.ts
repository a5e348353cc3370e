import type { Format } from '../../core/format.js';
import { onFirstUse } from '../shared/lazy.js';
import { isPyc } from './spec.js';

const planner = onFirstUse(() => import('./plan.js'));

export const pyc: Format = {
  name: 'pyc',
  title: 'CPython bytecode (.pyc, PEP 552 header, Python 3.7 to 3.15)',
  detect: (head) => isPyc(head),
  plan: async (ctx) => (await planner()).planPyc(ctx),
  regions: async (r) => (await import('./regions.js')).pycRegions(r),
  fields: [
    {
      field: 'flags, mtime and source size of a timestamp pyc whose source is where Python looks for it (__pycache__/mod.cpython-311.pyc <- ../mod.py; mod.pyc <- mod.py) and matches it',
      value: 'a checked hash-based pyc: flags 3 and the SipHash of the source that importlib.util.source_hash computes (SipHash-2-4 up to 3.10, SipHash-1-3 from 3.11), valid whatever the files\' mtimes',
    },
    { field: 'mtime of a timestamp pyc without its source (inside an archive, or shipped alone)', value: 'the epoch (--clamp: only if newer), with a warning: Python recompiles it unless the source\'s mtime is the epoch too' },
  ],
  leftAlone: [
    'hash-based pycs (checked or unchecked): they hold no time; a checked one whose hash does not match its source is warned about, not "fixed"',
    'a timestamp pyc whose source has another mtime or size (stale: Python recompiles it anyway) is not turned into a hash pyc; only its mtime is set, with a warning',
    'a source that is a symlink, larger than 64 MiB or unreadable counts as missing; the source itself is only read',
    'pycs of Python 3.0 to 3.6 (no flags word) and of unknown magics: skipped with the reason',
    'the marshalled code object (it is deterministic for the same source and Python)',
  ],
};
