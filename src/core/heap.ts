import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/** Where V8's young generation stops growing: two semi-spaces of 2 MB. */
const YOUNG_GENERATION = 4 << 20;

let started = false;
let observer: PerformanceObserver | undefined;

/**
 * Stop V8's young generation from growing past YOUNG_GENERATION. By default it doubles
 * after scavenges that find much of it alive, up to 2 x 16 MB: on a tree of 5,000 files
 * it grew to 32 MB and stayed, a fifth of the peak RSS of a run whose live heap is 10-30
 * MB. --max-semi-space-size is read only when the heap is set up, but the growth factor
 * is read at each growth, so it is set to 1 (no more growth) after the first GC that
 * finds the young generation at the size wanted. Kept at its first size (1 MB) instead,
 * scavenges came so often that the tree took 12% more CPU time; at 4 MB, none more.
 */
export function limitYoungGeneration(): void {
  if (started) return;
  started = true;
  const grown = () => (v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? Infinity) >= YOUNG_GENERATION;
  const stop = () => v8.setFlagsFromString('--semi-space-growth-factor=1');
  if (grown()) return stop();
  const watch = new PerformanceObserver(() => {
    if (!grown()) return;
    stop();
    watch.disconnect();
  });
  observer = watch;
  watch.observe({ entryTypes: ['gc'] });
}

/**
 * After a run: V8's flags back as they were (its default growth factor is 2). V8 stamps a
 * code cache with a hash of the flags set, so a cache written by bin/unstamp.js after the run
 * (src/code-cache.cts) with the flag still at 1 was refused by every later run, which starts
 * with the defaults.
 */
export function releaseYoungGeneration(): void {
  if (!started) return;
  started = false;
  observer?.disconnect();
  observer = undefined;
  v8.setFlagsFromString('--semi-space-growth-factor=2');
}
