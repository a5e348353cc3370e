#!/usr/bin/python3
"""Name the bytes that differ between two builds of a zip-family file.

    /usr/bin/python3 samples/zip/tools/zip-diff.py [--grouped] A B
    /usr/bin/python3 samples/zip/tools/zip-diff.py --dump FILE

Understands zip, jar and wheel files, with or without prefixed data (SFX
stub) and archive comment: local file headers, file data (encryption header,
data descriptors with or without signature, 32- or 64-bit sizes), central
directory headers, extra fields by ID (0x0001 zip64, 0x000a NTFS, 0x000d
PKWARE Unix, 0x5455 UT, 0x5855 UX, 0x7855 Ux, 0x7875 ux, 0x756e ASi Unix,
0x7075/0x6375 Info-ZIP Unicode, 0xcafe jar, others as raw data), the
zip64 end of central directory record and locator, and the end of central
directory record. Standard library only; offsets are 0-based file offsets.

With A B: both files are parsed into a list of fields that covers every
byte. When the two field lists have the same names (the usual case, even if
a member's size changed), the fields are compared pairwise and each
differing field is printed once with its range and both values. A stored
member whose data is itself a zip (a jar inside a zip) is compared
recursively and its fields are printed with the member's name as prefix
(offsets stay file offsets of the outer file). A differing deflated member
is inflated and, if it is a zip, the inner differences are printed as
informational lines (offsets inside the uncompressed member).
--grouped prints one line per kind of field and pair of values instead,
followed by the start offset and entry name of every field that differs
that way (this is the form samples/zip/DIFFS.txt uses).

A difference in a field whose kind is not a known nondeterministic one
(DOS time/date, UT/UX/NTFS times, uid/gid, external attributes, CRC-32 of
a member that is itself a zip, member data that is a zip or encrypted,
encryption header) is printed as UNKNOWN and the exit status is 1.

With --dump FILE: print every field of FILE with its range and value;
fields a normalizer may need to rewrite are marked with '*'.

Debugging and verification aid for samples/zip only.
"""
import re
import struct
import sys
import time
import zlib

SIG_LOCAL = b"PK\x03\x04"
SIG_CENTRAL = b"PK\x01\x02"
SIG_EOCD = b"PK\x05\x06"
SIG_EOCD64 = b"PK\x06\x06"
SIG_LOC64 = b"PK\x06\x07"
SIG_DD = b"PK\x07\x08"

HOSTS = {0: "MS-DOS/FAT", 3: "Unix", 10: "NTFS", 11: "VFAT", 19: "OS X"}
METHODS = {0: "stored", 8: "deflated", 9: "deflate64", 12: "bzip2", 14: "lzma", 93: "zstd", 99: "AES"}
EXTRA_NAMES = {
    0x0001: "zip64", 0x000a: "NTFS", 0x000d: "PKWARE-Unix", 0x5455: "UT",
    0x5855: "UX", 0x7855: "Ux", 0x7875: "ux", 0x756e: "ASi-Unix",
    0x7075: "unicode-path", 0x6375: "unicode-comment", 0xcafe: "jar", 0xd935: "android-align",
    0x9901: "AES",
}

# Field kinds a normalizer is expected to rewrite (or, for the last ones, to
# recognise and list); a difference in any other kind is UNKNOWN.
KNOWN_KINDS = {"dos-time", "dos-date", "ut-time", "ux-time", "ntfs-time",
               "uid", "gid", "external-attr", "crc32", "nested-zip",
               "encryption-header", "encrypted-data"}


class Field:
    __slots__ = ("start", "length", "name", "kind", "fmt", "sub")

    def __init__(self, start, length, name, kind="", fmt=None):
        self.start, self.length, self.name, self.kind, self.fmt = start, length, name, kind, fmt
        self.sub = None  # (method, flags) for member data


def u16(d, o):
    return struct.unpack_from("<H", d, o)[0]


def u32(d, o):
    return struct.unpack_from("<I", d, o)[0]


def u64(d, o):
    return struct.unpack_from("<Q", d, o)[0]


def utc(ts):
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))
    except (ValueError, OverflowError, OSError):
        return "?"


def fmt_int(b):
    v = int.from_bytes(b, "little")
    return "0x%0*x (%d)" % (2 * len(b), v, v)


def fmt_dos_time(b):
    t = int.from_bytes(b, "little")
    return "0x%04x (%02d:%02d:%02d)" % (t, t >> 11, (t >> 5) & 63, (t & 31) * 2)


def fmt_dos_date(b):
    d = int.from_bytes(b, "little")
    return "0x%04x (%04d-%02d-%02d)" % (d, (d >> 9) + 1980, (d >> 5) & 15, d & 31)


def fmt_unix_time(b):
    v = int.from_bytes(b, "little", signed=len(b) == 4)
    return "0x%08x = %s" % (v & 0xFFFFFFFF, utc(v))


def fmt_filetime(b):
    v = int.from_bytes(b, "little")
    frac, t = v % 10000000, utc(v // 10000000 - 11644473600)
    if frac and t.endswith(" UTC"):
        t = t[:-4] + ".%07d UTC" % frac
    return "0x%016x = %s" % (v, t)


def fmt_ext_attr(b):
    v = int.from_bytes(b, "little")
    return "0x%08x (unix %06o, dos 0x%02x)" % (v, v >> 16, v & 0xFF)


def fmt_made_by(b):
    return "0x%04x (%s, spec %d.%d)" % (u16(b, 0), HOSTS.get(b[1], "host %d" % b[1]), b[0] // 10, b[0] % 10)


def fmt_flags(b):
    v = u16(b, 0)
    names = [n for bit, n in ((0, "encrypted"), (3, "data descriptor"), (11, "utf-8")) if v >> bit & 1]
    return "0x%04x%s" % (v, " (" + ", ".join(names) + ")" if names else "")


def fmt_method(b):
    v = u16(b, 0)
    return "%d (%s)" % (v, METHODS.get(v, "?"))


def fmt_text(b):
    return repr(bytes(b))[1:] if len(b) <= 80 else repr(bytes(b[:80]))[1:] + "..."


def fmt_bytes(b):
    h = " ".join("%02x" % x for x in b[:32])
    return h + (" ..." if len(b) > 32 else "")


def fmt_sig(b):
    return fmt_bytes(b)


class Parser:
    def __init__(self, d):
        self.d = d
        self.fields = []
        self.members = []  # (name, data Field, method, flags)

    def add(self, start, length, name, kind="", fmt=None):
        if length <= 0:
            return None
        f = Field(start, length, name, kind, fmt or (fmt_int if length <= 8 else fmt_bytes))
        self.fields.append(f)
        return f

    # --- extra fields -----------------------------------------------------

    def extras(self, o, end, where, prefix, central, cd_vals=None):
        d = self.d
        idx = 0
        while o + 4 <= end:
            eid, size = u16(d, o), u16(d, o + 2)
            en = "%s extra[%d] 0x%04x %s" % (prefix, idx, eid, EXTRA_NAMES.get(eid, ""))
            en = en.rstrip()
            self.add(o, 2, en + ".id", fmt=lambda b: "0x%04x" % u16(b, 0))
            self.add(o + 2, 2, en + ".size")
            p, q = o + 4, min(o + 4 + size, end)
            self.extra_body(eid, p, q, en, central, cd_vals)
            o = o + 4 + size
            idx += 1
        if o < end:
            self.add(o, end - o, prefix + " extra trailing bytes", fmt=fmt_bytes)

    def extra_body(self, eid, p, q, en, central, cd_vals):
        d = self.d
        n = q - p
        if eid == 0x5455 and n >= 1:
            flags = d[p]
            self.add(p, 1, en + ".flags", fmt=lambda b: "0x%02x (%s)" % (b[0], "+".join(
                x for i, x in enumerate(("mtime", "atime", "ctime")) if b[0] >> i & 1)))
            r = p + 1
            for bit, nm in enumerate(("mtime", "atime", "ctime")):
                if flags >> bit & 1 and r + 4 <= q:
                    self.add(r, 4, en + "." + nm, "ut-time", fmt_unix_time)
                    r += 4
                # Info-ZIP's central copy holds only the mtime (size 5) even
                # when the flags announce more; libarchive repeats all times.
            if r < q:
                self.add(r, q - r, en + ".trailing", fmt=fmt_bytes)
        elif eid == 0x7875 and n >= 3:
            self.add(p, 1, en + ".version")
            usz = d[p + 1]
            self.add(p + 1, 1, en + ".uid size")
            self.add(p + 2, usz, en + ".uid", "uid")
            r = p + 2 + usz
            if r < q:
                gsz = d[r]
                self.add(r, 1, en + ".gid size")
                self.add(r + 1, gsz, en + ".gid", "gid")
                r += 1 + gsz
            if r < q:
                self.add(r, q - r, en + ".trailing", fmt=fmt_bytes)
        elif eid == 0x7855:
            if n >= 4:
                self.add(p, 2, en + ".uid", "uid")
                self.add(p + 2, 2, en + ".gid", "gid")
            if n > 4 or 0 < n < 4:
                self.add(p + (4 if n >= 4 else 0), n - (4 if n >= 4 else 0), en + ".trailing", fmt=fmt_bytes)
        elif eid in (0x5855, 0x000d) and n >= 8:
            self.add(p, 4, en + ".atime", "ux-time", fmt_unix_time)
            self.add(p + 4, 4, en + ".mtime", "ux-time", fmt_unix_time)
            if n >= 12:
                self.add(p + 8, 2, en + ".uid", "uid")
                self.add(p + 10, 2, en + ".gid", "gid")
            if n > 12:
                self.add(p + 12, n - 12, en + ".variable data", fmt=fmt_bytes)
            elif 8 < n < 12:
                self.add(p + 8, n - 8, en + ".trailing", fmt=fmt_bytes)
        elif eid == 0x000a and n >= 4:
            self.add(p, 4, en + ".reserved")
            r = p + 4
            while r + 4 <= q:
                tag, tsz = u16(d, r), u16(d, r + 2)
                self.add(r, 2, en + ".tag 0x%04x.id" % tag)
                self.add(r + 2, 2, en + ".tag 0x%04x.size" % tag)
                r += 4
                if tag == 1 and tsz >= 24:
                    for k, nm in enumerate(("mtime", "atime", "ctime")):
                        self.add(r + 8 * k, 8, en + "." + nm, "ntfs-time", fmt_filetime)
                    if tsz > 24:
                        self.add(r + 24, tsz - 24, en + ".tag 0x0001 trailing", fmt=fmt_bytes)
                else:
                    self.add(r, min(tsz, q - r), en + ".tag 0x%04x data" % tag, fmt=fmt_bytes)
                r += tsz
            if r < q:
                self.add(r, q - r, en + ".trailing", fmt=fmt_bytes)
        elif eid == 0x0001:
            names = []
            if central and cd_vals is not None:
                usize, csize, off, disk = cd_vals
                if usize == 0xFFFFFFFF:
                    names.append("uncompressed size")
                if csize == 0xFFFFFFFF:
                    names.append("compressed size")
                if off == 0xFFFFFFFF:
                    names.append("local header offset")
                if disk == 0xFFFF:
                    names.append("disk number")
            else:
                names = ["uncompressed size", "compressed size"]
            r = p
            for nm in names:
                sz = 4 if nm == "disk number" else 8
                if r + sz > q:
                    break
                self.add(r, sz, en + "." + nm)
                r += sz
            if r < q:
                self.add(r, q - r, en + ".data", fmt=fmt_bytes)
        elif eid == 0x756e and n >= 14:
            self.add(p, 4, en + ".crc32")
            self.add(p + 4, 2, en + ".mode", "external-attr", lambda b: "%06o" % u16(b, 0))
            self.add(p + 6, 4, en + ".sizdev")
            self.add(p + 10, 2, en + ".uid", "uid")
            self.add(p + 12, 2, en + ".gid", "gid")
            self.add(p + 14, n - 14, en + ".link", fmt=fmt_text)
        elif eid in (0x7075, 0x6375) and n >= 5:
            self.add(p, 1, en + ".version")
            self.add(p + 1, 4, en + ".crc32 of header field")
            self.add(p + 5, n - 5, en + ".utf-8 text", fmt=fmt_text)
        elif n > 0:
            self.add(p, n, en + ".data", fmt=fmt_bytes)

    # --- records ----------------------------------------------------------

    def parse(self, base=0, end=None):
        d = self.d
        end = len(d) if end is None else end
        # End of central directory: last PK\5\6 whose comment reaches the end;
        # failing that (bytes appended after the archive), the last one whose
        # comment fits before the end, in the last 65 KiB as Go's reader looks.
        e = -1
        for exact in (True, False):
            pos = end - 22
            while e < 0 and pos >= max(base, end - 65 * 1024):
                stop = pos + 22 + u16(d, pos + 20)
                if d[pos:pos + 4] == SIG_EOCD and (stop == end if exact else stop <= end):
                    e = pos
                pos -= 1
        if e < 0:
            raise ValueError("no end of central directory record")
        junk = end - (e + 22 + u16(d, e + 20))
        if junk > 0:
            self.add(end - junk, junk, "data after the archive", fmt=fmt_bytes)
        cd_count = u16(d, e + 10)
        cd_size, cd_off = u32(d, e + 12), u32(d, e + 16)
        z64 = None
        if e - 20 >= base and d[e - 20:e - 16] == SIG_LOC64:
            z64 = u64(d, e - 20 + 8)
        if z64 is not None:
            # locate the zip64 EOCD by its recorded offset (adjusted below)
            pass
        # The central directory ends where the zip64 EOCD (or EOCD) starts.
        cd_end = e
        z64_pos = None
        if z64 is not None:
            # the record sits right before the locator; its size field says how long it is
            cand = e - 20 - 56
            while cand >= base and d[cand:cand + 4] != SIG_EOCD64:
                cand -= 1
            if cand >= base:
                z64_pos = cand
                cd_end = cand
                cd_count = u64(d, cand + 32)
                cd_size, cd_off = u64(d, cand + 40), u64(d, cand + 48)
        cd_start = cd_end - cd_size
        shift = cd_start - (base + cd_off)  # bytes in front that the offsets do not count
        self.shift = shift

        # central directory
        entries = []
        o = cd_start
        for i in range(cd_count):
            if d[o:o + 4] != SIG_CENTRAL:
                raise ValueError("central header %d not found at 0x%x" % (i, o))
            nl, xl, cl = u16(d, o + 28), u16(d, o + 30), u16(d, o + 32)
            name = d[o + 46:o + 46 + nl].decode("utf-8", "replace")
            pre = "central[%d] %r" % (i, name)
            self.add(o, 4, pre + " signature", fmt=fmt_sig)
            self.add(o + 4, 2, pre + " version made by", fmt=fmt_made_by)
            self.add(o + 6, 2, pre + " version needed")
            self.add(o + 8, 2, pre + " flags", fmt=fmt_flags)
            self.add(o + 10, 2, pre + " method", fmt=fmt_method)
            self.add(o + 12, 2, pre + " last mod time", "dos-time", fmt_dos_time)
            self.add(o + 14, 2, pre + " last mod date", "dos-date", fmt_dos_date)
            self.add(o + 16, 4, pre + " crc32", "crc32")
            self.add(o + 20, 4, pre + " compressed size")
            self.add(o + 24, 4, pre + " uncompressed size")
            self.add(o + 28, 2, pre + " name length")
            self.add(o + 30, 2, pre + " extra length")
            self.add(o + 32, 2, pre + " comment length")
            self.add(o + 34, 2, pre + " disk number start")
            self.add(o + 36, 2, pre + " internal attributes")
            self.add(o + 38, 4, pre + " external attributes", "external-attr", fmt_ext_attr)
            self.add(o + 42, 4, pre + " local header offset")
            self.add(o + 46, nl, pre + " name", fmt=fmt_text)
            csize, usize, loff, disk = u32(d, o + 20), u32(d, o + 24), u32(d, o + 42), u16(d, o + 34)
            flags, method = u16(d, o + 8), u16(d, o + 10)
            # zip64 values
            xs = o + 46 + nl
            r = xs
            while r + 4 <= xs + xl:
                if u16(d, r) == 1:
                    q = r + 4
                    if usize == 0xFFFFFFFF:
                        usize = u64(d, q); q += 8
                    if csize == 0xFFFFFFFF:
                        csize = u64(d, q); q += 8
                    if loff == 0xFFFFFFFF:
                        loff = u64(d, q); q += 8
                r += 4 + u16(d, r + 2)
            self.extras(xs, xs + xl, "central", pre, True,
                        (u32(d, o + 24), u32(d, o + 20), u32(d, o + 42), disk))
            self.add(xs + xl, cl, pre + " comment", fmt=fmt_text)
            entries.append((i, name, loff, csize, flags, method))
            o = xs + xl + cl
        if o != cd_end:
            self.add(o, cd_end - o, "bytes between central directory and end records", fmt=fmt_bytes)

        # local headers and data
        first_local = None
        covered_to = None
        for i, name, loff, csize, flags, method in sorted(entries, key=lambda t: t[2]):
            lo = base + loff + shift
            if first_local is None:
                first_local = lo
            if covered_to is not None and lo > covered_to:
                self.add(covered_to, lo - covered_to, "gap before local header of %r" % name, fmt=fmt_bytes)
            if d[lo:lo + 4] != SIG_LOCAL:
                raise ValueError("local header of %r not found at 0x%x" % (name, lo))
            nl, xl = u16(d, lo + 26), u16(d, lo + 28)
            pre = "local[%d] %r" % (i, name)
            self.add(lo, 4, pre + " signature", fmt=fmt_sig)
            self.add(lo + 4, 2, pre + " version needed")
            self.add(lo + 6, 2, pre + " flags", fmt=fmt_flags)
            self.add(lo + 8, 2, pre + " method", fmt=fmt_method)
            self.add(lo + 10, 2, pre + " last mod time", "dos-time", fmt_dos_time)
            self.add(lo + 12, 2, pre + " last mod date", "dos-date", fmt_dos_date)
            self.add(lo + 14, 4, pre + " crc32", "crc32")
            self.add(lo + 18, 4, pre + " compressed size")
            self.add(lo + 22, 4, pre + " uncompressed size")
            self.add(lo + 26, 2, pre + " name length")
            self.add(lo + 28, 2, pre + " extra length")
            self.add(lo + 30, nl, pre + " name", fmt=fmt_text)
            xs = lo + 30 + nl
            local_z64 = False
            r = xs
            while r + 4 <= xs + xl:
                if u16(d, r) == 1:
                    local_z64 = True
                r += 4 + u16(d, r + 2)
            self.extras(xs, xs + xl, "local", pre, False)
            p = xs + xl
            mpre = "member[%d] %r" % (i, name)
            if flags & 1 and csize >= 12:
                # Traditional PKWARE encryption: 12-byte encrypted header. Info-ZIP
                # fills bytes 0..9 from rand() seeded with time ^ pid; bytes 10..11
                # are the check value: with flag bit 3 the DOS time (plaintext =
                # the local header's last mod time, LE), else the top 16 bits of
                # the CRC-32. Every later byte depends on all 12 (key stream).
                self.add(p, 10, mpre + " encryption header bytes 0..9 (random)", "encryption-header", fmt_bytes)
                self.add(p + 10, 2, mpre + " encryption header bytes 10..11 (check value, plaintext = %s)" % (
                    "DOS time" if flags & 8 else "crc32 >> 16"), "encryption-header", fmt_bytes)
                df = self.add(p + 12, csize - 12, mpre + " encrypted data", "encrypted-data", fmt_bytes)
            else:
                df = self.add(p, csize, mpre + " data (%s)" % METHODS.get(method, method), "data", fmt_bytes)
            if df is not None:
                df.sub = (method, flags)
                self.members.append((name, df, method, flags))
            p += csize
            if flags & 8:
                dpre = "data descriptor[%d] %r" % (i, name)
                if d[p:p + 4] == SIG_DD:
                    self.add(p, 4, dpre + " signature", fmt=fmt_sig)
                    p += 4
                self.add(p, 4, dpre + " crc32", "crc32")
                w = 8 if local_z64 else 4
                self.add(p + 4, w, dpre + " compressed size")
                self.add(p + 4 + w, w, dpre + " uncompressed size")
                p += 4 + 2 * w
            covered_to = p
        if first_local is None:
            first_local = cd_start
            covered_to = cd_start
        if first_local > base:
            self.add(base, first_local - base, "prefix data (%d bytes before the first local header)"
                     % (first_local - base), "", fmt_bytes)
        if covered_to is not None and covered_to < cd_start:
            self.add(covered_to, cd_start - covered_to, "gap before central directory", fmt=fmt_bytes)

        if z64_pos is not None:
            z = z64_pos
            pre = "zip64 EOCD"
            self.add(z, 4, pre + " signature", fmt=fmt_sig)
            self.add(z + 4, 8, pre + " record size")
            self.add(z + 12, 2, pre + " version made by", fmt=fmt_made_by)
            self.add(z + 14, 2, pre + " version needed")
            self.add(z + 16, 4, pre + " disk number")
            self.add(z + 20, 4, pre + " central directory disk")
            self.add(z + 24, 8, pre + " entries on this disk")
            self.add(z + 32, 8, pre + " total entries")
            self.add(z + 40, 8, pre + " central directory size")
            self.add(z + 48, 8, pre + " central directory offset")
            rs = u64(d, z + 4)
            self.add(z + 56, rs - 44, pre + " extensible data", fmt=fmt_bytes)
            lz = e - 20
            if z + 12 + rs < lz:
                self.add(z + 12 + rs, lz - z - 12 - rs, "bytes before zip64 EOCD locator", fmt=fmt_bytes)
            self.add(lz, 4, "zip64 EOCD locator signature", fmt=fmt_sig)
            self.add(lz + 4, 4, "zip64 EOCD locator disk")
            self.add(lz + 8, 8, "zip64 EOCD locator offset")
            self.add(lz + 16, 4, "zip64 EOCD locator total disks")
        elif z64 is not None:
            self.add(e - 20, 20, "zip64 EOCD locator (record not found)", fmt=fmt_bytes)
        pre = "EOCD"
        self.add(e, 4, pre + " signature", fmt=fmt_sig)
        self.add(e + 4, 2, pre + " disk number")
        self.add(e + 6, 2, pre + " central directory disk")
        self.add(e + 8, 2, pre + " entries on this disk")
        self.add(e + 10, 2, pre + " total entries")
        self.add(e + 12, 4, pre + " central directory size")
        self.add(e + 16, 4, pre + " central directory offset")
        self.add(e + 20, 2, pre + " comment length")
        self.add(e + 22, u16(d, e + 20), pre + " archive comment", fmt=fmt_text)
        self.fields.sort(key=lambda f: f.start)
        return self


def parse(d):
    return Parser(d).parse().fields


def is_zip(b):
    return b[:4] == SIG_LOCAL


def inflate(b):
    try:
        return zlib.decompress(bytes(b), -15)
    except zlib.error:
        return None


# --- diff --------------------------------------------------------------------

def rng(fa, fb, where=""):
    if fa.start == fb.start:
        return "%s0x%x..0x%x (%d)" % (where, fa.start, fa.start + fa.length - 1, fa.length)
    return "%sa:0x%x..0x%x b:0x%x..0x%x (%d/%d)" % (where, fa.start, fa.start + fa.length - 1,
                                                    fb.start, fb.start + fb.length - 1, fa.length, fb.length)


def compare(a, b, prefix, out, base_a=0, base_b=0, where="", indent="  "):
    """Append (line, known) for every differing field of zips a and b.

    prefix goes in front of field names (the enclosing member), base_a/b are
    added to offsets, where marks offsets that are not file offsets."""
    try:
        fa, fb = parse(a), parse(b)
    except ValueError as e:
        out.append(("%sUNKNOWN %scannot parse (%s)" % (indent, prefix, e), False))
        return
    if [f.name for f in fa] != [f.name for f in fb]:
        out.append(("%sUNKNOWN %sstructures differ (%d vs %d fields)" % (indent, prefix, len(fa), len(fb)), False))
        return
    for x, y in zip(fa, fb):
        va, vb = a[x.start:x.start + x.length], b[y.start:y.start + y.length]
        if va == vb:
            continue
        nb = sum(1 for p, q in zip(va, vb) if p != q) + abs(len(va) - len(vb))
        gx = Field(x.start + base_a, x.length, x.name, x.kind, x.fmt)
        gy = Field(y.start + base_b, y.length, y.name, y.kind, y.fmt)
        r = rng(gx, gy, where)
        method = x.sub[0] if x.sub else None
        if x.kind == "data" and method == 0 and is_zip(va) and is_zip(vb):
            out.append(("%s%s %s%s  [%d bytes differ]  stored member is a zip; its fields:" % (
                indent, r, prefix, x.name, nb), True))
            compare(va, vb, prefix + x.name[:x.name.index(" data")] + " > ", out, gx.start, gy.start,
                    where, indent + "  ")
            continue
        if x.kind == "data" and method == 8:
            ia, ib = inflate(va), inflate(vb)
            if ia is not None and ib is not None and is_zip(ia) and is_zip(ib):
                sub = []
                compare(ia, ib, prefix + x.name[:x.name.index(" data")] + " > ", sub, 0, 0,
                        "inflated member +", indent + "  ")
                ok = all(r[1] for r in sub)
                out.append(("%s%s %s%s  [%d bytes differ]  deflated member is a zip (not rewritable "
                            "in place); its fields after inflating:" % (indent, r, prefix, x.name, nb), ok))
                out.extend(sub)
                continue
        known = x.kind in KNOWN_KINDS
        tag = "" if known else "UNKNOWN "
        if x.kind in ("encrypted-data", "data") or x.length > 8 and x.fmt is fmt_bytes:
            vals = ""
        else:
            vals = "  a=%s  b=%s" % (x.fmt(va), y.fmt(vb))
        full = prefix + x.name
        names = re.findall(r"\[\d+\] ('[^']*')", full)
        generic = re.sub(r"\[\d+\] '[^']*'", "", full).replace(" > ", " ")
        key = (indent, tag, where, generic, x.length, vals)
        loc = "0x%x%s" % (gx.start, " " + " > ".join(names) if names else "")
        out.append(("%s%s%s %s%s  [%d bytes differ]%s" % (indent, tag, r, prefix, x.name, nb, vals), known,
                    key, loc))


def diff(pa, pb, grouped=False):
    a, b = open(pa, "rb").read(), open(pb, "rb").read()
    out = []
    compare(a, b, "", out)
    nbytes = sum(1 for p, q in zip(a, b) if p != q) + abs(len(a) - len(b))
    size = "%d bytes" % len(a) if len(a) == len(b) else "%d vs %d bytes" % (len(a), len(b))
    if not out:
        print("%s: identical (%s, zip)" % (pa, size) if a == b else
              "%s: UNKNOWN: bytes differ but no field does (%s)" % (pa, size))
        return 0 if a == b else 1
    top = sum(1 for r in out if not r[0].startswith("    "))
    print("%s: %d bytes differ in %d fields (%s, zip)" % (pa, nbytes, top, size))
    if not grouped:
        for r in out:
            print(r[0])
    else:
        # one line per (field kind, value pair): the fields that differ the same
        # way, listed by start offset and entry name
        groups, order = {}, []
        for r in out:
            if len(r) < 4:
                order.append(r[0])
                continue
            key = r[2]
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(r[3])
        for k in order:
            if isinstance(k, str):
                print(k)
                continue
            indent, tag, where, generic, length, vals = k
            locs = groups[k]
            print("%s%s%s (%d)%s  x%d at %s%s" % (indent, tag, generic.strip(), length, vals, len(locs),
                                                 where, ", ".join(locs)))
    return 0 if all(r[1] for r in out) else 1


def dump(path):
    d = open(path, "rb").read()
    p = Parser(d).parse()
    print("%s: %d bytes, %d central entries" % (path, len(d), sum(1 for f in p.fields if f.name.startswith("central[") and f.name.endswith(" signature"))))
    covered = 0
    for f in p.fields:
        if f.start > covered:
            print("  0x%x..0x%x (%d) ?? not covered" % (covered, f.start - 1, f.start - covered))
        v = d[f.start:f.start + f.length]
        mark = "*" if f.kind in KNOWN_KINDS else " "
        print(" %s0x%x..0x%x (%d) %s = %s" % (mark, f.start, f.start + f.length - 1, f.length, f.name, f.fmt(v)))
        covered = max(covered, f.start + f.length)
    if covered < len(d):
        print("  0x%x..0x%x ?? not covered" % (covered, len(d) - 1))
    return 0


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--dump":
        return dump(args[1])
    if len(args) == 3 and args[0] == "--grouped":
        return diff(args[1], args[2], True)
    if len(args) == 2:
        return diff(args[0], args[1])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
