import type { RangeReader } from './reader.js';

/** What `unstamp formats` and the README list: one rewritten field and the value written. */
export interface FieldDoc {
  field: string;
  value: string;
}

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
 * becomes the field's new bytes. Stages run in order, so a later stage (a PE checksum)
 * sees the values of an earlier one (a GUID). A hasher that must not see its own field
 * skips `offset..offset+size` itself, so the result does not depend on the field's
 * current value.
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
  old: string;
  new: string;
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
}

/**
 * A rewrite that cannot be done in place (members put in canonical order). It runs after
 * the in-place plan was applied: it reads the file and streams a new one, which the
 * engine writes to a temporary file beside the original and renames over it, keeping
 * mode, owner and times. Only for whole files, never for members of a container.
 */
export interface FormatRewrite {
  /** The field name reports use ("member order"). */
  field: string;
  /** Whether the settings ask for it (e.g. --zip-order name). */
  wanted(settings: Readonly<Record<string, string>>): boolean;
  /** Undefined if the file is already in canonical form, else what is out of place. */
  needed(reader: RangeReader): Promise<string | undefined>;
  /** What the rewritten file will hold, for reports ("sorted by name"). */
  result: string;
  write(reader: RangeReader, out: (chunk: Buffer) => Promise<void>): Promise<void>;
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
  /** The functions and data objects the file's symbol tables place, for `explain`; read-only. */
  symbols?(reader: RangeReader): Promise<FormatSymbol[]>;
}
