#!/usr/bin/python3
"""Give a linked PE image and its PDB a new PDB GUID, consistently.

    /usr/bin/python3 samples/pe/tools/reguid.py --guid GUID [--signature N] [--age N] IMAGE PDB

Why: lld-link derives the PDB GUID from a hash of the PDB contents, so two
links of the same inputs at different times get the same GUID. MSVC link.exe
picks a fresh random GUID on every full link. This script turns an lld-link
output pair into what link.exe-style output looks like: the 16-byte GUID is
replaced in both places that must agree,

  IMAGE: every CodeView debug directory entry's RSDS record
         ("RSDS", GUID[16], Age u32, PdbFileName), found through
         OptionalHeader.DataDirectory[6] (IMAGE_DIRECTORY_ENTRY_DEBUG);
  PDB:   the PDB info stream (MSF stream 1) header
         (Version u32, Signature u32, Age u32, GUID[16]).

--signature N also sets the PDB info stream Signature (link.exe writes the
time there; lld-link writes the low 32 bits of its hash-derived GUID; GNU ld
--pdb writes the link time). --age N sets the age in RSDS, in the PDB info
stream and in the DBI stream (stream 3) header. Nothing else changes; in
particular no file changes size. If the image has a non-zero
OptionalHeader.CheckSum it is recomputed (pefile) so it stays valid.

GUID is given as printed by `llvm-pdbutil dump --summary`
({7FEF1225-9E8D-2F48-4C4C-44205044422E}); it is stored in Microsoft GUID
byte order (Data1..Data3 little-endian), i.e. uuid.UUID(GUID).bytes_le,
which is also the byte order `llvm-readobj --coff-debug-directory` prints.

The script refuses to run unless the image's RSDS GUID/age equal the PDB's
before the change, and fails if the old GUID bytes occur anywhere else in
either file (so nothing is left pointing at the old GUID).
"""
import argparse
import struct
import sys
import uuid

import pefile

MSF_MAGIC = b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\x00\x00\x00"


def msf_stream_file_offset(data, stream, off):
    """File offset of byte `off` of MSF stream `stream`."""
    if data[:32] != MSF_MAGIC:
        raise SystemExit("reguid: PDB is not an MSF 7.00 file")
    bs, _fpm, _nblocks, dir_bytes, _unk, map_addr = struct.unpack_from("<6I", data, 32)
    ndir = (dir_bytes + bs - 1) // bs
    dir_blocks = struct.unpack_from("<%dI" % ndir, data, map_addr * bs)
    directory = b"".join(data[b * bs:(b + 1) * bs] for b in dir_blocks)[:dir_bytes]
    nstreams = struct.unpack_from("<I", directory, 0)[0]
    sizes = struct.unpack_from("<%dI" % nstreams, directory, 4)
    pos = 4 + 4 * nstreams
    for i, size in enumerate(sizes):
        n = 0 if size == 0xFFFFFFFF else (size + bs - 1) // bs
        blocks = struct.unpack_from("<%dI" % n, directory, pos)
        pos += 4 * n
        if i == stream:
            if off >= size:
                raise SystemExit("reguid: stream %d has only %d bytes" % (stream, size))
            return blocks[off // bs] * bs + off % bs
    raise SystemExit("reguid: PDB has no stream %d" % stream)


def rsds_offsets(image_path, data):
    pe = pefile.PE(image_path, fast_load=True)
    pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_DEBUG"]])
    found = []
    for entry in getattr(pe, "DIRECTORY_ENTRY_DEBUG", []):
        if entry.struct.Type != 2:  # IMAGE_DEBUG_TYPE_CODEVIEW
            continue
        ptr = entry.struct.PointerToRawData
        if data[ptr:ptr + 4] != b"RSDS":
            raise SystemExit("reguid: CodeView entry at 0x%x is not RSDS" % ptr)
        found.append(ptr)
    if not found:
        raise SystemExit("reguid: %s has no CodeView RSDS debug entry" % image_path)
    return pe, found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--guid", required=True)
    ap.add_argument("--signature", type=lambda s: int(s, 0))
    ap.add_argument("--age", type=lambda s: int(s, 0))
    ap.add_argument("image")
    ap.add_argument("pdb")
    args = ap.parse_args()
    new_guid = uuid.UUID(args.guid).bytes_le

    img = bytearray(open(args.image, "rb").read())
    pdb = bytearray(open(args.pdb, "rb").read())
    pe, rsds = rsds_offsets(args.image, img)

    info = msf_stream_file_offset(pdb, 1, 0)
    version, _sig, pdb_age = struct.unpack_from("<3I", pdb, info)
    if version != 20000404:
        raise SystemExit("reguid: unexpected PDB info stream version %d" % version)
    old_guid = bytes(pdb[info + 12:info + 28])
    for p in rsds:
        if bytes(img[p + 4:p + 20]) != old_guid or struct.unpack_from("<I", img, p + 20)[0] != pdb_age:
            raise SystemExit("reguid: image RSDS at 0x%x does not match the PDB (GUID/age)" % p)

    # The old GUID must occur only where we are about to rewrite it.
    expected_img = {p + 4 for p in rsds}
    expected_pdb = {info + 12}
    for name, blob, expected in (("image", img, expected_img), ("PDB", pdb, expected_pdb)):
        at, hits = 0, set()
        while True:
            at = blob.find(old_guid, at)
            if at < 0:
                break
            hits.add(at)
            at += 1
        if hits != expected:
            raise SystemExit("reguid: old GUID also found in %s at %s" %
                             (name, ", ".join("0x%x" % h for h in sorted(hits - expected))))

    for p in rsds:
        img[p + 4:p + 20] = new_guid
        if args.age is not None:
            struct.pack_into("<I", img, p + 20, args.age)
    pdb[info + 12:info + 28] = new_guid
    if args.signature is not None:
        struct.pack_into("<I", pdb, info + 4, args.signature)
    if args.age is not None:
        struct.pack_into("<I", pdb, info + 8, args.age)
        dbi = msf_stream_file_offset(pdb, 3, 0)
        struct.pack_into("<I", pdb, dbi + 8, args.age)

    if pe.OPTIONAL_HEADER.CheckSum:
        pe2 = pefile.PE(data=bytes(img), fast_load=True)
        struct.pack_into("<I", img, pe2.OPTIONAL_HEADER.get_file_offset() + 64, pe2.generate_checksum())

    with open(args.image, "wb") as f:
        f.write(img)
    with open(args.pdb, "wb") as f:
        f.write(pdb)
    print("reguid: %s, %s: GUID {%s}%s%s" % (
        args.image, args.pdb, str(uuid.UUID(bytes_le=new_guid)).upper(),
        "" if args.signature is None else ", Signature %d" % args.signature,
        "" if args.age is None else ", Age %d" % args.age))
    return 0


if __name__ == "__main__":
    sys.exit(main())
