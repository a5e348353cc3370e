#!/usr/bin/env bash
# Regenerate the reordering samples in samples/reorder/.
#
#   bash samples/make-reorder-samples.sh      (from any directory; root not needed)
#
# Builds a and b run the same commands, in the same directory, on the output of the
# same code generator (src/gen.py), which writes the same functions in an order that
# depends on the hash seed (it iterates a Python set of derive names, as a macro
# collecting #[derive(...)] names in a hash set would):
#   build a: PYTHONHASHSEED=1, clock 2021-03-04 05:06:07 UTC
#   build b: PYTHONHASHSEED=2, clock 2023-09-10 11:12:13 UTC
# Both sides are the same code in another order: nothing unstamp can fix, and what
# `unstamp explain a b` must recognize as a reordering.
#
# Files (in a/ and b/; order.txt is the generator's order):
#   derives.o          gcc -O1 -fPIC -c derives.c                (ELF relocatable)
#   libderives.so      gcc -O1 -shared of derives.c and main.c     (ELF shared object)
#   libhidden.so       the same with -fvisibility=hidden, run() exported, strip:
#                      no symbol names the derive functions (content blocks only)
#   libderives.a       GNU ar rcD of derive_<Name>.o, in the generator's order
#   derives.zip        Info-ZIP zip -X -D of derive_<Name>.c, in the generator's order
#   libderives.dylib   clang --target=arm64-apple-macos11 + ld64.lld (Mach-O, ad-hoc signed)
#   derives.dll, derives.pdb
#                      clang --target=x86_64-pc-windows-msvc + lld-link /dll /debug,
#                      the derive functions exported
#
# Tools: /usr/bin/python3, gcc, strip, GNU ar, zip, clang, ld64.lld, lld-link (Debian
# LLVM 14), faketime; versions in reorder/VERSIONS.txt. Idempotent: deletes
# reorder/{a,b} and VERSIONS.txt; src/ and README.md are never modified. A rerun gives
# byte-identical files.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
unset SOURCE_DATE_EPOCH ZERO_AR_DATE ZIP ZIPOPT
export PATH="/usr/lib/llvm-14/bin:$PATH"   # ld64.lld

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
R="$HERE/reorder"
SRC="$R/src"
PY=/usr/bin/python3
BUILD=/tmp/unstamp-reorder-build
W="$BUILD/w"   # both sides build here: paths are the same
CLOCK_A='2021-03-04 05:06:07'
CLOCK_B='2023-09-10 11:12:13'

die() { echo "make-reorder-samples: $*" >&2; exit 1; }
for tool in "$PY" gcc strip ar zip clang ld64.lld lld-link faketime cmp; do command -v "$tool" >/dev/null || die "missing tool: $tool"; done
at() { local when="$1"; shift; NO_FAKE_STAT=1 faketime -f "$when" "$@"; }

rm -rf "$R/a" "$R/b" "$R/VERSIONS.txt" "$BUILD"
trap 'rm -rf "$BUILD"' EXIT

build() {  # side seed clock
  local side="$1" seed="$2" clock="$3" out="$R/$1"
  rm -rf "$W"; mkdir -p "$W" "$out"
  cp "$SRC/main.c" "$W/"
  (
    cd "$W"
    PYTHONHASHSEED="$seed" "$PY" "$SRC/gen.py" .
    mapfile -t order < order.txt
    at "$clock" gcc -O1 -fPIC -c derives.c -o derives.o
    at "$clock" gcc -O1 -fPIC -c main.c -o main.o
    at "$clock" gcc -shared -o libderives.so derives.o main.o
    at "$clock" gcc -O1 -fPIC -fvisibility=hidden -c derives.c -o hidden-derives.o
    at "$clock" gcc -O1 -fPIC -fvisibility=hidden -DEXPORT='__attribute__((visibility("default")))' -c main.c -o hidden-main.o
    at "$clock" gcc -shared -o libhidden.so hidden-derives.o hidden-main.o
    strip libhidden.so
    objs=()
    for n in "${order[@]}"; do
      at "$clock" gcc -O1 -fPIC -c "derive_$n.c" -o "derive_$n.o"
      objs+=("derive_$n.o")
    done
    at "$clock" ar rcD libderives.a "${objs[@]}"
    srcs=()
    for n in "${order[@]}"; do touch -d '2020-01-02 03:04:05' "derive_$n.c"; srcs+=("derive_$n.c"); done
    at "$clock" zip -q -X -D derives.zip "${srcs[@]}"

    at "$clock" clang --target=arm64-apple-macos11 -O1 -c derives.c -o derives-arm64.o
    at "$clock" clang --target=arm64-apple-macos11 -O1 -c main.c -o main-arm64.o
    at "$clock" ld64.lld --threads=1 -platform_version macos 11.0 11.0 -arch arm64 -dylib \
      -install_name @rpath/libderives.dylib -o libderives.dylib derives-arm64.o main-arm64.o

    at "$clock" clang --target=x86_64-pc-windows-msvc -O1 -DEXPORT='__declspec(dllexport)' -c derives.c -o derives.obj
    at "$clock" clang --target=x86_64-pc-windows-msvc -O1 -DEXPORT='__declspec(dllexport)' -c main.c -o main.obj
    at "$clock" lld-link /nologo /dll /noentry /nodefaultlib /debug /out:derives.dll /pdb:derives.pdb derives.obj main.obj

    cp order.txt derives.o libderives.so libhidden.so libderives.a derives.zip libderives.dylib derives.dll derives.pdb "$out/"
  )
}

build a 1 "$CLOCK_A"
build b 2 "$CLOCK_B"
cmp -s "$R/a/order.txt" "$R/b/order.txt" && die "the two seeds gave the same order"

{
  echo "# made by samples/make-reorder-samples.sh"
  "$PY" --version
  gcc --version | head -1
  ar --version | head -1
  zip -v | sed -n 2p
  clang --version | head -1
  ld64.lld --version | head -1
  lld-link --version | head -1
} >"$R/VERSIONS.txt"
echo "make-reorder-samples: done ($(tr '\n' ' ' <"$R/a/order.txt")/ $(tr '\n' ' ' <"$R/b/order.txt"))"
