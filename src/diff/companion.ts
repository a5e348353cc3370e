// A primary's companion for `explain` (a PE's PDB): the file the primary names, in the
// primary's folder, taken only if it carries the primary's link key (the PDB of this very
// build, same GUID), so a stale PDB left beside a rebuilt image names nothing.
import { open, type FileHandle } from 'node:fs/promises';
import type { Format } from '../core/format.js';
import { detectFormat } from '../core/plan.js';
import { dirOf, joinPath, type FilePath } from '../core/paths.js';
import { FileSource, RangeReader, type ByteSource } from '../core/reader.js';

export interface Companion {
  reader: RangeReader;
  close(): Promise<void>;
}

/** The companion beside `path` whose key matches the primary in `source`, or undefined. */
export async function findCompanion(path: FilePath, source: ByteSource, formats: readonly Format[]): Promise<Companion | undefined> {
  let fh: FileHandle | undefined;
  try {
    const primary = RangeReader.of(source);
    const format = await detectFormat(formats, primary);
    const link = format?.link;
    if (!link || link.role !== 'primary' || !link.names) return undefined;
    const key = await link.key(primary);
    const name = await link.names(primary);
    if (!key || !name) return undefined;
    fh = await open(joinPath(dirOf(path), name), 'r');
    const reader = RangeReader.of(new FileSource(fh, (await fh.stat()).size));
    const other = await detectFormat(formats, reader);
    if (other?.link?.role !== 'companion' || (await other.link.key(reader)) !== key) {
      await fh.close();
      return undefined;
    }
    const handle = fh;
    return { reader, close: () => handle.close() };
  } catch {
    // No companion there, or one that cannot be read: the primary's own symbols still count.
    await fh?.close().catch(() => undefined);
    return undefined;
  }
}
