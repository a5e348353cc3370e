#!/usr/bin/python3
"""Print the MSF (PDB 7.0) layout of a PDB: superblock, streams, and where
stream bytes live in the file.

    /usr/bin/python3 samples/pe/tools/pdbmap.py FILE.pdb [OFFSET...]

Without OFFSETs: superblock fields, every stream's size and blocks, and the
PDB info stream (stream 1) header: Version, Signature, Age, GUID (file
offsets included). With OFFSETs (decimal or 0x-hex file offsets, e.g. from
`cmp -l`, which counts from 1: subtract 1): which stream and stream offset
each one belongs to (or superblock / free block map / directory / unused).
Debugging aid only; standard library, no pefile needed.
"""
import struct
import sys

MAGIC = b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\x00\x00\x00"
KNOWN = {0: "old directory", 1: "PDB info", 2: "TPI", 3: "DBI", 4: "IPI"}


def read_msf(data):
    if data[:32] != MAGIC:
        raise SystemExit("not an MSF 7.00 (PDB) file")
    bs, fpm, nblocks, dir_bytes, _unk, map_addr = struct.unpack_from("<6I", data, 32)
    ndirblocks = (dir_bytes + bs - 1) // bs
    dir_block_list = struct.unpack_from("<%dI" % ndirblocks, data, map_addr * bs)
    directory = b"".join(data[b * bs:(b + 1) * bs] for b in dir_block_list)[:dir_bytes]
    nstreams = struct.unpack_from("<I", directory, 0)[0]
    sizes = struct.unpack_from("<%dI" % nstreams, directory, 4)
    pos = 4 + 4 * nstreams
    streams = []
    for size in sizes:
        n = 0 if size == 0xFFFFFFFF else (size + bs - 1) // bs
        blocks = struct.unpack_from("<%dI" % n, directory, pos)
        pos += 4 * n
        streams.append((size, list(blocks)))
    return dict(block_size=bs, fpm_block=fpm, num_blocks=nblocks,
                dir_bytes=dir_bytes, block_map_addr=map_addr,
                dir_blocks=list(dir_block_list), streams=streams)


def stream_offset_to_file(msf, stream, off):
    bs = msf["block_size"]
    return msf["streams"][stream][1][off // bs] * bs + off % bs


def locate(msf, foff):
    bs = msf["block_size"]
    block, within = divmod(foff, bs)
    if block == 0:
        return "superblock +%d" % within
    if block == msf["block_map_addr"]:
        return "directory block map +%d" % within
    if block in msf["dir_blocks"]:
        i = msf["dir_blocks"].index(block)
        return "stream directory +%d" % (i * bs + within)
    # free page maps live at block 1/2 and every bs blocks after
    if block % bs in (1, 2):
        return "free block map (block %d)" % block
    for si, (size, blocks) in enumerate(msf["streams"]):
        if block in blocks:
            soff = blocks.index(block) * bs + within
            name = KNOWN.get(si, "")
            tail = "" if soff < size else " (block slack past stream end %d)" % size
            return "stream %d%s +%d (0x%x)%s" % (si, " [%s]" % name if name else "", soff, soff, tail)
    return "unused block %d +%d" % (block, within)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    data = open(sys.argv[1], "rb").read()
    msf = read_msf(data)
    if len(sys.argv) > 2:
        for a in sys.argv[2:]:
            foff = int(a, 0)
            print("%d (0x%x): %s" % (foff, foff, locate(msf, foff)))
        return
    print("block size %(block_size)d, blocks %(num_blocks)d, fpm block %(fpm_block)d, "
          "directory %(dir_bytes)d bytes in blocks %(dir_blocks)s (map at block %(block_map_addr)d)" % msf)
    for si, (size, blocks) in enumerate(msf["streams"]):
        name = KNOWN.get(si, "")
        shown = blocks if len(blocks) <= 8 else blocks[:8] + ["..."]
        print("stream %3d %-14s size %8d blocks %s" % (si, name, size if size != 0xFFFFFFFF else -1, shown))
    info = msf["streams"][1]
    if info[0] >= 28:
        base = info[1][0] * msf["block_size"]
        ver, sig, age = struct.unpack_from("<3I", data, base)
        guid = data[base + 12:base + 28]
        print("info stream at file offset 0x%x: Version %d, Signature %d (0x%08x) @0x%x, "
              "Age %d @0x%x, GUID %s @0x%x" % (base, ver, sig, sig, base + 4, age, base + 8,
                                                guid.hex(" "), base + 12))
    dbi = msf["streams"][3]
    if dbi[0] >= 12:
        base = dbi[1][0] * msf["block_size"]
        age = struct.unpack_from("<I", data, base + 8)[0]
        print("DBI stream at file offset 0x%x: Age %d @0x%x" % (base, age, base + 8))


if __name__ == "__main__":
    main()
