#!/usr/bin/env python3
"""Dump every 60-byte ar member header of the given archives, fields raw.

    python3 samples/dump-ar-headers.py samples/ar/oracle/gnu/U/libdemo.a ...

Fields are printed between | | exactly as stored (space padding visible).
Handles "!<arch>\\n" (GNU/SysV, BSD "#1/N") and "!<thin>\\n" (GNU thin: only
"/", "/SYM64/" and "//" carry data inside the archive; other members' data
lives in external files, the size field still holds their size).
"""
import sys


def dump(path):
    data = open(path, "rb").read()
    magic = data[:8]
    thin = magic == b"!<thin>\n"
    if magic not in (b"!<arch>\n", b"!<thin>\n"):
        print(f"{path}: not an ar archive")
        return
    print(f"== {path} ({len(data)} bytes, magic {magic!r})")
    print("  off   name             | date       | uid  | gid  | mode   | size     |fmag| note")
    off = 8
    while off < len(data):
        if data[off:off + 1] == b"\n" and off % 2 == 1:
            off += 1  # odd-size padding (should have been consumed below)
            continue
        h = data[off:off + 60]
        if len(h) < 60:
            print(f"  {off:5d} truncated header: {h!r}")
            return
        name, date, uid, gid, mode, size, fmag = (
            h[0:16], h[16:28], h[28:34], h[34:40], h[40:48], h[48:58], h[58:60])
        sz = int(size.decode().strip() or "0")
        note = ""
        n = name.decode("latin-1")
        if n.startswith("#1/"):
            ln = int(n[3:].strip())
            note = "bsd name=" + repr(data[off + 60:off + 60 + ln].rstrip(b"\0").decode("latin-1"))
        has_data = not thin or n.rstrip() in ("/", "/SYM64/", "//")
        print(f"  {off:5d} |{n}|{date.decode()}|{uid.decode()}|{gid.decode()}|"
              f"{mode.decode()}|{size.decode()}|{fmag!r}| {note}")
        off += 60
        if has_data:
            off += sz + (sz & 1)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        dump(p)
