// The functions and data a PDB places in its executable, for `explain`: the public
// symbols (S_PUB32 in the symbol record stream, external names only) and the procedures
// of every module stream (S_GPROC32 / S_LPROC32, which also name static functions and
// carry their code size). Each is a section number (1-based, the PE's section table) and
// an offset in that section; the PE side turns them into file offsets.
// References: LLVM llvm/docs/PDB/DbiStream.rst, ModiStream.rst, PublicStream.rst and
// CodeViewSymbols.rst; llvm/include/llvm/DebugInfo/CodeView/CodeViewSymbols.def.
import type { RangeReader } from '../../core/reader.js';
import { readMsf, readStream, type Msf } from './msf.js';
import * as S from './spec.js';

/** A place the PDB names: section (1-based) and offset in it; size when the record gives one. */
export interface PdbPlace {
  section: number;
  at: number;
  name: string;
  func: boolean;
  size?: number;
}

/** struct DbiStreamHeader (the "new" header, 64 bytes): the fields read here. */
const DBI_HEADER_SIZE = 64;
const dbi_SymRecordStream = 20;
const dbi_ModInfoSize = 24;
/** struct ModInfo up to ModuleName: ModuleSymStream at 34, SymByteSize at 36. */
const MODINFO_FIXED = 64;
const mi_ModuleSymStream = 34;
const mi_SymByteSize = 36;
/** Symbol record kinds (CodeViewSymbols.def). */
const S_PUB32 = 0x110e;
const S_LPROC32 = 0x110f;
const S_GPROC32 = 0x1110;
/** PublicSym32 Flags: Function. */
const PUB_FUNCTION = 2;
/** A module stream starts with its signature (4: C13 line info). */
const MODULE_SIGNATURE_SIZE = 4;
/** Streams larger than this are not read whole for names: a bound, not a limit of the format. */
const MAX_SYMBOL_STREAM = 64 << 20;
const MAX_MODULES = 1 << 16;

/** Every place the PDB names; throws FormatError on a malformed PDB (the caller drops PDB symbols then). */
export async function pdbPlaces(r: RangeReader): Promise<PdbPlace[]> {
  const msf = await readMsf(r);
  const dbi = msf.streams[S.STREAM_DBI];
  if (!dbi || dbi.nil || dbi.size < DBI_HEADER_SIZE) return [];
  const head = await readStream(r, msf, S.STREAM_DBI, 0, DBI_HEADER_SIZE, 'DBI stream header');
  if (head.readUInt32LE(S.DbiStreamHeader.VersionSignature.offset) !== S.DBI_VERSION_SIGNATURE_NEW) return [];
  const out: PdbPlace[] = [];
  // Procedures first: where a public and a procedure start at one place, the first wins.
  const modInfoSize = head.readInt32LE(dbi_ModInfoSize);
  if (modInfoSize > 0 && DBI_HEADER_SIZE + modInfoSize <= dbi.size) {
    const mods = await whole(r, msf, S.STREAM_DBI, DBI_HEADER_SIZE, modInfoSize, 'DBI module info substream');
    let n = 0;
    for (let at = 0; at + MODINFO_FIXED <= mods.length && n < MAX_MODULES; n++) {
      const stream = mods.readUInt16LE(at + mi_ModuleSymStream);
      const bytes = mods.readUInt32LE(at + mi_SymByteSize);
      // ModuleName and ObjFileName, NUL-terminated, then padding to 4.
      const a = mods.indexOf(0, at + MODINFO_FIXED);
      const b = a < 0 ? -1 : mods.indexOf(0, a + 1);
      if (b < 0) break;
      at = (b + 1 + 3) & ~3;
      const s = msf.streams[stream];
      if (stream === 0xffff || !s || s.nil || bytes <= MODULE_SIGNATURE_SIZE || bytes > s.size) continue;
      const recs = await whole(r, msf, stream, 0, bytes, `module stream ${stream}`);
      records(recs, MODULE_SIGNATURE_SIZE, (kind, rec) => {
        if ((kind === S_GPROC32 || kind === S_LPROC32) && rec.length >= 35) {
          out.push({ section: rec.readUInt16LE(32), at: rec.readUInt32LE(28), size: rec.readUInt32LE(12), name: cstr(rec, 35), func: true });
        }
      });
    }
  }
  const symStream = head.readUInt16LE(dbi_SymRecordStream);
  const sym = msf.streams[symStream];
  if (symStream !== 0xffff && sym && !sym.nil && sym.size > 0) {
    const recs = await whole(r, msf, symStream, 0, sym.size, 'symbol record stream');
    records(recs, 0, (kind, rec) => {
      if (kind === S_PUB32 && rec.length >= 10) {
        out.push({ section: rec.readUInt16LE(8), at: rec.readUInt32LE(4), name: cstr(rec, 10), func: (rec.readUInt32LE(0) & PUB_FUNCTION) !== 0 });
      }
    });
  }
  return out.filter((p) => p.name !== '');
}

/** Bytes [offset, offset+length) of a stream, read block by block. */
async function whole(r: RangeReader, msf: Msf, stream: number, offset: number, length: number, what: string): Promise<Buffer> {
  if (length > MAX_SYMBOL_STREAM) return Buffer.alloc(0);
  const step = msf.blockSize * 64;
  const parts: Buffer[] = [];
  for (let at = 0; at < length; at += step) parts.push(await readStream(r, msf, stream, offset + at, Math.min(step, length - at), what));
  return Buffer.concat(parts, length);
}

/** Each record (u16 RecordLen counting the kind, u16 RecordKind, data) from `at`: fn(kind, data). */
function records(buf: Buffer, at: number, fn: (kind: number, data: Buffer) => void): void {
  while (at + 4 <= buf.length) {
    const len = buf.readUInt16LE(at);
    if (len < 2 || at + 2 + len > buf.length) return;
    fn(buf.readUInt16LE(at + 2), buf.subarray(at + 4, at + 2 + len));
    at += 2 + len;
  }
}

function cstr(b: Buffer, at: number): string {
  const nul = b.indexOf(0, at);
  return b.toString('utf8', at, nul < 0 ? b.length : nul);
}
