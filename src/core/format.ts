import type { RangeReader } from './reader.js';

/**
 * Whether `head` holds the bytes of `magic` (a Buffer or latin1 text) at `at` (its start by
 * default), compared byte by byte: detection asks every format about every archive member,
 * and most say no at the first byte, with no text decoded and no Buffer made.
 */
export function startsWith(head: Buffer, magic: Buffer | string, at = 0): boolean {
  const n = magic.length;
  if (head.length < at + n) return false;
  if (typeof magic === 'string') {
    for (let i = 0; i < n; i++) if (head[at + i] !== magic.charCodeAt(i)) return false;
  } else {
    for (let i = 0; i < n; i++) if (head[at + i] !== magic[i]) return false;
  }
  return true;
}

/** What `unstamp formats` and the README list: one rewritten field and the value written. */
export interface FieldDoc {
  field: string;
  value: string;
}

/** Another file of the tree that a file depends on (a Python bytecode file's source), read by PlanContext.sibling. */
export interface SiblingFile {
  bytes: Buffer;
  size: number;
  /** Its modification time, nanoseconds since 1970. */
  mtimeNs: bigint;
}

/** The most a sibling may hold: larger files are not read (sibling() gives undefined). */
export const MAX_SIBLING = 64 * 1024 * 1024;

/** Options every planner sees. */
export interface PlanOptions {
  /** Seconds since 1970-01-01 UTC: the value timestamps are set to. */
  epoch: number;
  /** Only replace timestamps newer than the epoch. */
  clamp: boolean;
  /** Values of the formats' own options (FormatOption.name -> value); defaults filled in. */
  settings?: Readonly<Record<string, string>>;
  /**
   * --remap-path OLD=NEW rules (same length each): every format replaces OLD by NEW in
   * the bytes it knows hold paths, and recomputes what hashes them.
   */
  remap?: readonly RemapRule[];
}

/** One `--remap-path OLD=NEW`: NEW has exactly OLD's length in UTF-8 and in UTF-16. */
export interface RemapRule {
  from: string;
  to: string;
}

/** An option a format adds to the CLI and the API (`--pe-timestamp epoch`). */
export interface FormatOption {
  name: string;
  describe: string;
  choices: readonly string[];
  default: string;
}

/**
 * Files that must be normalized together: a primary (an executable) and its companions
 * (its debug database) share a key computed from their original bytes. The engine plans
 * the primary first and hands the companion the primary's final bytes of the fields the
 * primary exported, so both end up matching each other.
 */
export interface FormatLink {
  role: 'primary' | 'companion';
  /** The pairing key from the original bytes, or undefined if this file pairs with nothing. */
  key(reader: RangeReader): Promise<string | undefined>;
  /**
   * A primary whose companion is not in the run: the warning to give. `pairedWith`: the
   * companion is in the run but goes with another primary of the same key (both paths).
   */
  unpaired?(key: string, pairedWith?: { companion: string; primary: string }): string;
  /** A companion whose primary is not in the run: the reason it is skipped. */
  orphaned?(key: string): string;
  /**
   * Primary side: the file name (no folder) of the companion it references, if it names
   * one. Tells apart two primaries with the same key (a file and a patched copy of it).
   */
  names?(reader: RangeReader): Promise<string | undefined>;
  /** A companion whose key several primaries carry, none clearly its own: the reason it is skipped. */
  ambiguous?(key: string, primaries: readonly string[]): string;
  /**
   * Primary side: the key its companions carry once normalized, from what the primary
   * published. A run interrupted between writing a companion and writing its primary
   * leaves them with different keys; the next run pairs them again through this.
   */
  keyAfter?(published: ReadonlyMap<string, Buffer>): string | undefined;
}

/**
 * A value computed from the patched file itself (a checksum, a content-derived ID): one
 * streaming pass over `range` with every patch overlaid feeds the hasher, whose digest
 * becomes the field's new bytes. Stages run in order, so a later stage (a zip or cpio
 * member's CRC) sees the values of an earlier one (a checksum inside the member); each
 * stage costs a pass over its range, so a value that can be corrected afterwards (the PE
 * checksum, linear in the bytes) is computed in the same stage as the fields it covers.
 * A hasher that must not see its own field skips `offset..offset+size` itself, so the
 * result does not depend on the field's current value.
 */
export interface DerivedField {
  offset: number;
  size: number;
  field: string;
  stage: number;
  range: { start: number; end: number };
  createHasher(): DerivedHasher;
  /** Renders the field's bytes for reports. */
  render(bytes: Buffer): string;
}

export interface DerivedHasher {
  update(chunk: Buffer, offset: number): void;
  digest(): Buffer;
}

export interface PatchInput {
  /** Relative to the planner's reader. */
  offset: number;
  bytes: Buffer;
  oldBytes: Buffer;
  field: string;
  /** The old and new values as text for reports; or leave them out and give `render`. */
  old?: string;
  new?: string;
  /**
   * Renders the field's old or new bytes as text, called only when a report shows the
   * field (-v, --json, explain): a plain run renders nothing. Share one function across
   * fields (a module-level one) rather than a closure per field.
   */
  render?: (bytes: Buffer, which: 'old' | 'new') => string;
}

/**
 * What a format planner gets. Offsets it passes are relative to `reader`; the context
 * translates them to file offsets and prefixes field names with the member path, so a
 * planner works the same on a whole file and on a member of a container.
 */
export interface PlanContext {
  readonly reader: RangeReader;
  readonly options: PlanOptions;
  /** 0 for a file, 1 for a member of a container, and so on. */
  readonly depth: number;
  /** A field that unstamp rewrites (recorded even when already at its normal value). */
  patch(p: PatchInput): void;
  derive(d: DerivedField): void;
  /** Something seen and deliberately left alone; shown by `explain`. */
  note(text: string): void;
  warn(text: string): void;
  /** The normalized value of a timestamp field under --epoch / --clamp. */
  time(old: number): number;
  /**
   * Plan the bytes [offset, offset+length) as a file of their own, with whatever format
   * detects them. Returns the format name, or undefined if none claimed them.
   */
  member(offset: number, length: number, name: string): Promise<string | undefined>;
  /** A format option's value (its default when not given). */
  setting(name: string): string;
  /**
   * Primary side of a link: after planning, the final bytes of [offset, offset+size)
   * (patched or derived, or as they were) are handed to companions under `name`.
   */
  publish(name: string, offset: number, size: number): void;
  /** Companion side: a value the primary published, or undefined when planned alone. */
  linked(name: string): Buffer | undefined;
  /**
   * A whole file on disk: its own name and its folder's name (base names, as UTF-8 text).
   * Undefined for a member of a container, for bytes planned from memory, and for a name
   * that is not valid UTF-8.
   */
  readonly file: { name: string; folder: string } | undefined;
  /**
   * Read another file by a path relative to this file's folder: a name ("mod.py") or a
   * name one folder up ("../mod.py"). Only a regular file is read, never through a
   * symlink, looked up from the folder the walk found this file in; at most MAX_SIBLING
   * bytes. Undefined when there is no such file (or it is a symlink, too large,
   * unreadable), and always for a member of a container.
   */
  sibling(relative: string): Promise<SiblingFile | undefined>;
}

/** One change a rewrite makes, for reports: a field of the file, or of a payload inside it. */
export interface RewriteChange {
  field: string;
  /** Where it lies: in the file, or (a payload's field) in the payload's own bytes. */
  offset: number;
  old: string;
  new: string;
}

/**
 * Bytes that are a file of their own but can only be reached by decoding (a tar inside a
 * gzip, a deflated zip member): either already addressable, or a stream of chunks (an
 * inflate stream), which is spooled to scratch space first.
 */
export type PayloadInput = RangeReader | AsyncIterable<Buffer>;

/** A payload after tools.normalize: planned with every format, patched, and rewritten if its format asks. */
export interface NormalizedPayload {
  /** The format that claimed the payload. */
  format: string;
  /** What changed, field names prefixed with the payload's name; empty if it was already normal. */
  changes: RewriteChange[];
  /** What its format left alone (prefixed like the changes). */
  notes: string[];
  /** Changes inside it that the settings kept from being made (prefixed like the changes). */
  kept: string[];
  /** Size of the normalized bytes. */
  size: number;
  /** The normalized bytes, from the start, in chunks of at most 1 MiB. */
  chunks(): AsyncIterable<Buffer>;
  /** Frees the scratch space (an unlinked temporary file, or memory). */
  close(): Promise<void>;
}

/** What the engine hands a FormatRewrite: the run's settings and the payload facility. */
export interface RewriteTools {
  /** Values of the formats' own options (FormatOption.name -> value), defaults filled in. */
  readonly settings: Readonly<Record<string, string>>;
  /**
   * --recompress: 'auto' lets a rewrite decompress a payload, normalize it and compress it
   * again; 'never' keeps unstamp in place (a rewrite then only notes what it would change).
   */
  readonly recompress: 'auto' | 'never';
  /** Something seen and left alone (only kept from `needed`). */
  note(text: string): void;
  /**
   * A change the settings keep from being made (--recompress never): listed by -v and
   * explain, so a user sees what the option costs (only kept from `needed`).
   */
  keep(text: string): void;
  /** The format that would claim these bytes (`head`: the first up to 512 bytes, `size`: the whole size), if any. */
  detect(head: Buffer, size: number): string | undefined;
  /** Whether a format (by name) has a rewrite of its own: a container only asks tools.normalize about members that may need one. */
  rewrites(format: string): boolean;
  /**
   * Plan `input` with every format (the run's epoch, clamp and settings), apply its
   * in-place patches, and apply its format's own rewrite too if that is needed: the
   * normalized bytes, with what changed. Undefined if no format claims the bytes. A payload
   * that breaks its format's rules throws a FormatError naming `name`. Memory stays flat
   * in the payload's size: a large payload is spooled to an unlinked temporary file.
   * `alreadyPlanned`: the bytes are a member the container's own plan already normalized
   * in place (an ar member): its notes are not given again, only the rewrite's.
   */
  normalize(input: PayloadInput, name: string, opts?: { alreadyPlanned?: boolean }): Promise<NormalizedPayload | undefined>;
}

/**
 * A rewrite that cannot be done in place (members put in canonical order, a payload
 * decompressed, normalized and compressed again). It runs after the in-place plan was
 * applied: it reads the planned file (every in-place patch laid over) and streams a new
 * one, which the engine writes to a temporary file beside the original and renames over
 * it, keeping mode, owner and times. It may also run on a payload (tools.normalize), for
 * a container inside a compressed file.
 */
export interface FormatRewrite {
  /**
   * What the rewrite would change in the planned bytes; empty if nothing (the file is
   * already in its rewritten form, or the settings ask for nothing).
   */
  needed(reader: RangeReader, tools: RewriteTools): Promise<RewriteChange[]>;
  write(reader: RangeReader, out: (chunk: Buffer) => Promise<void>, tools: RewriteTools): Promise<void>;
}

/**
 * A named span of a file's structure, for `explain <a> <b>`: where bytes that still
 * differ after normalization lie (a PE section, a zip member's data, a PDB stream).
 * Offsets are relative to the reader handed to `regions`. Regions may nest (a debug
 * directory inside a section); the smallest ones that hold an offset describe it best.
 */
export interface Region {
  start: number;
  end: number;
  /** "section .rdata", "member foo.o (data)", "stream 3 (DBI)". */
  label: string;
  /** The address of `start` in another numbering (a PE RVA, a Mach-O VM address, an offset in a stream). */
  rva?: number;
  /** What `rva` counts (default "RVA"): "address" (Mach-O), "stream offset", "offset" (in a member). */
  rvaName?: string;
  /** The bytes are a file of their own (an archive member, a fat slice): its own format may name its parts. */
  member?: boolean;
  /** The bytes are a raw deflate stream: differences inside are looked for in the inflated data. */
  deflate?: boolean;
  /**
   * The bytes are a zlib stream (RFC 1950: header, deflate data, Adler-32) after a header of
   * `skip` bytes of their own (an ELF Elf_Chdr): looked into like `deflate`.
   */
  zlib?: { skip: number };
  /** The bytes are computed from other bytes (a CRC, a checksum): says from what, as the likely cause. */
  derivedFrom?: string;
  /**
   * The bytes are the contents of the archive member of this name (a zip or ar member, a
   * fat slice by its CPU type): `explain` pairs the members of a and b by it.
   */
  entry?: string;
  /**
   * What the format knows the span holds (a PNG tIME chunk, a uImage ih_time: "timestamp"):
   * `explain` names a difference there by the region's label and this kind, rather than
   * guessing from the bytes.
   */
  kind?: 'timestamp' | 'GUID' | 'build path';
}

/**
 * A function or data object of a program, for `explain <a> <b>`: bytes [start, end) of
 * the reader handed to `symbols` (file offsets, not addresses), and its name as the
 * symbol table has it (mangled; `explain` demangles when it can).
 */
export interface FormatSymbol {
  name: string;
  start: number;
  end: number;
  kind: 'function' | 'object';
}

export interface Format {
  /** Short name used by --formats and in reports. */
  name: string;
  title: string;
  /** Magic bytes only: `head` is the first bytes of the file (up to 512), `size` its size. */
  detect(head: Buffer, size: number): boolean;
  /**
   * For formats found by a trailer (a zip behind a self-extractor stub): asked with the
   * last bytes of the file (up to 1 KiB) when no format claimed the head.
   */
  detectTail?(tail: Buffer, size: number): boolean;
  plan(ctx: PlanContext): Promise<void>;
  fields: FieldDoc[];
  /** What the format deliberately leaves alone, for `formats` and the README. */
  leftAlone: string[];
  options?: readonly FormatOption[];
  link?: FormatLink;
  rewrite?: FormatRewrite;
  /** The file's structure as named spans, for `explain <a> <b>`; read-only, never part of a plan. */
  regions?(reader: RangeReader): Promise<Region[]>;
  /**
   * The functions and data objects the file's symbol tables place, for `explain`; read-only.
   * `companion`: a companion file (its debug database, same link key) found beside a
   * primary, whose symbols may name what the primary's own tables do not.
   */
  symbols?(reader: RangeReader, companion?: RangeReader): Promise<FormatSymbol[]>;
}
