#!/usr/bin/python3
"""Name the bytes that differ between two builds of a Windows-format file.

    /usr/bin/python3 samples/pe/tools/pe-diff.py A B
    /usr/bin/python3 samples/pe/tools/pe-diff.py --fields FILE

Understands PE images (.exe/.dll), COFF objects (regular, /bigobj, short
import objects), ar archives holding them (.lib/.a, GNU or MS layout) and
PDB (MSF 7.00) files. Standard library only: it parses the structures
itself, so the offsets it prints are plain file offsets (0-based).

With A B: every differing byte is assigned to the structure field that holds
it, and each field is printed once with its file range and both values.
A difference outside the known nondeterministic fields (timestamps,
checksum, CodeView GUID/age, PDB signature/GUID/age, archive member
date/uid/gid/mode, Repro hash) is printed as UNKNOWN and the exit status
is 1. Files of different size are always UNKNOWN.

With --fields FILE: print every known nondeterministic field of FILE with
its offset and value, whether or not it differs from anything.

Debugging and verification aid for samples/pe only.
"""
import struct
import sys

MSF_MAGIC = b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\x00\x00\x00"
BIGOBJ_CLSID = bytes.fromhex("c7a1bad1eebaa94baf20faf66aa4dcb8")
COFF_MACHINES = {0x14C: "i386", 0x8664: "AMD64", 0xAA64: "ARM64", 0x1C4: "ARMNT"}
DEBUG_TYPES = {1: "COFF", 2: "CodeView", 4: "Misc", 12: "VC_FEATURE", 13: "POGO",
               14: "ILTCG", 16: "Repro", 20: "EX_DLLCHARACTERISTICS"}

# Field "kinds" a normalizer is expected to rewrite; anything else is UNKNOWN.
KNOWN_KINDS = {"timestamp", "checksum", "guid", "age", "signature",
               "ar-date", "ar-uid", "ar-gid", "ar-mode", "repro-hash"}


class Field:
    __slots__ = ("start", "length", "name", "kind")

    def __init__(self, start, length, name, kind):
        self.start, self.length, self.name, self.kind = start, length, name, kind


def u16(d, o):
    return struct.unpack_from("<H", d, o)[0]


def u32(d, o):
    return struct.unpack_from("<I", d, o)[0]


# --- COFF objects ------------------------------------------------------------

def coff_object_fields(d, base, prefix):
    """Fields of a COFF object (or bigobj / short import object) at d[base:]."""
    out = []
    if len(d) - base < 20:
        return out
    sig1, sig2 = u16(d, base), u16(d, base + 2)
    if sig1 == 0 and sig2 == 0xFFFF:
        version = u16(d, base + 4)
        if version >= 2 and d[base + 12:base + 28] == BIGOBJ_CLSID:
            out.append(Field(base + 8, 4, prefix + "bigobj ANON_OBJECT_HEADER_BIGOBJ.TimeDateStamp", "timestamp"))
            nsec = u32(d, base + 44)
            out += section_fields(d, base, base + 56, nsec, prefix)
        else:
            out.append(Field(base + 8, 4, prefix + "short import IMPORT_OBJECT_HEADER.TimeDateStamp", "timestamp"))
        return out
    machine = u16(d, base)
    if machine not in COFF_MACHINES:
        return out
    out.append(Field(base + 4, 4, prefix + "COFF FileHeader.TimeDateStamp", "timestamp"))
    nsec, optsize = u16(d, base + 2), u16(d, base + 16)
    out += section_fields(d, base, base + 20 + optsize, nsec, prefix)
    return out


def section_fields(d, base, table, nsec, prefix):
    """Raw-data extents of the sections (only for naming UNKNOWN bytes)."""
    out = []
    for i in range(nsec):
        s = table + 40 * i
        if s + 40 > len(d):
            break
        name = d[s:s + 8].rstrip(b"\0").decode("latin-1")
        size, ptr = u32(d, s + 16), u32(d, s + 20)
        if ptr and size:
            out.append(Field(base + ptr, size, prefix + "section %s data" % name, "section"))
    return out


# --- PE images ---------------------------------------------------------------

def pe_fields(d):
    out = []
    lfanew = u32(d, 0x3C)
    h = lfanew + 4
    out.append(Field(h + 4, 4, "COFF FileHeader.TimeDateStamp", "timestamp"))
    nsec, optsize = u16(d, h + 2), u16(d, h + 16)
    o = h + 20
    magic = u16(d, o)
    out.append(Field(o + 64, 4, "OptionalHeader.CheckSum", "checksum"))
    if magic == 0x20B:
        ndirs, dirs = u32(d, o + 108), o + 112
    else:
        ndirs, dirs = u32(d, o + 92), o + 96
    secs = []
    for i in range(nsec):
        s = o + optsize + 40 * i
        secs.append((d[s:s + 8].rstrip(b"\0").decode("latin-1"), u32(d, s + 8), u32(d, s + 12),
                     u32(d, s + 16), u32(d, s + 20)))

    def rva2off(rva):
        for _n, vsize, va, rsize, ptr in secs:
            if va <= rva < va + max(vsize, rsize):
                return rva - va + ptr
        return None

    def ddir(i):
        if i >= ndirs:
            return None, 0
        rva, size = u32(d, dirs + 8 * i), u32(d, dirs + 8 * i + 4)
        return (rva2off(rva) if rva else None), size

    off, _ = ddir(0)  # export
    if off is not None:
        out.append(Field(off + 4, 4, "export directory.TimeDateStamp", "timestamp"))
    off, _ = ddir(1)  # import
    if off is not None:
        i = 0
        while off + 20 * (i + 1) <= len(d) and any(d[off + 20 * i:off + 20 * i + 20]):
            desc = off + 20 * i
            name_off = rva2off(u32(d, desc + 12))
            dll = d[name_off:d.index(b"\0", name_off)].decode("latin-1") if name_off else "?"
            out.append(Field(desc + 4, 4, "import descriptor %s.TimeDateStamp" % dll, "timestamp"))
            i += 1
    off, _ = ddir(2)  # resource
    if off is not None:
        seen = set()

        def walk(tab, path):
            if tab in seen or tab + 16 > len(d):
                return
            seen.add(tab)
            out.append(Field(tab + 4, 4, "resource directory%s.TimeDateStamp" % path, "timestamp"))
            n = u16(d, tab + 12) + u16(d, tab + 14)
            for k in range(n):
                e = tab + 16 + 8 * k
                name, to = u32(d, e), u32(d, e + 4)
                label = "name@0x%x" % (name & 0x7FFFFFFF) if name & 0x80000000 else "%d" % name
                if to & 0x80000000:
                    walk(off + (to & 0x7FFFFFFF), path + "/" + label)
        walk(off, "")
    off, size = ddir(6)  # debug
    if off is not None:
        for k in range(size // 28):
            e = off + 28 * k
            typ = u32(d, e + 12)
            tname = DEBUG_TYPES.get(typ, str(typ))
            out.append(Field(e + 4, 4, "debug directory[%d] (%s).TimeDateStamp" % (k, tname), "timestamp"))
            dsize, ptr = u32(d, e + 16), u32(d, e + 24)
            if typ == 2 and d[ptr:ptr + 4] == b"RSDS":
                out.append(Field(ptr + 4, 16, "CodeView RSDS.GUID", "guid"))
                out.append(Field(ptr + 20, 4, "CodeView RSDS.Age", "age"))
                out.append(Field(ptr + 24, dsize - 24, "CodeView RSDS.PdbFileName", "path"))
            elif typ == 16 and dsize:
                out.append(Field(ptr, dsize, "Repro debug data (hash)", "repro-hash"))
    off, _ = ddir(10)  # load config
    if off is not None:
        out.append(Field(off + 4, 4, "load config.TimeDateStamp", "timestamp"))
    for name, _vsize, _va, rsize, ptr in secs:
        if ptr and rsize:
            out.append(Field(ptr, rsize, "section %s data" % name, "section"))
    return out


# --- archives ----------------------------------------------------------------

def archive_fields(d):
    out = []
    pos, longnames, index = 8, b"", 0
    while pos + 60 <= len(d):
        hdr = d[pos:pos + 60]
        raw = hdr[0:16].decode("latin-1").rstrip()
        size = int(hdr[48:58].decode("latin-1").strip() or 0)
        data = pos + 60
        if raw == "//":
            longnames = d[data:data + size]
            name = "//"
        elif raw.startswith("/") and raw[1:].isdigit():
            o = int(raw[1:])
            end = min(x for x in (longnames.find(b"/\n", o), longnames.find(b"\0", o), len(longnames)) if x >= 0)
            name = longnames[o:end].decode("latin-1")
        elif raw.startswith("#1/") and raw[3:].isdigit():
            n = int(raw[3:])
            name = d[data:data + n].rstrip(b"\0").decode("latin-1")
            data += n
            size -= n
        else:
            name = raw[:-1] if raw.endswith("/") and raw not in ("/", "//") else raw
        label = "archive member[%d] %r" % (index, name)
        for start, length, field, kind in ((16, 12, "date", "ar-date"), (28, 6, "uid", "ar-uid"),
                                           (34, 6, "gid", "ar-gid"), (40, 8, "mode", "ar-mode")):
            out.append(Field(pos + start, length, "%s header.%s" % (label, field), kind))
        if raw not in ("/", "//", "/SYM64/", "__.SYMDEF", "__.SYMDEF SORTED"):
            out += coff_object_fields(d, data, label + " +")
        out.append(Field(data, size, label + " data", "member"))
        pos = data + size
        pos += pos & 1
        index += 1
    return out


# --- PDB ---------------------------------------------------------------------

def pdb_fields(d):
    bs, _fpm, _nb, dir_bytes, _unk, map_addr = struct.unpack_from("<6I", d, 32)
    nd = (dir_bytes + bs - 1) // bs
    dblocks = struct.unpack_from("<%dI" % nd, d, map_addr * bs)
    directory = b"".join(d[b * bs:(b + 1) * bs] for b in dblocks)[:dir_bytes]
    nstreams = u32(directory, 0)
    sizes = struct.unpack_from("<%dI" % nstreams, directory, 4)
    pos, streams = 4 + 4 * nstreams, []
    for size in sizes:
        n = 0 if size == 0xFFFFFFFF else (size + bs - 1) // bs
        streams.append((size, struct.unpack_from("<%dI" % n, directory, pos)))
        pos += 4 * n

    def at(stream, off):
        return streams[stream][1][off // bs] * bs + off % bs

    out = [Field(0, bs, "MSF superblock", "msf")]
    if len(streams) > 1 and streams[1][0] >= 28:
        out.append(Field(at(1, 4), 4, "PDB info stream.Signature", "signature"))
        out.append(Field(at(1, 8), 4, "PDB info stream.Age", "age"))
        out.append(Field(at(1, 12), 16, "PDB info stream.GUID", "guid"))
    if len(streams) > 3 and streams[3][0] >= 12:
        out.append(Field(at(3, 8), 4, "DBI stream.Age", "age"))
    names = {0: "old directory", 1: "PDB info", 2: "TPI", 3: "DBI", 4: "IPI"}
    for si, (size, blocks) in enumerate(streams):
        for bi, b in enumerate(blocks):
            out.append(Field(b * bs, bs, "stream %d%s block %d" % (si, " [%s]" % names[si] if si in names else "", bi),
                             "stream"))
    for b in dblocks:
        out.append(Field(b * bs, bs, "stream directory", "msf"))
    out.append(Field(map_addr * bs, bs, "stream directory block map", "msf"))
    return out


# --- dispatch ----------------------------------------------------------------

def file_kind(d):
    if d[:32] == MSF_MAGIC:
        return "pdb"
    if d[:8] == b"!<arch>\n":
        return "archive"
    if d[:2] == b"MZ" and len(d) > 0x40 and d[u32(d, 0x3C):u32(d, 0x3C) + 4] == b"PE\0\0":
        return "pe"
    return "coff"


def fields_of(d):
    k = file_kind(d)
    if k == "pdb":
        return k, pdb_fields(d)
    if k == "archive":
        return k, archive_fields(d)
    if k == "pe":
        return k, pe_fields(d)
    return k, coff_object_fields(d, 0, "")


def value(d, f):
    b = d[f.start:f.start + f.length]
    if f.kind.startswith("ar-"):
        return repr(b.decode("latin-1").rstrip())
    if f.length == 4 and f.kind in ("timestamp", "checksum", "age", "signature"):
        return "0x%08x (%d)" % (u32(b, 0), u32(b, 0))
    if f.kind == "guid":
        return b.hex(" ")
    if f.length <= 32:
        return b.hex(" ")
    return "%d bytes" % f.length


def innermost(fields, off):
    """The smallest field containing off (specific fields beat section/stream extents)."""
    best = None
    for f in fields:
        if f.start <= off < f.start + f.length and (best is None or f.length < best.length):
            best = f
    return best


def diff(pa, pb):
    a, b = open(pa, "rb").read(), open(pb, "rb").read()
    kind, fields = fields_of(a)
    if len(a) != len(b):
        print("%s: UNKNOWN: sizes differ (%d vs %d)" % (pa, len(a), len(b)))
        return 1
    offs = [i for i in range(len(a)) if a[i] != b[i]]
    if not offs:
        print("%s: identical (%d bytes, %s)" % (pa, len(a), kind))
        return 0
    hit, order, unknown = {}, [], []
    for o in offs:
        f = innermost(fields, o)
        if f is None or f.kind not in KNOWN_KINDS:
            unknown.append((o, f))
            continue
        if id(f) not in hit:
            hit[id(f)] = (f, [])
            order.append(id(f))
        hit[id(f)][1].append(o)
    print("%s: %d bytes differ in %d fields (%d bytes, %s)" % (pa, len(offs), len(order), len(a), kind))
    for key in order:
        f, os_ = hit[key]
        print("  0x%x..0x%x (%d) %s  [%d bytes differ]  a=%s  b=%s"
              % (f.start, f.start + f.length - 1, f.length, f.name, len(os_), value(a, f), value(b, f)))
    for o, f in unknown:
        print("  UNKNOWN 0x%x in %s: a=%02x b=%02x" % (o, f.name if f else "(no structure)", a[o], b[o]))
    return 1 if unknown else 0


def list_fields(p):
    d = open(p, "rb").read()
    kind, fields = fields_of(d)
    print("%s (%s, %d bytes)" % (p, kind, len(d)))
    for f in fields:
        if f.kind in KNOWN_KINDS:
            print("  0x%x..0x%x (%d) %s = %s" % (f.start, f.start + f.length - 1, f.length, f.name, value(d, f)))
    return 0


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--fields":
        return list_fields(args[1])
    if len(args) == 2:
        return diff(args[0], args[1])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
