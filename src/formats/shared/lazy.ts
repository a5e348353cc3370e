// A format's heavy parts (planner, rewrite) are loaded the first time a file of that format
// is found: every module imported at start-up is paid for by every run, and a run meets a
// few formats at most (issue 17). Detection and the format's description stay eager.
import type { FormatRewrite } from '../../core/format.js';

/** A module loaded on first call and kept: later calls cost one resolved promise, not an import(). */
export function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

/** A rewrite whose code is loaded on first use. */
export function lazyRewrite(load: () => Promise<FormatRewrite>): FormatRewrite {
  const rewrite = onFirstUse(load);
  return {
    needed: async (reader, tools) => (await rewrite()).needed(reader, tools),
    write: async (reader, out, tools) => (await rewrite()).write(reader, out, tools),
  };
}
