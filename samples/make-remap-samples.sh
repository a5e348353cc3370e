#!/usr/bin/env bash
# Build the --remap-path test project (samples/remap/src/: a static library and a
# program using __FILE__, with debug info) twice, in two build folders of the same
# length at two different clocks, for every toolchain the test covers:
#
#   bash samples/make-remap-samples.sh OUT [COMMON...]
#   bash samples/make-remap-samples.sh --fuzz-samples
#
# writes OUT/a/... (built in /tmp/unstamp-remap-AAAA, clock 2021-03-04 05:06:07 UTC)
# and OUT/b/... (built in /tmp/unstamp-remap-BBBB, clock 2023-09-10 11:12:13 UTC),
# and OUT/VERSIONS.txt; for each COMMON folder (of the same length), also
# OUT/<its base name>/... built in COMMON itself (clock 2024-01-02 03:04:05 UTC): what a
# remap to COMMON of either side should equal once normalized. Nothing is committed:
# test/remap.test.ts runs this script into a temporary folder (the outputs are too large
# to keep), so the only machine paths the outputs hold are these synthetic build folders.
# Only with --fuzz-samples, the C++ pair's executable and PDB of both sides are copied to
# samples/remap/msvc-cpp/{a,b}/ (committed: PDBs that hold a build folder, for the fuzz
# harness's --remap-path mutants).
#
#   gcc/        gcc -g: greet.o, libgreet.a, main (runs, prints __FILE__);
#               main-gz (-gz=zlib: compressed DWARF sections)
#   mingw/      x86_64-w64-mingw32-gcc -g: greet.o, libgreet.a, main.exe (PE, DWARF)
#   msvc/       clang --target=x86_64-pc-windows-msvc -gcodeview: greet.obj, main.obj,
#               greet.lib (llvm-lib), main.exe + main.pdb (lld-link /debug)
#   msvc-natvis/ the msvc link with /natvis:<build folder>/greet.natvis: natvis.exe + natvis.pdb
#   msvc-cpp/   clang++ --target=x86_64-pc-windows-msvc -gcodeview on samples/remap/cpp/ (templates,
#               classes, string literals longer than 32 characters, a wide literal, a path in
#               a data section): containers.obj, app.obj, shapes.lib, app.exe + app.pdb
#   msvc-many/  8 generated C modules (7 headers with __FILE__ literals): many.exe + many.pdb
#   macho/      clang --target=arm64-apple-macos11 -g: greet.o, libgreet.dylib
#               (ld64.lld -dylib, ad-hoc signed)
#   binutils/   gcc -g main split by objcopy: main.debug (--only-keep-debug) and main
#               (--strip-debug --add-gnu-debuglink=main.debug: names main.debug and
#               holds its CRC-32); thin.a (ar rcT of greet.o by its absolute path: the
#               member name is a path into the build folder); main-zstd (objcopy
#               --compress-debug-sections=zstd)
#   rc/         mingw-w64: res.rc with the source path in a STRINGTABLE, compiled by
#               windres and linked into app.exe (the path in UTF-16LE in .rsrc)
#   llvm-ar/    greet-bsd.a: llvm-ar --format=darwin of the msvc objects (a BSD
#               __.SYMDEF index naming the string literal symbol, which spells the path)
#   bundle/     the objects above packed: bundle.jar (zip, deflated: an ELF .o, an .a,
#               a Mach-O .o and a COFF .o), bundle.tar (GNU tar) and bundle.tar.gz
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
unset SOURCE_DATE_EPOCH ZERO_AR_DATE
export PATH="/usr/lib/llvm-14/bin:$PATH"   # ld64.lld

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/remap/src"
CPP="$HERE/remap/cpp"
if [ "${1:-}" = --fuzz-samples ]; then
  TMP="$(mktemp -d)"
  bash "${BASH_SOURCE[0]}" "$TMP"
  for s in a b; do
    rm -rf "$HERE/remap/msvc-cpp/$s"; mkdir -p "$HERE/remap/msvc-cpp/$s"
    cp "$TMP/$s/msvc-cpp/app.exe" "$TMP/$s/msvc-cpp/app.pdb" "$HERE/remap/msvc-cpp/$s/"
  done
  cp "$TMP/VERSIONS.txt" "$HERE/remap/msvc-cpp/VERSIONS.txt"
  rm -rf "$TMP"
  exit 0
fi
OUT="${1:?usage: make-remap-samples.sh OUT [COMMON...] | --fuzz-samples}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
CLOCK_A='2021-03-04 05:06:07'
CLOCK_B='2023-09-10 11:12:13'
CLOCK_C='2024-01-02 03:04:05'
SRC_A=/tmp/unstamp-remap-AAAA

die() { echo "make-remap-samples: $*" >&2; exit 1; }
for tool in flock gcc ar llvm-ar objcopy zip tar gzip x86_64-w64-mingw32-windres x86_64-w64-mingw32-gcc x86_64-w64-mingw32-ar clang llvm-lib lld-link ld64.lld faketime; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done

# NO_FAKE_STAT=1: real file mtimes stay visible (ar and ld64.lld record them).
at() { NO_FAKE_STAT=1 faketime -f "$CLOCK" "$@"; }

build() {
  local W="$1" D="$2"
  rm -rf "$W"; mkdir -p "$W"; cp "$SRC"/* "$W/"
  cd "$W"
  # Sources given by absolute path: __FILE__ and the DWARF names hold the build folder.
  mkdir -p "$D/gcc" "$D/mingw" "$D/msvc" "$D/msvc-cpp" "$D/macho"
  at gcc -O1 -g -c "$W/greet.c" -o greet.o
  at gcc -O1 -g -c "$W/main.c" -o main.o
  at ar rcU libgreet.a greet.o
  at gcc -g -o main main.o libgreet.a
  at gcc -O1 -g -gz=zlib -o main-gz "$W/main.c" "$W/greet.c"
  cp greet.o libgreet.a main main-gz "$D/gcc/"
  rm -f ./*.o ./*.a

  at x86_64-w64-mingw32-gcc -O1 -g -c "$W/greet.c" -o greet.o
  at x86_64-w64-mingw32-gcc -O1 -g -c "$W/main.c" -o main.o
  at x86_64-w64-mingw32-ar rcU libgreet.a greet.o
  at x86_64-w64-mingw32-gcc -g -o main.exe main.o libgreet.a
  cp greet.o libgreet.a main.exe "$D/mingw/"
  rm -f ./*.o ./*.a

  local cl=(clang --target=x86_64-pc-windows-msvc -O1 -g -gcodeview -DFREESTANDING)
  at "${cl[@]}" -c "$W/greet.c" -o greet.obj
  at "${cl[@]}" -c "$W/main.c" -o main.obj
  at llvm-lib /out:greet.lib greet.obj
  at lld-link /debug /nodefaultlib /entry:mainCRTStartup /subsystem:console /machine:x64 \
    /pdb:main.pdb /out:main.exe main.obj greet.lib
  cp greet.obj main.obj greet.lib main.exe main.pdb "$D/msvc/"
  mkdir -p "$D/llvm-ar"
  at llvm-ar --format=darwin rcs greet-bsd.a greet.obj main.obj
  cp greet-bsd.a "$D/llvm-ar/"
  # The same link with a natvis file of the build folder injected into the PDB.
  mkdir -p "$D/msvc-natvis"
  at lld-link /debug /nodefaultlib /entry:mainCRTStartup /subsystem:console /machine:x64 \
    /natvis:"$W/greet.natvis" /pdb:natvis.pdb /out:natvis.exe main.obj greet.lib
  cp natvis.exe natvis.pdb "$D/msvc-natvis/"

  cp -r "$CPP" "$W/cpp"
  local cx=(clang++ --target=x86_64-pc-windows-msvc -O1 -g -gcodeview -fno-exceptions -fno-rtti)
  at "${cx[@]}" -c "$W/cpp/lib/containers.cpp" -o containers.obj
  at "${cx[@]}" -c "$W/cpp/app.cpp" -o app.obj
  at llvm-lib /out:shapes.lib containers.obj
  at lld-link /debug /nodefaultlib /entry:mainCRTStartup /subsystem:console /machine:x64 \
    /pdb:app.pdb /out:app.exe app.obj shapes.lib
  cp containers.obj app.obj shapes.lib app.exe app.pdb "$D/msvc-cpp/"

  # Generated modules, each with a header's __FILE__ literal: 22 publics, 7 of them literals
  # naming a path. Remapped to /tmp/unstamp-remap-XXXX their new CRCs keep their lengths,
  # keep the number of non-empty publics hash buckets, and change the literals' order by
  # name on both sides, so the publics are laid out again (7 modules in gen/: chosen so).
  mkdir -p "$W/gen/inc" "$D/msvc-many"
  local i j
  for i in $(seq 1 7); do
    j=$(( i % 7 + 1 ))
    echo "static inline const char *h$i(int x) { return x ? __FILE__ : \"h$i\"; }" > "$W/gen/inc/h$i.h"
    printf '#include "inc/h%d.h"\n#include "inc/h%d.h"\nconst char *f%d(int x) { return x > 1 ? h%d(x) : h%d(x); }\n' "$i" "$j" "$i" "$i" "$j" > "$W/gen/f$i.c"
  done
  {
    for i in $(seq 1 7); do echo "const char *f$i(int);"; done
    echo 'int mainCRTStartup(void) { return 0'
    for i in $(seq 1 7); do echo " + f$i($i)[0]"; done
    echo '; }'
  } > "$W/gen/m.c"
  for i in m $(seq -f 'f%g' 1 7); do at "${cl[@]}" -c "$W/gen/$i.c" -o "many-$i.obj"; done
  at lld-link /debug /nodefaultlib /entry:mainCRTStartup /subsystem:console /machine:x64 \
    /pdb:many.pdb /out:many.exe many-m.obj many-f*.obj
  cp many.exe many.pdb "$D/msvc-many/"

  at clang --target=arm64-apple-macos11 -O1 -g -c "$W/greet.c" -o greet-arm64.o
  at ld64.lld --threads=1 -platform_version macos 11.0 11.0 -arch arm64 -dylib \
    -install_name @rpath/libgreet.dylib -o libgreet.dylib greet-arm64.o
  cp greet-arm64.o libgreet.dylib "$D/macho/"

  mkdir -p "$D/binutils" "$D/rc" "$D/bundle"
  cp "$D/gcc/main" main.full
  at objcopy --only-keep-debug main.full main.debug
  at objcopy --strip-debug --add-gnu-debuglink=main.debug main.full main
  cp "$D/gcc/greet.o" greet.o
  at ar rcT thin.a "$W/greet.o"
  at objcopy --compress-debug-sections=zstd main.full main-zstd
  cp main main.debug thin.a main-zstd "$D/binutils/"

  printf 'STRINGTABLE\n{\n  1, "%s/main.c"\n}\n' "$W" > res.rc
  at x86_64-w64-mingw32-windres res.rc -O coff -o res.o
  at x86_64-w64-mingw32-gcc -O1 -o app.exe "$W/main.c" "$W/greet.c" res.o
  cp app.exe "$D/rc/"

  # Packed from the outputs (mtimes set to this build's clock); zip deflates every member.
  mkdir -p pack/gcc pack/macho pack/mingw
  cp "$D/gcc/greet.o" "$D/gcc/libgreet.a" pack/gcc/
  cp "$D/macho/greet-arm64.o" pack/macho/
  cp "$D/mingw/greet.o" pack/mingw/
  touch -d "$CLOCK" pack pack/*/ pack/*/*
  (cd pack && at zip -q -9 -r ../bundle.jar gcc macho mingw && at tar -cf ../bundle.tar gcc macho mingw)
  at gzip -9 -c bundle.tar > bundle.tar.gz
  cp bundle.jar bundle.tar bundle.tar.gz "$D/bundle/"
  cd /; rm -rf "$W"
}

# The build folders are fixed paths: two runs at once (two test files, two checkouts)
# would build into each other's, so one waits for the other.
exec 9>/tmp/unstamp-remap-samples.lock
flock 9
CLOCK=$CLOCK_A build /tmp/unstamp-remap-AAAA "$OUT/a"
CLOCK=$CLOCK_B build /tmp/unstamp-remap-BBBB "$OUT/b"
for COMMON in "${@:2}"; do
  [ "${#COMMON}" -eq "${#SRC_A}" ] || die "$COMMON must have the length of $SRC_A"
  CLOCK=$CLOCK_C build "$COMMON" "$OUT/$(basename "$COMMON")"
done
{
  echo "gcc: $(gcc --version | head -n1)"
  echo "mingw: $(x86_64-w64-mingw32-gcc --version | head -n1)"
  echo "clang: $(clang --version | head -n1)"
  echo "binutils ar: $(ar --version | head -n1)"
  echo "objcopy: $(objcopy --version | head -n1)"
  echo "windres: $(x86_64-w64-mingw32-windres --version | head -n1)"
  echo "zip: $(zip -v | sed -n 2p)"
  echo "tar: $(tar --version | head -n1)"
  echo "lld-link: $(lld-link --version | head -n1)"
} > "$OUT/VERSIONS.txt"
