#!/usr/bin/python3
"""Name the bytes that differ between two builds of a Mach-O file.

    /usr/bin/python3 samples/macho/tools/macho-diff.py A B
    /usr/bin/python3 samples/macho/tools/macho-diff.py --fields FILE
    /usr/bin/python3 samples/macho/tools/macho-diff.py --verify FILE
    /usr/bin/python3 samples/macho/tools/macho-diff.py --oracle PLAIN ZERO

Understands thin little-endian Mach-O files (32/64-bit: objects, dylibs,
executables), fat/universal files (fat_arch and fat_arch_64) and BSD/darwin
ar archives, nested in any order (a fat file of archives of objects works).
Standard library only: it parses the structures itself, so the offsets it
prints are plain 0-based file offsets.

A B: every differing byte is assigned to the innermost structure field that
holds it (header field, load command field, symbol table entry field, string
table string, code signature field or hash slot, archive header field,
section contents, ...), and each field is printed once with its file range
and both values. A difference outside the known nondeterministic fields
(dylib_command timestamp, N_OSO n_value, LC_UUID, CodeDirectory hash slots,
ar member date/uid/gid/mode) is printed as UNKNOWN and the exit status is 1.
Files of different size are always UNKNOWN.

--fields FILE: print every known nondeterministic field of FILE (and the
code signature layout) with offset and value, differing or not.

--verify FILE: recompute every CodeDirectory code-slot hash (the page hashes
of the file up to codeLimit) and compare with the stored ones, and find the
ld64.lld 14 thread count whose UUID algorithm reproduces LC_UUID (see
lld14_uuid). Exit status 1 if a page hash is wrong.

--oracle PLAIN ZERO: apply the "ZERO_AR_DATE" normalization recipe to PLAIN
in memory (every N_OSO n_value := 0, then LC_UUID := the lld 14 UUID with
--threads=1, then every CodeDirectory code slot := SHA-256 of its page) and
check that the result equals ZERO byte for byte. Exit status 1 if not.

Debugging and verification aid for samples/macho only.
"""
import datetime
import hashlib
import struct
import sys

# Field "kinds" a normalizer is expected to rewrite; anything else is UNKNOWN.
KNOWN_KINDS = {"dylib-timestamp", "oso-mtime", "uuid", "cd-hash",
               "ar-date", "ar-uid", "ar-gid", "ar-mode"}

MH_MAGIC, MH_MAGIC_64 = 0xFEEDFACE, 0xFEEDFACF
FAT_MAGIC, FAT_MAGIC_64 = 0xCAFEBABE, 0xCAFEBABF
CPU_TYPES = {7: "i386", 0x01000007: "x86_64", 12: "arm", 0x0100000C: "arm64",
             0x0200000C: "arm64_32"}
FILETYPES = {1: "MH_OBJECT", 2: "MH_EXECUTE", 6: "MH_DYLIB", 8: "MH_BUNDLE",
             9: "MH_DYLIB_STUB", 10: "MH_DSYM"}

LC = {0x1: "LC_SEGMENT", 0x2: "LC_SYMTAB", 0xB: "LC_DYSYMTAB", 0xC: "LC_LOAD_DYLIB",
      0xD: "LC_ID_DYLIB", 0xE: "LC_LOAD_DYLINKER", 0xF: "LC_ID_DYLINKER",
      0x19: "LC_SEGMENT_64", 0x1B: "LC_UUID", 0x1D: "LC_CODE_SIGNATURE",
      0x1E: "LC_SEGMENT_SPLIT_INFO", 0x20: "LC_LAZY_LOAD_DYLIB", 0x22: "LC_DYLD_INFO",
      0x24: "LC_VERSION_MIN_MACOSX", 0x25: "LC_VERSION_MIN_IPHONEOS",
      0x26: "LC_FUNCTION_STARTS", 0x29: "LC_DATA_IN_CODE", 0x2A: "LC_SOURCE_VERSION",
      0x2B: "LC_DYLIB_CODE_SIGN_DRS", 0x2D: "LC_LINKER_OPTION",
      0x2E: "LC_LINKER_OPTIMIZATION_HINT", 0x32: "LC_BUILD_VERSION",
      0x80000018: "LC_LOAD_WEAK_DYLIB", 0x8000001C: "LC_RPATH",
      0x8000001F: "LC_REEXPORT_DYLIB", 0x80000022: "LC_DYLD_INFO_ONLY",
      0x80000023: "LC_LOAD_UPWARD_DYLIB", 0x80000028: "LC_MAIN",
      0x80000033: "LC_DYLD_EXPORTS_TRIE", 0x80000034: "LC_DYLD_CHAINED_FIXUPS"}
DYLIB_CMDS = {0xC, 0xD, 0x20, 0x80000018, 0x8000001F, 0x80000023}
LINKEDIT_DATA_CMDS = {0x1D, 0x1E, 0x26, 0x29, 0x2B, 0x2E, 0x80000033, 0x80000034}
STABS = {0x20: "N_GSYM", 0x22: "N_FNAME", 0x24: "N_FUN", 0x26: "N_STSYM",
         0x28: "N_LCSYM", 0x2E: "N_BNSYM", 0x3C: "N_OPT", 0x40: "N_RSYM",
         0x44: "N_SLINE", 0x4E: "N_ENSYM", 0x60: "N_SSYM", 0x64: "N_SO",
         0x66: "N_OSO", 0x80: "N_LSYM", 0x82: "N_BINCL", 0x84: "N_SOL",
         0x86: "N_PARAMS", 0x88: "N_VERSION", 0x8A: "N_OLEVEL", 0xA0: "N_PSYM",
         0xA2: "N_EINCL", 0xA4: "N_ENTRY", 0xC0: "N_LBRAC", 0xC2: "N_EXCL",
         0xE0: "N_RBRAC", 0xE2: "N_BCOMM", 0xE4: "N_ECOMM", 0xE8: "N_ECOML",
         0xFE: "N_LENG"}
CS_MAGICS = {0xFADE0CC0: "SuperBlob(embedded signature)", 0xFADE0C02: "CodeDirectory",
             0xFADE0C01: "Requirements", 0xFADE0C00: "Requirement",
             0xFADE7171: "Entitlements", 0xFADE7172: "DER entitlements",
             0xFADE0B01: "CMS signature (BlobWrapper)"}
CS_SLOTS = {0: "CodeDirectory", 1: "InfoSlot", 2: "Requirements", 3: "ResourceDir",
            4: "Application", 5: "Entitlements", 7: "DER entitlements",
            0x1000: "AlternateCodeDirectory[0]", 0x1001: "AlternateCodeDirectory[1]",
            0x1002: "AlternateCodeDirectory[2]", 0x10000: "CMS signature"}
CS_HASH_TYPES = {1: "SHA-1", 2: "SHA-256", 3: "SHA-256 truncated to 20", 4: "SHA-384"}
CS_FLAGS = {0x2: "adhoc", 0x20000: "linker-signed", 0x10000: "runtime"}


class Field:
    __slots__ = ("start", "length", "name", "kind", "fmt")

    def __init__(self, start, length, name, kind="", fmt="le"):
        self.start, self.length, self.name, self.kind, self.fmt = start, length, name, kind, fmt


def u32(d, o, be=False):
    return struct.unpack_from(">I" if be else "<I", d, o)[0]


def cstr(d, o, end):
    e = d.find(b"\0", o, end)
    return d[o:e if e >= 0 else end].decode("latin-1")


def ints(out, d, base, prefix, spec, kinds=None, be=False):
    """Append consecutive integer fields: spec = [(name, size), ...]."""
    kinds = kinds or {}
    o = base
    for name, size in spec:
        out.append(Field(o, size, prefix + name, kinds.get(name, ""), "be" if be else "le"))
        o += size
    return o


# --- Mach-O ------------------------------------------------------------------

def macho_fields(d, base, size, prefix, info=None):
    """Fields of the thin Mach-O file d[base:base+size]."""
    out = []
    magic = u32(d, base)
    is64 = magic == MH_MAGIC_64
    hdr = 32 if is64 else 28
    ncmds, sizeofcmds = u32(d, base + 16), u32(d, base + 20)
    spec = [("magic", 4), ("cputype", 4), ("cpusubtype", 4), ("filetype", 4),
            ("ncmds", 4), ("sizeofcmds", 4), ("flags", 4)] + ([("reserved", 4)] if is64 else [])
    ints(out, d, base, prefix + "mach_header.", spec)
    segs, sects, symtab, dysym = [], [], None, None
    o = base + hdr
    for i in range(ncmds):
        cmd, cmdsize = u32(d, o), u32(d, o + 4)
        name = LC.get(cmd, "LC_0x%x" % cmd)
        p = "%sload command[%d] %s." % (prefix, i, name)
        out.append(Field(o, cmdsize, p[:-1] + " (body)"))
        ints(out, d, o, p, [("cmd", 4), ("cmdsize", 4)])
        b = o + 8
        if cmd in (0x19, 0x1):
            w = 8 if cmd == 0x19 else 4
            segname = d[b:b + 16].rstrip(b"\0").decode("latin-1")
            p = "%sload command[%d] %s %s." % (prefix, i, name, segname)
            out.append(Field(b, 16, p + "segname", fmt="str"))
            s = ints(out, d, b + 16, p, [("vmaddr", w), ("vmsize", w), ("fileoff", w),
                                         ("filesize", w), ("maxprot", 4), ("initprot", 4),
                                         ("nsects", 4), ("flags", 4)])
            fileoff = struct.unpack_from("<Q" if w == 8 else "<I", d, b + 16 + 2 * w)[0]
            filesize = struct.unpack_from("<Q" if w == 8 else "<I", d, b + 16 + 3 * w)[0]
            segs.append((segname, fileoff, filesize))
            nsects = u32(d, b + 16 + 4 * w + 8)
            for k in range(nsects):
                sn = d[s:s + 16].rstrip(b"\0").decode("latin-1")
                sg = d[s + 16:s + 32].rstrip(b"\0").decode("latin-1")
                q = "%ssection %s,%s." % (p, sg, sn)
                out.append(Field(s, 16, q + "sectname", fmt="str"))
                out.append(Field(s + 16, 16, q + "segname", fmt="str"))
                e = ints(out, d, s + 32, q, [("addr", w), ("size", w), ("offset", 4),
                                            ("align", 4), ("reloff", 4), ("nreloc", 4),
                                            ("flags", 4), ("reserved1", 4), ("reserved2", 4)]
                         + ([("reserved3", 4)] if w == 8 else []))
                ssize = struct.unpack_from("<Q" if w == 8 else "<I", d, s + 32 + w)[0]
                soff, reloff, nreloc, flags = struct.unpack_from("<I4xIII", d, s + 32 + 2 * w)
                if soff and (flags & 0xFF) not in (1, 0xC, 0x12):   # not zerofill
                    sects.append((sg, sn, soff, ssize))
                    out.append(Field(base + soff, ssize, "%ssection %s,%s contents" % (prefix, sg, sn)))
                for r in range(nreloc):
                    out.append(Field(base + reloff + 8 * r, 8, "%ssection %s,%s relocation[%d]"
                                     % (prefix, sg, sn, r)))
                s = e
        elif cmd == 0x2:
            ints(out, d, b, p, [("symoff", 4), ("nsyms", 4), ("stroff", 4), ("strsize", 4)])
            symtab = struct.unpack_from("<4I", d, b)
        elif cmd == 0xB:
            names = ["ilocalsym", "nlocalsym", "iextdefsym", "nextdefsym", "iundefsym",
                     "nundefsym", "tocoff", "ntoc", "modtaboff", "nmodtab", "extrefsymoff",
                     "nextrefsyms", "indirectsymoff", "nindirectsyms", "extreloff",
                     "nextrel", "locreloff", "nlocrel"]
            ints(out, d, b, p, [(n, 4) for n in names])
            dysym = struct.unpack_from("<18I", d, b)
        elif cmd == 0x1B:
            out.append(Field(b, 16, p + "uuid", "uuid", "uuid"))
        elif cmd in DYLIB_CMDS:
            ints(out, d, b, p, [("name.offset", 4), ("timestamp", 4), ("current_version", 4),
                                ("compatibility_version", 4)],
                 {"timestamp": "dylib-timestamp"})
            no = u32(d, b)
            out.append(Field(o + no, cmdsize - no, p + "name '%s'" % cstr(d, o + no, o + cmdsize), fmt="str"))
        elif cmd in (0xE, 0xF, 0x8000001C):
            ints(out, d, b, p, [("name.offset" if cmd != 0x8000001C else "path.offset", 4)])
            no = u32(d, b)
            out.append(Field(o + no, cmdsize - no, p + "string '%s'" % cstr(d, o + no, o + cmdsize), fmt="str"))
        elif cmd in LINKEDIT_DATA_CMDS:
            ints(out, d, b, p, [("dataoff", 4), ("datasize", 4)])
            doff, dsize = struct.unpack_from("<II", d, b)
            if cmd == 0x1D:
                out += codesig_fields(d, base, base + doff, dsize, prefix, info)
            else:
                out.append(Field(base + doff, dsize, "%s%s data" % (prefix, name)))
        elif cmd in (0x22, 0x80000022):
            names = ["rebase", "bind", "weak_bind", "lazy_bind", "export"]
            spec = []
            for n in names:
                spec += [(n + "_off", 4), (n + "_size", 4)]
            ints(out, d, b, p, spec)
            for k, n in enumerate(names):
                doff, dsize = struct.unpack_from("<II", d, b + 8 * k)
                if dsize:
                    out.append(Field(base + doff, dsize, "%s%s %s info" % (prefix, name, n)))
        elif cmd == 0x32:
            ints(out, d, b, p, [("platform", 4), ("minos", 4), ("sdk", 4), ("ntools", 4)])
            for k in range(u32(d, b + 12)):
                ints(out, d, b + 16 + 8 * k, "%stools[%d]." % (p, k), [("tool", 4), ("version", 4)])
        elif cmd in (0x24, 0x25):
            ints(out, d, b, p, [("version", 4), ("sdk", 4)])
        elif cmd == 0x2A:
            ints(out, d, b, p, [("version", 8)])
        elif cmd == 0x80000028:
            ints(out, d, b, p, [("entryoff", 8), ("stacksize", 8)])
        o += cmdsize
    if symtab:
        out += symtab_fields(d, base, symtab, dysym, is64, prefix)
    for segname, fileoff, filesize in segs:
        out.append(Field(base + fileoff, filesize, "%ssegment %s (padding / unparsed)" % (prefix, segname)))
    out.append(Field(base, size, prefix + "(outside every segment and structure)"))
    return out


def symtab_fields(d, base, symtab, dysym, is64, prefix):
    out = []
    symoff, nsyms, stroff, strsize = symtab
    esz = 16 if is64 else 12
    strings = {}
    for i in range(nsyms):
        e = base + symoff + i * esz
        strx, ntype, nsect, ndesc = struct.unpack_from("<IBBH", d, e)
        sname = cstr(d, base + stroff + strx, base + stroff + strsize) if strx else ""
        if ntype & 0xE0:
            what = STABS.get(ntype, "stab 0x%02x" % ntype)
        else:
            what = {0: "N_UNDF", 2: "N_ABS", 0xE: "N_SECT", 0xC: "N_PBUD", 0xA: "N_INDR"}.get(ntype & 0xE, "?")
            what += " EXT" if ntype & 1 else ""
        p = "%ssymtab[%d] %s '%s'." % (prefix, i, what, sname)
        ints(out, d, e, p, [("n_strx", 4), ("n_type", 1), ("n_sect", 1), ("n_desc", 2),
                            ("n_value", 8 if is64 else 4)],
             {"n_value": "oso-mtime"} if ntype == 0x66 else None)
    o = base + stroff
    end = base + stroff + strsize
    while o < end:
        e = d.find(b"\0", o, end)
        e = end if e < 0 else e + 1
        out.append(Field(o, e - o, "%sstring table +0x%x '%s'" % (prefix, o - base - stroff, cstr(d, o, e)), fmt="str"))
        o = e
    if dysym and dysym[13]:
        out.append(Field(base + dysym[12], 4 * dysym[13], prefix + "indirect symbol table"))
    return out


# --- code signature (big-endian) ------------------------------------------------

def codesig_fields(d, base, start, size, prefix, info):
    """Fields of an embedded code signature (SuperBlob) at d[start:start+size]."""
    out = []
    p = prefix + "code signature "
    out.append(Field(start, size, p + "(padding after the blobs)"))
    if u32(d, start, True) != 0xFADE0CC0:
        out.append(Field(start, size, p + "(not a SuperBlob)"))
        return out
    ints(out, d, start, p + "SuperBlob.", [("magic", 4), ("length", 4), ("count", 4)], be=True)
    count = u32(d, start + 8, True)
    layout = {"superblob_off": start, "length": u32(d, start + 4, True), "blobs": []}
    for k in range(count):
        e = start + 12 + 8 * k
        stype, soff = struct.unpack_from(">II", d, e)
        sname = CS_SLOTS.get(stype, "slot 0x%x" % stype)
        ints(out, d, e, "%sSuperBlob.index[%d] (%s)." % (p, k, sname), [("type", 4), ("offset", 4)], be=True)
        b = start + soff
        bmagic, blen = struct.unpack_from(">II", d, b)
        bp = "%s%s blob[%d] " % (p, CS_MAGICS.get(bmagic, "0x%08x" % bmagic), k)
        out.append(Field(b, blen, bp + "(contents)"))
        layout["blobs"].append((stype, sname, b, bmagic, blen))
        if bmagic == 0xFADE0C02:
            out += codedirectory_fields(d, base, b, bp, layout)
        else:
            ints(out, d, b, bp, [("magic", 4), ("length", 4)], be=True)
    if info is not None:
        info.setdefault("codesig", []).append(layout)
    return out


def codedirectory_fields(d, base, b, p, layout):
    out = []
    version = u32(d, b + 8, True)
    spec = [("magic", 4), ("length", 4), ("version", 4), ("flags", 4), ("hashOffset", 4),
            ("identOffset", 4), ("nSpecialSlots", 4), ("nCodeSlots", 4), ("codeLimit", 4),
            ("hashSize", 1), ("hashType", 1), ("platform", 1), ("pageSize", 1), ("spare2", 4)]
    if version >= 0x20100:
        spec += [("scatterOffset", 4)]
    if version >= 0x20200:
        spec += [("teamOffset", 4)]
    if version >= 0x20300:
        spec += [("spare3", 4), ("codeLimit64", 8)]
    if version >= 0x20400:
        spec += [("execSegBase", 8), ("execSegLimit", 8), ("execSegFlags", 8)]
    if version >= 0x20500:
        spec += [("runtime", 4), ("preEncryptOffset", 4)]
    ints(out, d, b, p, spec, be=True)
    (flags, hashoff, identoff, nspecial, ncode, codelimit, hashsize, hashtype,
     _platform, pagesize) = struct.unpack_from(">IIIIIIBBBB", d, b + 12)
    ident = cstr(d, b + identoff, b + hashoff)
    out.append(Field(b + identoff, len(ident) + 1, p + "identifier '%s'" % ident, fmt="str"))
    for k in range(1, nspecial + 1):
        out.append(Field(b + hashoff - k * hashsize, hashsize, p + "special slot -%d hash" % k, "cd-hash", "hex"))
    pg = 1 << pagesize if pagesize else codelimit
    for k in range(ncode):
        lo, hi = k * pg, min((k + 1) * pg, codelimit) - 1
        out.append(Field(b + hashoff + k * hashsize, hashsize,
                         p + "code slot[%d] hash (image bytes 0x%x..0x%x)" % (k, lo, hi), "cd-hash", "hex"))
    layout.setdefault("cds", []).append({
        "off": b, "version": version, "flags": flags, "hashOffset": hashoff,
        "identOffset": identoff, "ident": ident, "nSpecialSlots": nspecial,
        "nCodeSlots": ncode, "codeLimit": codelimit, "hashSize": hashsize,
        "hashType": hashtype, "pageSize": pagesize, "base": base,
        "execSegFlags": struct.unpack_from(">Q", d, b + 0x50)[0] if version >= 0x20400 else None})
    return out


# --- ar archives and fat files ---------------------------------------------------

def archive_fields(d, base, size, prefix, info):
    out = [Field(base, 8, prefix + "archive magic", fmt="str")]
    o, end, i = base + 8, base + size, 0
    while o + 60 <= end:
        raw = d[o:o + 16].decode("latin-1").rstrip()
        msize = int(d[o + 48:o + 58].decode("latin-1").strip() or 0)
        nlen, name = 0, raw
        if raw.startswith("#1/"):
            nlen = int(raw[3:])
            name = d[o + 60:o + 60 + nlen].rstrip(b"\0").decode("latin-1")
        p = "%sarchive member[%d] '%s' header." % (prefix, i, name)
        out.append(Field(o, 16, p + "name", fmt="str"))
        out.append(Field(o + 16, 12, p + "date", "ar-date", "str"))
        out.append(Field(o + 28, 6, p + "uid", "ar-uid", "str"))
        out.append(Field(o + 34, 6, p + "gid", "ar-gid", "str"))
        out.append(Field(o + 40, 8, p + "mode", "ar-mode", "str"))
        out.append(Field(o + 48, 10, p + "size", fmt="str"))
        out.append(Field(o + 58, 2, p + "fmag", fmt="str"))
        if nlen:
            out.append(Field(o + 60, nlen, p + "BSD long name", fmt="str"))
        body, blen = o + 60 + nlen, msize - nlen
        mp = "%sarchive member[%d] '%s' +" % (prefix, i, name)
        out.append(Field(body, blen, mp + "(contents)"))
        if blen >= 28 and u32(d, body) in (MH_MAGIC, MH_MAGIC_64):
            out += macho_fields(d, body, blen, mp, info)
        o = body + blen
        if (o - base) & 1:
            o += 1
        i += 1
    return out


def fat_fields(d, prefix, info):
    out = []
    magic, nfat = struct.unpack_from(">II", d, 0)
    ints(out, d, 0, prefix + "fat_header.", [("magic", 4), ("nfat_arch", 4)], be=True)
    is64 = magic == FAT_MAGIC_64
    for k in range(nfat):
        e = 8 + k * (32 if is64 else 20)
        if is64:
            cpu, sub, off, size, align = struct.unpack_from(">IIQQI", d, e)
        else:
            cpu, sub, off, size, align = struct.unpack_from(">IIIII", d, e)
        arch = CPU_TYPES.get(cpu, "cpu 0x%x" % cpu)
        w = 8 if is64 else 4
        ints(out, d, e, "%sfat_arch[%d] %s." % (prefix, k, arch),
             [("cputype", 4), ("cpusubtype", 4), ("offset", w), ("size", w), ("align", 4)]
             + ([("reserved", 4)] if is64 else []), be=True)
        out += thin_fields(d, off, size, "%sslice[%d] %s @0x%x +" % (prefix, k, arch, off), info)
    return out


def thin_fields(d, base, size, prefix, info):
    if d[base:base + 8] == b"!<arch>\n":
        return archive_fields(d, base, size, prefix, info)
    if size >= 28 and u32(d, base) in (MH_MAGIC, MH_MAGIC_64):
        return macho_fields(d, base, size, prefix, info)
    return [Field(base, size, prefix + "(unrecognized data)")]


def file_kind(d):
    if len(d) >= 8 and struct.unpack_from(">I", d, 0)[0] in (FAT_MAGIC, FAT_MAGIC_64):
        return "fat"
    if d[:8] == b"!<arch>\n":
        return "archive"
    if len(d) >= 28 and u32(d, 0) in (MH_MAGIC, MH_MAGIC_64):
        return "macho %s %s" % (CPU_TYPES.get(u32(d, 4), "?"), FILETYPES.get(u32(d, 12), "?"))
    return "unknown"


def fields_of(d, info=None):
    kind = file_kind(d)
    if kind == "fat":
        return kind, fat_fields(d, "", info)
    return kind, thin_fields(d, 0, len(d), "", info)


# --- values ----------------------------------------------------------------------

def value(d, f):
    raw = d[f.start:f.start + f.length]
    if f.fmt == "uuid" and f.length == 16:
        h = raw.hex().upper()
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
    if f.fmt == "str":
        return repr(raw.decode("latin-1"))
    if f.fmt in ("le", "be") and f.length in (1, 2, 4, 8):
        v = int.from_bytes(raw, "little" if f.fmt == "le" else "big")
        s = "0x%0*x (%d)" % (2 * f.length, v, v)
        if f.kind in ("dylib-timestamp", "oso-mtime") and 0 < v < 2 ** 32:
            s += " " + datetime.datetime.fromtimestamp(v, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        return s
    if f.length > 40:
        return raw[:16].hex(" ") + " ..."
    return raw.hex(" ")


def innermost(fields, off):
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


# --- code signature / UUID verification -------------------------------------------

HASHES = {1: hashlib.sha1, 2: hashlib.sha256, 3: hashlib.sha256, 4: hashlib.sha384}


def cd_slot_hashes(d, cd):
    """Recompute the code-slot hashes of one CodeDirectory from the file bytes."""
    pg = 1 << cd["pageSize"] if cd["pageSize"] else cd["codeLimit"]
    base, out = cd["base"], []
    for k in range(cd["nCodeSlots"]):
        page = d[base + k * pg:base + min((k + 1) * pg, cd["codeLimit"])]
        out.append(HASHES[cd["hashType"]](page).digest()[:cd["hashSize"]])
    return out


def layout_lines(d, layout):
    out = ["code signature: SuperBlob @0x%x length 0x%x, %d blob(s)"
           % (layout["superblob_off"], layout["length"], len(layout["blobs"]))]
    for stype, sname, b, bmagic, blen in layout["blobs"]:
        out.append("  slot type 0x%x (%s): %s @0x%x length 0x%x"
                   % (stype, sname, CS_MAGICS.get(bmagic, "0x%08x" % bmagic), b, blen))
    for cd in layout.get("cds", []):
        flags = [n for bit, n in CS_FLAGS.items() if cd["flags"] & bit]
        out.append("  CodeDirectory @0x%x: version 0x%x, flags 0x%x (%s), hashType %d (%s), "
                   "hashSize %d, pageSize log2 %d (%d bytes), codeLimit 0x%x, nSpecialSlots %d, "
                   "nCodeSlots %d, identifier '%s', hashes @0x%x..0x%x, execSegFlags %s"
                   % (cd["off"], cd["version"], cd["flags"], "|".join(flags) or "-",
                      cd["hashType"], CS_HASH_TYPES.get(cd["hashType"], "?"), cd["hashSize"],
                      cd["pageSize"], 1 << cd["pageSize"], cd["codeLimit"], cd["nSpecialSlots"],
                      cd["nCodeSlots"], cd["ident"], cd["off"] + cd["hashOffset"],
                      cd["off"] + cd["hashOffset"] + cd["nCodeSlots"] * cd["hashSize"] - 1,
                      cd["execSegFlags"]))
    return out


# xxHash64 (the algorithm, as used by LLVM's llvm::xxHash64 in LLVM 14).
_M = (1 << 64) - 1
_P1, _P2, _P3, _P4, _P5 = (11400714785074694791, 14029467366897019727,
                           1609587929392839161, 9650029242287828579, 2870177450012600261)


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & _M


def _round(acc, inp):
    return (_rotl((acc + inp * _P2) & _M, 31) * _P1) & _M


def xxh64(data):
    n, i = len(data), 0
    if n >= 32:
        v = [(_P1 + _P2) & _M, _P2, 0, (-_P1) & _M]
        while i + 32 <= n:
            w = struct.unpack_from("<4Q", data, i)
            v = [_round(v[j], w[j]) for j in range(4)]
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _M
        for x in v:
            h = ((h ^ _round(0, x)) * _P1 + _P4) & _M
    else:
        h = _P5
    h = (h + n) & _M
    while i + 8 <= n:
        h ^= _round(0, struct.unpack_from("<Q", data, i)[0])
        h = (_rotl(h, 27) * _P1 + _P4) & _M
        i += 8
    if i + 4 <= n:
        h ^= (u32(data, i) * _P1) & _M
        h = (_rotl(h, 23) * _P2 + _P3) & _M
        i += 4
    while i < n:
        h ^= (data[i] * _P5) & _M
        h = (_rotl(h, 11) * _P1) & _M
        i += 1
    h ^= h >> 33
    h = (h * _P2) & _M
    h ^= h >> 29
    h = (h * _P3) & _M
    return h ^ (h >> 32)


def lld14_uuid(image, uuid_off, cds, threads):
    """LC_UUID as ld64.lld 14 computes it (Writer::writeUuid).

    The output is hashed while LC_UUID is still zero and before the code
    signature hashes are written (the rest of the signature is already there).
    The buffer is cut into ceil(len / (10 * threads)) byte chunks, each chunk
    is xxHash64'ed, and the little-endian u64 hashes are xxHash64'ed again.
    The UUID is "LLD\\xa1UU1D" + digest (LE), with bytes 3 and 8 swapped.
    threads = ld64.lld --threads=N, default: the number of hardware threads.
    """
    d = bytearray(image)
    d[uuid_off:uuid_off + 16] = bytes(16)
    for cd in cds:
        s = cd["off"] + cd["hashOffset"] - cd["base"]
        d[s:s + cd["nCodeSlots"] * cd["hashSize"]] = bytes(cd["nCodeSlots"] * cd["hashSize"])
    n = 10 * threads
    size = (len(d) + n - 1) // n
    digest = xxh64(b"".join(struct.pack("<Q", xxh64(bytes(d[i:i + size])))
                            for i in range(0, len(d), size)))
    u = bytearray(b"LLD\xa1UU1D" + struct.pack("<Q", digest))
    u[3], u[8] = u[8], u[3]
    return bytes(u)


def images(d, fields, info):
    """(base, size, uuid field, cds) of every linked Mach-O image in d."""
    out = []
    if file_kind(d) == "fat":
        nfat = struct.unpack_from(">I", d, 4)[0]
        bases = [struct.unpack_from(">IIIII", d, 8 + 20 * k)[2:4] for k in range(nfat)]
    else:
        bases = [(0, len(d))]
    for base, size in bases:
        if u32(d, base) != MH_MAGIC_64 or u32(d, base + 12) == 1:
            continue
        uf = [f for f in fields if f.kind == "uuid" and base <= f.start < base + size]
        cds = [cd for lay in info.get("codesig", []) for cd in lay.get("cds", []) if cd["base"] == base]
        out.append((base, size, uf[0] if uf else None, cds))
    return out


def verify(p):
    d = open(p, "rb").read()
    info = {}
    kind, fields = fields_of(d, info)
    print("%s (%s, %d bytes)" % (p, kind, len(d)))
    bad = 0
    for layout in info.get("codesig", []):
        for line in layout_lines(d, layout):
            print("  " + line)
        for cd in layout.get("cds", []):
            got = cd_slot_hashes(d, cd)
            h0 = cd["off"] + cd["hashOffset"]
            stored = [d[h0 + k * cd["hashSize"]:h0 + (k + 1) * cd["hashSize"]] for k in range(cd["nCodeSlots"])]
            wrong = [k for k in range(cd["nCodeSlots"]) if got[k] != stored[k]]
            print("  CodeDirectory @0x%x: %d/%d code slot hashes verified%s"
                  % (cd["off"], cd["nCodeSlots"] - len(wrong), cd["nCodeSlots"],
                     "" if not wrong else ", WRONG: %s" % wrong))
            bad |= bool(wrong)
    for base, size, uf, cds in images(d, fields, info):
        if uf is None:
            continue
        img = d[base:base + size]
        want = d[uf.start:uf.start + 16]
        local = [dict(cd, off=cd["off"] - base, base=0) for cd in cds]
        match = [t for t in range(1, 65) if lld14_uuid(img, uf.start - base, local, t) == want]
        print("  image @0x%x LC_UUID %s: ld64.lld 14 algorithm reproduces it with --threads=%s"
              % (base, value(d, uf), ",".join(map(str, match)) if match else "NONE of 1..64"))
    return 1 if bad else 0


def list_fields(p):
    d = open(p, "rb").read()
    info = {}
    kind, fields = fields_of(d, info)
    print("%s (%s, %d bytes)" % (p, kind, len(d)))
    for f in sorted(fields, key=lambda f: f.start):
        if f.kind in KNOWN_KINDS:
            print("  0x%x..0x%x (%d) %s = %s" % (f.start, f.start + f.length - 1, f.length, f.name, value(d, f)))
    for layout in info.get("codesig", []):
        for line in layout_lines(d, layout):
            print("  " + line)
    return 0


def oracle(pplain, pzero):
    """Normalize PLAIN like ZERO_AR_DATE=1 would have linked it; compare to ZERO."""
    d = bytearray(open(pplain, "rb").read())
    z = open(pzero, "rb").read()
    info = {}
    _, fields = fields_of(bytes(d), info)
    n = 0
    for f in fields:
        if f.kind == "oso-mtime":
            d[f.start:f.start + f.length] = bytes(f.length)
            n += 1
    for base, size, uf, cds in images(bytes(d), fields, info):
        local = [dict(cd, off=cd["off"] - base, base=0) for cd in cds]
        if uf is not None:
            d[uf.start:uf.start + 16] = lld14_uuid(bytes(d[base:base + size]), uf.start - base, local, 1)
        for cd in cds:
            h0 = cd["off"] + cd["hashOffset"]
            for k, h in enumerate(cd_slot_hashes(bytes(d), cd)):
                d[h0 + k * cd["hashSize"]:h0 + (k + 1) * cd["hashSize"]] = h
    ok = bytes(d) == z
    print("%s: %d N_OSO values zeroed, UUID and code signature recomputed: %s %s"
          % (pplain, n, "==" if ok else "!=", pzero))
    return 0 if ok else 1


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--fields":
        return list_fields(args[1])
    if len(args) == 2 and args[0] == "--verify":
        return verify(args[1])
    if len(args) == 3 and args[0] == "--oracle":
        return oracle(args[1], args[2])
    if len(args) == 2 and not args[0].startswith("--"):
        return diff(args[0], args[1])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
