// The structure of an ELF file as named spans, for `explain <a> <b>`: the ELF header, the
// program header table, every section by name with its address (its offset in the
// section for a relocatable object, whose sections have no address yet), the section
// header table. The build ID is computed from the rest; compressed sections
// (SHF_COMPRESSED, zlib) are inflated to look inside.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { hasContents, ints, readElf } from './file.js';
import * as S from './spec.js';

export async function elfRegions(r: RangeReader): Promise<Region[]> {
  const elf = await readElf(r);
  const { L } = elf;
  const I = ints(elf.is64, elf.le);
  const out: Region[] = [{ start: 0, end: Math.min(L.ehsize, r.size), label: 'ELF header' }];
  const add = (start: number, size: number, label: string, extra: Partial<Region> = {}) => {
    const end = Math.min(start + size, r.size);
    if (start < end) out.push({ start, end, label, ...extra });
  };
  if (elf.segments.length > 0) add(elf.phoff, elf.segments.length * L.phentsize, 'program headers');
  for (const s of elf.sections) {
    if (s.index === 0 || !hasContents(s)) continue;
    // A relocatable object's sections are not placed yet: offsets inside the section say more.
    const placed = elf.type !== S.ET_REL && (s.flags & S.SHF_ALLOC) !== 0;
    const where: Partial<Region> = placed ? { rva: s.addr, rvaName: 'address' } : { rva: 0, rvaName: 'offset' };
    const name = s.name || `#${s.index}`;
    if (s.flags & S.SHF_COMPRESSED && s.size >= L.chdrsize) {
      const chdr = await r.read(s.offset, L.chdrsize, `compression header of section ${name}`);
      if (I.u32(chdr, L.ch_type) === S.ELFCOMPRESS_ZLIB) {
        add(s.offset, s.size, `section ${name} (zlib-compressed)`, { ...where, zlib: { skip: L.chdrsize } });
        continue;
      }
      add(s.offset, s.size, `section ${name} (compressed, type ${I.u32(chdr, L.ch_type)})`, where);
      continue;
    }
    if (s.name === '.note.gnu.build-id') {
      add(s.offset, s.size, `section ${name} (build ID)`, { ...where, derivedFrom: 'the build ID, a hash the linker computed from the linked content' });
      continue;
    }
    add(s.offset, s.size, `section ${name}`, where);
  }
  if (elf.sections.length > 0) add(elf.shoff, elf.sections.length * L.shentsize, 'section headers');
  return out;
}
