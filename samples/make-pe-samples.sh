#!/usr/bin/env bash
# Regenerate the Windows-format (PE/COFF/PDB) sample pairs in samples/pe/.
#
#   bash samples/make-pe-samples.sh      (from any directory; root not needed)
#
# Every pair samples/pe/<variant>/{a,b}/<file> is the same build run twice
# from the same sources, in the same directory, with the same command line;
# only the clock differs (faketime, frozen):
#   build a: 2021-03-04 05:06:07 UTC = 1614834367 = 0x60406ABF
#   build b: 2023-09-10 11:12:13 UTC = 1694344333 = 0x64FDA48D
# (the same clocks as samples/make-samples.sh). Archive members additionally
# get that side's file mtime (touch -d), like the ar samples. The one pair
# that is post-processed is lld-exe-reguid (see below).
#
# Tools: clang/lld-link/llvm-lib/llvm-rc/llvm-cvtres (LLVM), mingw-w64 gcc,
# GNU ld/as/windres/ar (binutils), faketime, /usr/bin/python3 with pefile.
# No MSVC and no Windows SDK: the clang/lld-link programs are freestanding
# (no headers, /nodefaultlib /entry:...).
#
# The script is idempotent: it deletes samples/pe/<every variant>,
# samples/pe/VERSIONS.txt and samples/pe/DIFFS.txt and recreates them.
# samples/pe/src/ and samples/pe/tools/ are inputs and never modified.
# Everything is built in the fixed directory $BUILD (below) because GNU ld
# --pdb records the absolute working directory in the PDB; with the tool
# versions in VERSIONS.txt a rerun gives byte-identical files.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PE="$HERE/pe"
SRC="$PE/src"
TOOLS="$PE/tools"
PY=/usr/bin/python3          # Debian's python3 with python3-pefile
BUILD=/tmp/unstamp-pe-build  # fixed on purpose (paths end up in PDBs)
W="$BUILD/w"                 # every build step of both sides runs in here

CLOCK_A='2021-03-04 05:06:07'
CLOCK_B='2023-09-10 11:12:13'
MTIME_A='2020-01-02 03:04:05'   # archive member file mtimes (touch -d)
MTIME_B='2022-06-07 08:09:10'
# lld-exe-reguid: the fresh "random" PDB GUID of each build (generated once
# with uuid.uuid4() and fixed here so reruns are reproducible).
GUID_A='{7C8E8D40-60B4-473B-B2A2-EB63CB41F93A}'
GUID_B='{9DEB2213-FD31-4BE4-98CA-24B317FBFFE0}'

VARIANTS=(clang-obj clang-obj-brepro gas-bigobj llvm-cvtres llvm-lib
          lld-exe lld-exe-reguid lld-exe-brepro lld-exe32 lld-dll
          mingw-exe mingw-dll mingw-exe-pdb)
# Pairs whose a and b are byte-identical by construction (deterministic tools).
SAME=(clang-obj-brepro gas-bigobj lld-exe-brepro)

die() { echo "make-pe-samples: $*" >&2; exit 1; }

for tool in clang lld-link llvm-lib llvm-rc llvm-cvtres llvm-readobj llvm-pdbutil \
            x86_64-w64-mingw32-gcc x86_64-w64-mingw32-windres x86_64-w64-mingw32-ar \
            x86_64-w64-mingw32-ld faketime cmp; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
"$PY" -c 'import pefile' 2>/dev/null || die "missing $PY module pefile (apt-get install -y python3-pefile)"

rm -rf "$BUILD"
mkdir -p "$BUILD"
trap 'rm -rf "$BUILD"' EXIT

# Run a command with a frozen fake clock. NO_FAKE_STAT=1 keeps real file
# mtimes visible to ar (see samples/make-samples.sh).
at() { local when="$1"; shift; NO_FAKE_STAT=1 faketime -f "$when" "$@"; }

# --- recreate output tree -----------------------------------------------------
for v in "${VARIANTS[@]}"; do rm -rf "${PE:?}/$v"; done
rm -f "$PE/VERSIONS.txt" "$PE/DIFFS.txt"

# pair VARIANT FUNCTION FILE...: for side a, then b: empty $W, copy src/ into
# it, run FUNCTION inside $W with CLOCK/MTIME/SIDE set, then move FILE... to
# samples/pe/VARIANT/SIDE/.
pair() {
  local variant="$1" fn="$2"; shift 2
  local side f
  for side in a b; do
    rm -rf "$W"; mkdir -p "$W"; cp "$SRC"/* "$W/"
    if [ "$side" = a ]; then CLOCK=$CLOCK_A MTIME=$MTIME_A; else CLOCK=$CLOCK_B MTIME=$MTIME_B; fi
    SIDE=$side
    ( cd "$W" && "$fn" )
    mkdir -p "$PE/$variant/$side"
    for f in "$@"; do
      [ -f "$W/$f" ] || die "$variant/$side: $f was not produced"
      mv "$W/$f" "$PE/$variant/$side/$f"
    done
  done
}

# --- clang COFF objects -----------------------------------------------------------
# For *-windows-msvc targets the clang driver passes -mincremental-linker-compatible
# to cc1 by default, and LLVM's COFF writer then stores time(NULL) in the COFF
# header TimeDateStamp (clang-cl: /Brepro- is the same, the default).
# -mno-incremental-linker-compatible (clang-cl /Brepro) stores 0. Other
# targets (e.g. x86_64-w64-mingw32) default to 0. SOURCE_DATE_EPOCH is ignored
# by clang 14. -g -gcodeview: CodeView .debug$S/.debug$T (plain -gcodeview
# without -g emits no debug info). -ffile-compilation-dir=. keeps the build
# directory out of the CodeView records.
CLANG_X64=(clang --target=x86_64-pc-windows-msvc -O1 -g -gcodeview -ffile-compilation-dir=.)
CLANG_X86=(clang --target=i686-pc-windows-msvc -O1 -g -gcodeview -ffile-compilation-dir=.)

build_clang_obj() {
  at "$CLOCK" "${CLANG_X64[@]}" -c lld-main.c -o main.obj
  at "$CLOCK" "${CLANG_X64[@]}" -c lld-helper.c -o helper.obj
  at "$CLOCK" "${CLANG_X86[@]}" -c lld-main.c -o main-x86.obj
}
pair clang-obj build_clang_obj main.obj helper.obj main-x86.obj

build_clang_obj_brepro() {
  at "$CLOCK" "${CLANG_X64[@]}" -mno-incremental-linker-compatible -c lld-main.c -o main.obj
}
pair clang-obj-brepro build_clang_obj_brepro main.obj

# /bigobj: neither `clang -Wa,-mbig-obj` nor clang-cl /bigobj changes clang's
# output (LLVM switches to the bigobj header by itself only above 65279
# sections, i.e. a file of several MB; see README). GNU as -mbig-obj writes a
# small bigobj, but GNU as always stores TimeDateStamp 0 (a == b).
build_gas_bigobj() {
  at "$CLOCK" x86_64-w64-mingw32-gcc -O2 -c -Wa,-mbig-obj mingw-util.c -o big.o
}
pair gas-bigobj build_gas_bigobj big.o

# llvm-cvtres (the cvtres.exe equivalent: .res -> COFF object with .rsrc$01/02)
# stores time(NULL) in the COFF header; its resource directory tables get 0.
build_llvm_cvtres() {
  at "$CLOCK" llvm-rc /fo lld.res lld.rc
  at "$CLOCK" llvm-cvtres /machine:x64 /out:res.obj lld.res
}
pair llvm-cvtres build_llvm_cvtres res.obj

# --- llvm-lib -----------------------------------------------------------------------
# llvm-lib always writes a deterministic archive (LLVM 14 LibDriver calls
# writeArchive(..., Deterministic=true): member date 0, uid/gid 0, mode 644;
# no option or environment variable changes that). The pair still differs
# because the member objects were compiled at different times: their COFF
# TimeDateStamps differ inside the archive.
build_llvm_lib() {
  at "$CLOCK" "${CLANG_X64[@]}" -c lld-main.c -o main.obj
  at "$CLOCK" "${CLANG_X64[@]}" -c lld-helper.c -o helper.obj
  touch -d "$MTIME" main.obj helper.obj
  at "$CLOCK" llvm-lib /out:lib.lib main.obj helper.obj
}
pair llvm-lib build_llvm_lib lib.lib

# --- lld-link -------------------------------------------------------------------------
# lld-link 14 without /Brepro and /timestamp: stores time(NULL) in the COFF
# header and in every debug directory entry. The PDB GUID is a hash of the
# PDB contents (last 8 bytes "LLD PDB."), and the PDB info-stream Signature
# is its low 32 bits; the PDB does not contain the link time, so the PDB and
# the GUID are the SAME in a and b. /timestamp:N would also change the GUID,
# but only because the linker command line (with /timestamp:N) is recorded in
# the PDB, so it is not used. /pdbaltpath and /pdbsourcepath keep the build
# directory out of the image and the PDB. lld-link 14 never writes
# OptionalHeader.CheckSum (no /release), and writes 0 into the export and
# resource directory TimeDateStamps.
LLD_COMMON=(/debug /pdbsourcepath:/src /nodefaultlib)

build_lld_exe() {
  at "$CLOCK" "${CLANG_X64[@]}" -c lld-main.c -o main.obj
  at "$CLOCK" "${CLANG_X64[@]}" -c lld-helper.c -o helper.obj
  at "$CLOCK" lld-link "${LLD_COMMON[@]}" /pdb:app.pdb /pdbaltpath:app.pdb /out:app.exe \
    /entry:mainCRTStartup /subsystem:console /machine:x64 main.obj helper.obj
}
pair lld-exe build_lld_exe app.exe app.pdb

# Same build, then each side gets its own fresh GUID in the image's RSDS
# record and the PDB info stream (tools/reguid.py), and the PDB Signature is
# set to the link time (as MSVC link.exe and GNU ld --pdb do), so a and b
# look like two link.exe builds.
build_lld_exe_reguid() {
  build_lld_exe
  local guid=$GUID_A; [ "$SIDE" = b ] && guid=$GUID_B
  "$PY" "$TOOLS/reguid.py" --guid "$guid" --signature "$(date -u -d "$CLOCK" +%s)" \
    app.exe app.pdb >/dev/null
}
pair lld-exe-reguid build_lld_exe_reguid app.exe app.pdb

# /Brepro: TimeDateStamps become a content hash, plus a Repro (type 16)
# debug directory entry holding the hash; a == b.
build_lld_exe_brepro() {
  at "$CLOCK" "${CLANG_X64[@]}" -mno-incremental-linker-compatible -c lld-main.c -o main.obj
  at "$CLOCK" "${CLANG_X64[@]}" -mno-incremental-linker-compatible -c lld-helper.c -o helper.obj
  at "$CLOCK" lld-link "${LLD_COMMON[@]}" /Brepro /pdb:app.pdb /pdbaltpath:app.pdb /out:app.exe \
    /entry:mainCRTStartup /subsystem:console /machine:x64 main.obj helper.obj
}
pair lld-exe-brepro build_lld_exe_brepro app.exe app.pdb

build_lld_exe32() {
  at "$CLOCK" "${CLANG_X86[@]}" -c lld-main.c -o main.obj
  at "$CLOCK" "${CLANG_X86[@]}" -c lld-helper.c -o helper.obj
  at "$CLOCK" lld-link "${LLD_COMMON[@]}" /pdb:app.pdb /pdbaltpath:app.pdb /out:app.exe \
    /entry:mainCRTStartup /subsystem:console /machine:x86 main.obj helper.obj
}
pair lld-exe32 build_lld_exe32 app.exe app.pdb

# DLL with exports, a resource section (llvm-rc .res handed to lld-link) and
# an import library. The import library (/implib) is deterministic: archive
# member dates 0, import objects with TimeDateStamp 0 (a == b for foo.lib).
build_lld_dll() {
  at "$CLOCK" "${CLANG_X64[@]}" -c lld-dll.c -o dll.obj
  at "$CLOCK" llvm-rc /fo lld.res lld.rc
  at "$CLOCK" lld-link "${LLD_COMMON[@]}" /dll /pdb:foo.pdb /pdbaltpath:foo.pdb /out:foo.dll \
    /implib:foo.lib /entry:_DllMainCRTStartup /machine:x64 dll.obj lld.res
}
pair lld-dll build_lld_dll foo.dll foo.pdb foo.lib

# --- mingw-w64 (GNU binutils 2.40) --------------------------------------------------
# GNU ld for PE: --insert-timestamp is the default and stores time(NULL)
# (or SOURCE_DATE_EPOCH if set; unset here) in the COFF header and the export
# directory; --no-insert-timestamp stores 0. GNU ld always computes
# OptionalHeader.CheckSum for images (there is no option for it). GNU as and
# windres store TimeDateStamp 0 in objects and resource directories, and
# ld --out-implib writes a deterministic archive (dates 0). -s keeps the
# images small (no COFF symbol table).
MINGW=(x86_64-w64-mingw32-gcc -O2)

build_mingw_dll() {
  at "$CLOCK" "${MINGW[@]}" -c mingw-lib.c -o lib.o
  at "$CLOCK" "${MINGW[@]}" -c mingw-util.c -o util.o
  at "$CLOCK" x86_64-w64-mingw32-windres mingw-lib.rc -O coff -o lib-res.o
  at "$CLOCK" "${MINGW[@]}" -shared -s -o lib.dll lib.o util.o lib-res.o \
    -Wl,--out-implib,libfoo.dll.a
  # Static library: GNU ar with U (real dates). The symbol table gets the
  # clock, members their file mtime.
  touch -d "$MTIME" lib.o util.o
  at "$CLOCK" x86_64-w64-mingw32-ar rcsU libfoo.a lib.o util.o
}
pair mingw-dll build_mingw_dll lib.dll libfoo.dll.a libfoo.a

# Program importing lib.dll (through libfoo.dll.a) and msvcrt, with resources.
build_mingw_exe() {
  build_mingw_dll
  at "$CLOCK" x86_64-w64-mingw32-windres mingw-app.rc -O coff -o app-res.o
  at "$CLOCK" "${MINGW[@]}" -c mingw-app.c -o app.o
  at "$CLOCK" "${MINGW[@]}" -s -o app.exe app.o app-res.o libfoo.dll.a
}
pair mingw-exe build_mingw_exe app.exe

# GNU ld --pdb (binutils >= 2.40) with --build-id: CodeView RSDS debug entry
# + PDB. The GUID comes from the build id (a hash that excludes the
# timestamp), so it is the SAME in a and b; the PDB info-stream Signature is
# the link time; the debug directory entry's TimeDateStamp is 0.
build_mingw_exe_pdb() {
  build_mingw_dll
  at "$CLOCK" "${MINGW[@]}" -c mingw-app.c -o app.o
  at "$CLOCK" "${MINGW[@]}" -s -o app.exe app.o libfoo.dll.a \
    -Wl,--build-id -Wl,--pdb=app.pdb
}
pair mingw-exe-pdb build_mingw_exe_pdb app.exe app.pdb

# --- tool versions ----------------------------------------------------------------------
{
  echo "# Tool versions used by samples/make-pe-samples.sh"
  echo "clang: $(clang --version | head -n1)"
  echo "lld-link: $(lld-link --version | head -n1)"
  echo "llvm (llvm-lib, llvm-rc, llvm-cvtres, llvm-readobj, llvm-pdbutil): $(llvm-readobj --version | sed -n 's/^ *//; /LLVM version/p' | head -n1)"
  echo "x86_64-w64-mingw32-gcc: $(x86_64-w64-mingw32-gcc --version | head -n1)"
  echo "x86_64-w64-mingw32-ld: $(x86_64-w64-mingw32-ld --version | head -n1)"
  echo "x86_64-w64-mingw32-as: $(x86_64-w64-mingw32-as --version | head -n1)"
  echo "x86_64-w64-mingw32-windres: $(x86_64-w64-mingw32-windres --version | head -n1)"
  echo "x86_64-w64-mingw32-ar: $(x86_64-w64-mingw32-ar --version | head -n1)"
  echo "mingw-w64 runtime: $(dpkg-query -W -f='${Package} ${Version}' mingw-w64-x86-64-dev 2>/dev/null || echo unknown)"
  echo "faketime: $(faketime --version 2>&1 | sed -n 's/^faketime: *//p' | head -n1)"
  echo "python3 (verification, reguid): $("$PY" --version 2>&1), pefile $("$PY" -c 'import pefile; print(pefile.__version__)')"
} > "$PE/VERSIONS.txt"

find "${VARIANTS[@]/#/$PE/}" -type d -exec chmod 0755 {} +
find "${VARIANTS[@]/#/$PE/}" -type f -exec chmod 0644 {} +
if [ "$(id -u)" = 0 ]; then find "${VARIANTS[@]/#/$PE/}" -exec chown 0:0 {} +; fi

# --- verification ---------------------------------------------------------------------
fail=0
check() { if ! "$@"; then echo "VERIFY FAILED: $*" >&2; fail=1; fi; }
is_same() { local s; for s in "${SAME[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

# The PDB GUID/age recorded in an image (CodeView RSDS) must equal the PDB's.
pdb_guid()   { llvm-pdbutil dump --summary "$1" | sed -n 's/^ *GUID: {\(.*\)}$/\1/p'; }
pdb_age()    { llvm-pdbutil dump --summary "$1" | sed -n 's/^ *Age: //p'; }
image_guid() {  # llvm-readobj prints raw bytes; convert to the registry form
  llvm-readobj --coff-debug-directory "$1" | sed -n 's/^ *PDBGUID: (\(.*\))$/\1/p' | head -n1 |
    "$PY" -c 'import sys, uuid; print(str(uuid.UUID(bytes_le=bytes.fromhex(sys.stdin.read().replace(" ", "")))).upper())'
}
image_age()  { llvm-readobj --coff-debug-directory "$1" | sed -n 's/^ *PDBAge: //p' | head -n1; }
checksum_ok() {  # valid non-zero checksum, or zero when $2 = zero
  "$PY" - "$1" "$2" <<'EOF'
import sys, pefile
pe = pefile.PE(sys.argv[1], fast_load=True)
if sys.argv[2] == "zero":
    sys.exit(pe.OPTIONAL_HEADER.CheckSum != 0)
sys.exit(not (pe.OPTIONAL_HEADER.CheckSum != 0 and pe.verify_checksum()))
EOF
}

{
  echo "# Differing fields per pair, written by samples/make-pe-samples.sh"
  echo "# (tools/pe-diff.py a/FILE b/FILE; offsets are 0-based file offsets, inclusive)"
} > "$PE/DIFFS.txt"

for v in "${VARIANTS[@]}"; do
  for fa in "$PE/$v"/a/*; do
    f=$(basename "$fa"); fb="$PE/$v/b/$f"
    check test -f "$fb"
    check "$PY" "$TOOLS/pe-diff.py" "$fa" "$fb" > "$BUILD/diff.txt"
    sed "s|$PE/||" "$BUILD/diff.txt" >> "$PE/DIFFS.txt"
    if is_same "$v"; then
      check cmp -s "$fa" "$fb"
    fi
    case "$f" in
      *.pdb)
        for s in a b; do
          check llvm-pdbutil dump --summary "$PE/$v/$s/$f" >/dev/null
          img="$PE/$v/$s/${f%.pdb}.exe"; [ -f "$img" ] || img="$PE/$v/$s/${f%.pdb}.dll"
          check test "$(pdb_guid "$PE/$v/$s/$f")" = "$(image_guid "$img")"
          check test "$(pdb_age "$PE/$v/$s/$f")" = "$(image_age "$img")"
        done ;;
      *)
        for s in a b; do
          check llvm-readobj --file-headers --coff-debug-directory --coff-exports \
            --coff-resources "$PE/$v/$s/$f" >/dev/null
        done ;;
    esac
    case "$f" in
      *.exe|*.dll)
        for s in a b; do
          case "$v" in
            lld-*) check checksum_ok "$PE/$v/$s/$f" zero ;;   # lld-link 14: no checksum
            *)     check checksum_ok "$PE/$v/$s/$f" valid ;;
          esac
        done ;;
    esac
  done
done

# Pairs that are not in SAME must differ, and in a GUID where expected.
for v in "${VARIANTS[@]}"; do
  is_same "$v" && continue
  differs=0
  for fa in "$PE/$v"/a/*; do cmp -s "$fa" "$PE/$v/b/$(basename "$fa")" || differs=1; done
  check test "$differs" = 1
done
check test "$(pdb_guid "$PE/lld-exe-reguid/a/app.pdb")" = "${GUID_A//[\{\}]/}"
check test "$(pdb_guid "$PE/lld-exe-reguid/b/app.pdb")" = "${GUID_B//[\{\}]/}"
check test "$(pdb_guid "$PE/lld-exe/a/app.pdb")" = "$(pdb_guid "$PE/lld-exe/b/app.pdb")"

# Expected headers: bigobj and machine types.
check test "$(od -An -tx1 -N8 "$PE/gas-bigobj/a/big.o" | tr -d ' \n')" = 0000ffff02006486
check test "$(od -An -tx1 -N2 "$PE/clang-obj/a/main-x86.obj" | tr -d ' \n')" = 4c01
llvm-readobj --file-headers "$PE/lld-exe32/a/app.exe" | grep -q 'Magic: 0x10B' || { echo "VERIFY FAILED: lld-exe32 is not PE32" >&2; fail=1; }

[ "$fail" = 0 ] || die "verification failed"
n=$(find "${VARIANTS[@]/#/$PE/}" -type f | wc -l)
bytes=$(find "${VARIANTS[@]/#/$PE/}" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "make-pe-samples: ok ($n files, $bytes bytes)"
