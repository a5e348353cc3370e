#!/usr/bin/env bash
# Regenerate the ELF sample pairs in samples/elf/.
#
#   bash samples/make-elf-samples.sh      (from any directory; root not needed)
#
# Every pair samples/elf/<variant>/{a,b}/<file> is the same build run twice
# from the same sources (samples/elf/src/) with the same command lines; only
# the clock differs (faketime, frozen), and, for the `stamp` variant, the
# build directory:
#   build a: clock 2021-03-04 05:06:07 UTC, directory /tmp/unstamp-elf/a
#   build b: clock 2023-09-10 11:12:13 UTC, directory /tmp/unstamp-elf/b
# (the clocks of samples/make-samples.sh). The other variants build both
# sides in the same directory, /tmp/unstamp-elf/w: ELF has no timestamp
# field, so their ELF files come out byte-identical and `unstamp check`
# reports them clean; an ar archive of the objects differs in its member
# dates only.
#
# Variants:
#   gcc-x86_64  gcc -O1 -g -gz=zlib: hello (executable, compressed DWARF),
#               hello-stripped (objcopy --strip-debug --add-gnu-debuglink),
#               libgreet.so (shared object), greet.o (relocatable), libgreet.a
#               (GNU ar rcU of greet.o, its mtime 2020-01-02 03:04:05 UTC
#               in a, 2022-06-07 08:09:10 UTC in b: the member dates differ)
#   i386        gcc -m32: greet.o, libgreet.so (-nostdlib): ELFCLASS32, little-endian
#   ppc64       clang --target=powerpc64-linux-gnu + ld.lld: greet.o,
#               libgreet.so: ELFCLASS64, big-endian
#   mips        clang --target=mips-linux-gnu: greet.o: ELFCLASS32, big-endian
#   stamp       gcc -O1 of src/stamp.c given by its absolute path: __DATE__
#               and __FILE__ in two data objects, the day of __DATE__ folded
#               into the code of build_day(); a and b differ after
#               normalization (for `unstamp explain`)
#
# Tools: gcc (Debian 12), clang and ld.lld (Debian LLVM 14), GNU ar, faketime;
# versions in elf/VERSIONS.txt. The script is idempotent: it deletes
# samples/elf/<every variant> and VERSIONS.txt and recreates them; src/ and
# README.md are never modified. A rerun gives byte-identical files.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
unset SOURCE_DATE_EPOCH ZERO_AR_DATE

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E="$HERE/elf"
SRC="$E/src"
BUILD=/tmp/unstamp-elf   # fixed: paths end up in DWARF and in __FILE__
CLOCK_A='2021-03-04 05:06:07'
CLOCK_B='2023-09-10 11:12:13'
MTIME_A='2020-01-02 03:04:05'   # greet.o mtime before `ar` (the member date)
MTIME_B='2022-06-07 08:09:10'
VARIANTS=(gcc-x86_64 i386 ppc64 mips stamp)

die() { echo "make-elf-samples: $*" >&2; exit 1; }
for tool in gcc clang ld.lld ar objcopy faketime cmp; do command -v "$tool" >/dev/null || die "missing tool: $tool"; done

at() { local when="$1"; shift; NO_FAKE_STAT=1 faketime -f "$when" "$@"; }

for v in "${VARIANTS[@]}"; do rm -rf "${E:?}/$v"; done
rm -f "$E/VERSIONS.txt"
rm -rf "$BUILD"
trap 'rm -rf "$BUILD"' EXIT

build() {  # side clock dir member-mtime
  local side="$1" clock="$2" w="$3" mtime="$4"
  rm -rf "$w"; mkdir -p "$w"
  cp "$SRC"/*.c "$w/"
  (
    cd "$w"
    at "$clock" gcc -O1 -g -gz=zlib -fPIC -c greet.c -o greet.o
    at "$clock" gcc -O1 -g -gz=zlib -c hello.c -o hello.o
    at "$clock" gcc -g -gz=zlib -o hello hello.o greet.o
    at "$clock" gcc -shared -o libgreet.so greet.o
    touch -d "$mtime" greet.o
    at "$clock" ar rcU libgreet.a greet.o
    mkdir -p "$E/gcc-x86_64/$side"
    # A stripped copy that points to its debug file (.gnu_debuglink: name + CRC-32).
    at "$clock" objcopy --only-keep-debug hello hello.debug
    at "$clock" objcopy --strip-debug --add-gnu-debuglink=hello.debug hello hello-stripped
    cp hello hello-stripped libgreet.so greet.o libgreet.a "$E/gcc-x86_64/$side/"

    at "$clock" gcc -m32 -O1 -fPIC -c greet.c -o greet32.o
    at "$clock" gcc -m32 -shared -nostdlib -o libgreet32.so greet32.o
    mkdir -p "$E/i386/$side"
    cp greet32.o "$E/i386/$side/greet.o"; cp libgreet32.so "$E/i386/$side/libgreet.so"

    at "$clock" clang --target=powerpc64-linux-gnu -O1 -fPIC -c greet.c -o greet-ppc64.o
    at "$clock" ld.lld -shared -o libgreet-ppc64.so greet-ppc64.o
    mkdir -p "$E/ppc64/$side"
    cp greet-ppc64.o "$E/ppc64/$side/greet.o"; cp libgreet-ppc64.so "$E/ppc64/$side/libgreet.so"

    at "$clock" clang --target=mips-linux-gnu -O1 -c greet.c -o greet-mips.o
    mkdir -p "$E/mips/$side"
    cp greet-mips.o "$E/mips/$side/greet.o"
  )
}

stamp() {  # side clock
  local side="$1" clock="$2" w="$BUILD/$1"
  rm -rf "$w"; mkdir -p "$w"
  cp "$SRC/stamp.c" "$w/"
  (cd "$w" && at "$clock" gcc -O1 -c "$w/stamp.c" -o stamp.o && at "$clock" gcc -o stamp stamp.o)
  mkdir -p "$E/stamp/$side"
  cp "$w/stamp" "$E/stamp/$side/"
}

build a "$CLOCK_A" "$BUILD/w" "$MTIME_A"
build b "$CLOCK_B" "$BUILD/w" "$MTIME_B"
stamp a "$CLOCK_A"
stamp b "$CLOCK_B"

# The ELF files of a and b are identical (no time in ELF); the ar archive is not.
for v in gcc-x86_64 i386 ppc64 mips; do
  for f in "$E/$v/a"/*; do
    n="$(basename "$f")"
    if [ "$n" = libgreet.a ]; then cmp -s "$f" "$E/$v/b/$n" && die "$v/$n: a and b should differ (member dates)"
    else cmp -s "$f" "$E/$v/b/$n" || die "$v/$n: a and b differ"; fi
  done
done
cmp -s "$E/stamp/a/stamp" "$E/stamp/b/stamp" && die "stamp: a and b should differ"

{
  echo "# made by samples/make-elf-samples.sh"
  gcc --version | head -1
  clang --version | head -1
  ld.lld --version | head -1
  ar --version | head -1
  objcopy --version | head -1
  echo "faketime $(dpkg-query -W -f '${Version}' faketime 2>/dev/null || echo unknown)"
} >"$E/VERSIONS.txt"
echo "make-elf-samples: done"
