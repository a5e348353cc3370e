import { FormatError, hex } from '../../core/errors.js';
import type { PlanContext } from '../../core/format.js';
import { MAX_READ, type RangeReader } from '../../core/reader.js';
import { renderTime } from '../../core/time.js';
import { encodeField, kindName, kindOf, maxValue, readField, readHeader, type Header, type Kind } from './header.js';
import * as S from './spec.js';

const decimal = (v: number) => String(v);

function label(h: Header): string {
  return h.name === S.TRAILER ? `trailer ${S.TRAILER}` : `entry ${h.name}`;
}

/**
 * A field's text for reports, from its own bytes: made once per variant, byte order,
 * field and rendering, and only called for a field a report shows (a plain run renders
 * nothing).
 */
const renderers = new Map<S.Field, Map<number, (b: Buffer) => string>>();
const ENCODINGS = ['hex', 'octal', 'binary'];
function rendererOf(kind: Kind, f: S.Field, render: (v: number) => string): (b: Buffer) => string {
  const code = ENCODINGS.indexOf(kind.layout.encoding) * 4 + (kind.le ? 2 : 0) + (render === renderTime ? 1 : 0);
  let byField = renderers.get(f);
  if (!byField) renderers.set(f, (byField = new Map()));
  let r = byField.get(code);
  if (!r) {
    const own = { ...f, offset: 0 };
    r = (b) => render(readField(kind, b, own)!);
    byField.set(code, r);
  }
  return r;
}

/**
 * The fields' bytes of one archive, kept for the next field of the same value: the
 * normal values (0, the epoch) are encoded once per field and case, not once per entry.
 * The plan copies the bytes it keeps, so one Buffer serves every entry.
 */
class Encoder {
  private readonly last = new Map<S.Field, { value: number; upper: boolean; bytes: Buffer }>();
  of(h: Header, f: S.Field, value: number): Buffer {
    const last = this.last.get(f);
    if (last && last.value === value && last.upper === h.upper) return last.bytes;
    const bytes = encodeField(h.kind, f, value, h.upper);
    this.last.set(f, { value, upper: h.upper, bytes });
    return bytes;
  }
}

/** One entry's fields: its label made once, its values encoded through the archive's Encoder. */
interface Fields {
  h: Header;
  label: string;
  enc: Encoder;
}

function setField(ctx: PlanContext, e: Fields, f: S.Field, value: number, render: typeof decimal | typeof renderTime = decimal): void {
  const h = e.h;
  ctx.patch({
    offset: h.offset + f.offset,
    oldBytes: h.raw.subarray(f.offset, f.offset + f.size),
    bytes: e.enc.of(h, f, value),
    field: e.label + f.name,
    render: rendererOf(h.kind, f, render),
  });
}

const fieldsOf = (h: Header, enc: Encoder): Fields => ({ h, label: `${label(h)} `, enc });

const isDevice = (mode: number) => (mode & S.S_IFMT) === S.S_IFCHR || (mode & S.S_IFMT) === S.S_IFBLK;

/** The crc format's c_check: the sum of the data bytes, modulo 2^32. */
function byteSum(sum: number, chunk: Buffer): number {
  for (let i = 0; i < chunk.length; i++) sum += chunk[i];
  return sum % 0x100000000;
}

async function dataSum(r: RangeReader, h: Header): Promise<number> {
  let sum = 0;
  for (let at = h.dataStart; at < h.dataEnd; at += MAX_READ) {
    sum = byteSum(sum, await r.read(at, Math.min(MAX_READ, h.dataEnd - at), `data of cpio entry ${h.name}`));
  }
  return sum;
}

/**
 * The crc format's c_check: checked against the data, then derived from the patched data
 * (a member of a known format inside, normalized in place, changes the sum).
 */
async function planCheck(ctx: PlanContext, h: Header, memberPlanned: boolean): Promise<void> {
  const f = h.kind.layout.c_check!;
  const stored = readField(h.kind, h.raw, f)!;
  const sum = await dataSum(ctx.reader, h);
  if (stored !== sum) {
    throw new FormatError(
      `cpio entry ${JSON.stringify(h.name)} at ${hex(h.offset)}: c_check ${hex(stored)} does not match the sum of its data bytes ${hex(sum)}`,
      ctx.reader.base + h.offset + f.offset,
    );
  }
  if (!memberPlanned) return;
  ctx.derive({
    offset: h.offset + f.offset,
    size: f.size,
    field: `${label(h)} c_check`,
    stage: S.CHECK_STAGE_BASE - ctx.depth,
    range: { start: h.dataStart, end: h.dataEnd },
    createHasher: () => {
      let s = 0;
      return {
        update: (chunk) => {
          s = byteSum(s, chunk);
        },
        digest: () => encodeField(h.kind, f, s, h.upper),
      };
    },
    render: (b) => hex(parseInt(b.toString('latin1'), 16)),
  });
}

/** The trailer as GNU cpio writes it: every number 0 but c_nlink 1; its name, sizes and c_check kept. */
function planTrailer(ctx: PlanContext, h: Header, enc: Encoder): void {
  const l = h.kind.layout;
  const e = fieldsOf(h, enc);
  for (const f of [l.c_ino, l.c_mode, l.c_uid, l.c_gid, ...l.dev, ...l.rdev]) setField(ctx, e, f, 0);
  setField(ctx, e, l.c_nlink, S.TRAILER_NLINK);
  setField(ctx, e, l.c_mtime, 0, renderTime);
}

/** Numbers entries 1, 2, 3... in archive order; the entries of one hard-link group share theirs. */
class Inodes {
  private next = 1;
  /** Original device and inode of entries with c_nlink > 1 -> new inode and how many entries share it. */
  private readonly groups = new Map<string, { ino: number; entries: number }>();

  number(ctx: PlanContext, h: Header): number {
    const l = h.kind.layout;
    // Readers link entries with c_nlink > 1 and the same device and inode (GNU cpio,
    // libarchive, the kernel); the rest get a number of their own, so a clash of inode
    // numbers in one build only (odc keeps 18 bits of them) changes nothing.
    const key = h.nlink > 1 ? [...l.dev, l.c_ino].map((f) => readField(h.kind, h.raw, f)).join(':') : undefined;
    const group = key === undefined ? undefined : this.groups.get(key);
    if (group) {
      group.entries++;
      return group.ino;
    }
    const ino = this.next++;
    if (ino > maxValue(h.kind, l.c_ino)) {
      throw new FormatError(
        `cpio entry ${JSON.stringify(h.name)} at ${hex(h.offset)}: renumbering needs inode ${ino}, more than the ${l.variant} c_ino holds (${maxValue(h.kind, l.c_ino)})`,
        ctx.reader.base + h.offset + l.c_ino.offset,
      );
    }
    if (key !== undefined) this.groups.set(key, { ino, entries: 1 });
    return ino;
  }

  /** Hard-link groups of more than one entry. */
  get linked(): number {
    return [...this.groups.values()].filter((g) => g.entries > 1).length;
  }
}

/** One entry other than the trailer. */
async function planEntry(ctx: PlanContext, h: Header, inodes: Inodes, enc: Encoder): Promise<boolean> {
  const l = h.kind.layout;
  const e = fieldsOf(h, enc);
  setField(ctx, e, l.c_ino, inodes.number(ctx, h));
  setField(ctx, e, l.c_uid, 0);
  setField(ctx, e, l.c_gid, 0);
  setField(ctx, e, l.c_mtime, ctx.time(readField(h.kind, h.raw, l.c_mtime)!), renderTime);
  for (const f of l.dev) setField(ctx, e, f, 0);
  const device = isDevice(h.mode);
  if (!device) for (const f of l.rdev) setField(ctx, e, f, 0);
  if ((h.mode & S.S_IFMT) !== S.S_IFREG) return device;
  const planned = h.filesize > 0 && (await ctx.member(h.dataStart, h.filesize, h.name)) !== undefined;
  // GNU cpio sums the data of regular files only (a symbolic link's c_check is 0).
  if (l.variant === 'crc') await planCheck(ctx, h, planned);
  return device;
}

/** One archive from `at` to its trailer; returns where the trailer entry ends. */
async function planArchive(ctx: PlanContext, at: number): Promise<number> {
  const { reader } = ctx;
  const inodes = new Inodes();
  const enc = new Encoder();
  let kind: Kind | undefined;
  let entries = 0;
  let devices = 0;
  for (;;) {
    if (at >= reader.size) {
      throw new FormatError(`cpio archive ends at ${hex(at)} without a ${S.TRAILER} entry (truncated?)`, reader.base + Math.min(at, reader.size));
    }
    const h = await readHeader(reader, at, kind);
    kind ??= h.kind;
    if (h.name === S.TRAILER) {
      planTrailer(ctx, h, enc);
      const groups = inodes.linked > 0 ? `, ${inodes.linked} hard-link group${inodes.linked === 1 ? '' : 's'} kept together` : '';
      ctx.note(`${kindName(h.kind)} archive of ${entries} entries${groups}: c_mode, c_nlink, names, order and data kept`);
      if (devices > 0) ctx.note(`${devices} device node${devices === 1 ? '' : 's'}: c_rdev kept`);
      return Math.min(h.next, reader.size);
    }
    if (await planEntry(ctx, h, inodes, enc)) devices++;
    entries++;
    at = h.next;
  }
}

/** Offset of the first non-zero byte at or after `at`, or the reader's size. */
async function skipZeros(r: RangeReader, at: number): Promise<number> {
  while (at < r.size) {
    const chunk = await r.readUpTo(at, 64 * 1024, 'padding after the cpio trailer');
    const i = chunk.findIndex((b) => b !== 0);
    if (i >= 0) return at + i;
    at += chunk.length;
  }
  return r.size;
}

/**
 * Every archive in the file: after a trailer come zero bytes to the writer's block size,
 * and possibly another archive (an initramfs with an early microcode archive in front).
 */
export async function planCpio(ctx: PlanContext): Promise<void> {
  const { reader } = ctx;
  let at = 0;
  for (;;) {
    at = await planArchive(ctx, at);
    const next = await skipZeros(reader, at);
    if (next >= reader.size) return;
    if (!kindOf(await reader.readUpTo(next, 6, 'cpio header magic'))) {
      ctx.note(`${reader.size - next} bytes at ${hex(next)} after the trailer are not a cpio archive: left alone`);
      return;
    }
    at = next;
  }
}
