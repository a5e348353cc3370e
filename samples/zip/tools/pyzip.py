#!/usr/bin/python3
"""Write a zip with Python's zipfile, the way packaging scripts usually do.

    /usr/bin/python3 samples/zip/tools/pyzip.py [--zip64] OUT NAME...

NAMEs are relative paths, archived in the order given (directories are not
recursed; list their members yourself). Regular files and directories go
through ZipFile.write() (ZipInfo.from_file: DOS time from
time.localtime(st_mtime), external attributes = st_mode << 16, plus 0x10 for
directories; ZIP_DEFLATED). A symlink is stored the usual way by hand:
ZipInfo with the lstat mtime and S_IFLNK mode, data = the link target,
ZIP_STORED (ZipFile.write would follow it).

--zip64: every non-directory entry is written with
ZipFile.open(zinfo, "w", force_zip64=True), which puts a zip64 extra field
(0x0001) with both sizes into the local header. Python writes the zip64
end of central directory record only when it is needed (more than 65535
entries or offsets/sizes >= 4 GiB), so a small archive has none.

Used by samples/make-zip-samples.sh.
"""
import os
import stat
import sys
import time
import zipfile


def main():
    args = sys.argv[1:]
    zip64 = False
    if args and args[0] == "--zip64":
        zip64, args = True, args[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    out, names = args[0], args[1:]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in names:
            st = os.lstat(n)
            if stat.S_ISLNK(st.st_mode):
                zi = zipfile.ZipInfo(n, time.localtime(st.st_mtime)[:6])
                zi.create_system = 3
                zi.external_attr = (st.st_mode & 0xFFFF) << 16
                zi.compress_type = zipfile.ZIP_STORED
                data = os.readlink(n).encode()
                if zip64:
                    with zf.open(zi, "w", force_zip64=True) as w:
                        w.write(data)
                else:
                    zf.writestr(zi, data)
            elif zip64 and stat.S_ISREG(st.st_mode):
                zi = zipfile.ZipInfo.from_file(n)
                zi.compress_type = zipfile.ZIP_DEFLATED
                with open(n, "rb") as f, zf.open(zi, "w", force_zip64=True) as w:
                    w.write(f.read())
            else:
                zf.write(n)


if __name__ == "__main__":
    main()
