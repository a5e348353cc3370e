#!/usr/bin/env bash
# Regenerate the Mach-O sample pairs in samples/macho/.
#
#   bash samples/make-macho-samples.sh      (from any directory; root not needed)
#
# Every pair samples/macho/<variant>/{a,b}/<file> is the same build run twice
# from the same sources, in the same directory, with the same command line;
# only the clock and the input file mtimes differ (faketime, frozen):
#   build a: clock 2021-03-04 05:06:07 UTC = 1614834367 = 0x60406ABF
#            object/member mtime 2020-01-02 03:04:05 UTC = 1577934245 = 0x5E0D5DA5
#   build b: clock 2023-09-10 11:12:13 UTC = 1694344333 = 0x64FDA48D
#            object/member mtime 2022-06-07 08:09:10 UTC = 1654589350 = 0x629F07A6
# (the same clocks and mtimes as samples/make-samples.sh and
# samples/make-pe-samples.sh). The oracle samples/macho/oracle-zero-ar-date/
# {plain,zero}/ is one build (b clock and mtimes) linked without and with
# ZERO_AR_DATE=1.
#
# Tools: Debian LLVM 14 (clang, ld64.lld, llvm-ar, llvm-libtool-darwin,
# llvm-lipo, llvm-objdump, llvm-otool, dsymutil), faketime, /usr/bin/python3
# (standard library only). There is no macOS SDK: the C files are
# freestanding, and src/libSystem.tbd is a hand-written text stub that only
# exports dyld_stub_binder (ld64.lld needs that symbol as soon as the output
# has lazy bindings; the real SDK ships libSystem as a .tbd too).
#
# The script is idempotent: it deletes samples/macho/<every variant>,
# samples/macho/VERSIONS.txt and samples/macho/DIFFS.txt and recreates them.
# samples/macho/src/, samples/macho/tools/ and samples/macho/README.md are
# never modified. Everything is built in the fixed directory $BUILD (below)
# because the debug map (N_SO/N_OSO stabs) records absolute paths. ld64.lld
# runs with --threads=1 because its LC_UUID hash depends on the thread count
# (see README.md). With the tool versions in VERSIONS.txt and the same user
# (archive members record the builder's uid/gid) a rerun gives
# byte-identical files.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
export PATH="/usr/lib/llvm-14/bin:$PATH"   # llvm-otool, llvm-libtool-darwin, ...
unset ZERO_AR_DATE SOURCE_DATE_EPOCH

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MO="$HERE/macho"
SRC="$MO/src"
TOOLS="$MO/tools"
PY=/usr/bin/python3
BUILD=/tmp/unstamp-macho-build  # fixed on purpose (paths end up in N_SO/N_OSO)
W="$BUILD/w"                    # every build step of both sides runs in here

CLOCK_A='2021-03-04 05:06:07'
CLOCK_B='2023-09-10 11:12:13'
MTIME_A='2020-01-02 03:04:05'   # object / archive member mtimes (touch -d)
MTIME_B='2022-06-07 08:09:10'

VARIANTS=(objects x86_64-dylib arm64-dylib arm64-exe fat static)
ORACLE=oracle-zero-ar-date
# Files whose a and b are byte-identical by construction.
SAME_FILES=(objects/base-x86_64.o objects/demo-x86_64.o objects/util-x86_64.o
            objects/extra-x86_64.o objects/main-x86_64.o
            objects/base-arm64.o objects/demo-arm64.o objects/util-arm64.o
            objects/extra-arm64.o objects/main-arm64.o
            static/libdemo-libtool.a)

die() { echo "make-macho-samples: $*" >&2; exit 1; }

for tool in clang ld64.lld llvm-ar llvm-libtool-darwin llvm-lipo llvm-objdump llvm-otool \
            dsymutil faketime cmp "$PY"; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done

rm -rf "$BUILD"
mkdir -p "$BUILD"
trap 'rm -rf "$BUILD"' EXIT

# Run a command with a frozen fake clock. NO_FAKE_STAT=1 keeps the real file
# mtimes visible (libfaketime would otherwise fake stat() too, and ld64.lld
# and llvm-ar read the object mtimes with stat()).
at() { local when="$1"; shift; NO_FAKE_STAT=1 faketime -f "$when" "$@"; }

# --- recreate output tree -----------------------------------------------------
for v in "${VARIANTS[@]}" "$ORACLE"; do rm -rf "${MO:?}/$v"; done
rm -f "$MO/VERSIONS.txt" "$MO/DIFFS.txt"

# pair VARIANT FUNCTION FILE...: for side a, then b: empty $W, copy src/ into
# it, run FUNCTION inside $W with CLOCK/MTIME/SIDE set, then move FILE... to
# samples/macho/VARIANT/SIDE/. Sides other than a/b (the oracle) use the b
# clock and mtimes.
pair() {
  local variant="$1" fn="$2" sides="${SIDES:-a b}"; shift 2
  local side f
  for side in $sides; do
    rm -rf "$W"; mkdir -p "$W"; cp "$SRC"/* "$W/"
    if [ "$side" = a ]; then CLOCK=$CLOCK_A MTIME=$MTIME_A; else CLOCK=$CLOCK_B MTIME=$MTIME_B; fi
    SIDE=$side
    ( cd "$W" && "$fn" )
    mkdir -p "$MO/$variant/$side"
    for f in "$@"; do
      [ -f "$W/$f" ] || die "$variant/$side: $f was not produced"
      mv "$W/$f" "$MO/$variant/$side/$f"
    done
  done
}

# --- building blocks --------------------------------------------------------------
# clang 14 writes nothing time-dependent into Mach-O objects (no timestamp
# field exists in mach_header). -g: DWARF in __DWARF sections, which makes
# ld64.lld emit the debug map stabs (N_SO, N_OSO with the object's mtime,
# N_FUN, N_STSYM, ...) into the linked image's symbol table.
# compile ARCH NAME...: NAME.c -> NAME-ARCH.o, then set the object mtimes.
compile() {
  local arch="$1" n; shift
  for n in "$@"; do
    at "$CLOCK" clang --target="$arch-apple-macos11" -O1 -g -c "$n.c" -o "$n-$arch.o"
    touch -d "$MTIME" "$n-$arch.o"
  done
}

# ld64.lld 14: -platform_version instead of an SDK. --threads=1 makes the
# LC_UUID reproducible across machines (the hash is chunked by thread count).
# ZAD=1 runs the linker with ZERO_AR_DATE=1 (oracle only).
lld() {
  if [ "${ZAD:-0}" = 1 ]; then
    at "$CLOCK" env ZERO_AR_DATE=1 ld64.lld --threads=1 -platform_version macos 11.0 11.0 "$@"
  else
    at "$CLOCK" ld64.lld --threads=1 -platform_version macos 11.0 11.0 "$@"
  fi
}

# link_dylibs ARCH: libbase.dylib (no dependencies) and libdemo.dylib, which
# imports base_value from libbase.dylib (LC_LOAD_DYLIB @rpath/libbase.dylib)
# and dyld_stub_binder from libSystem.tbd (LC_LOAD_DYLIB libSystem.B.dylib).
# On arm64 ld64.lld ad-hoc signs both by default (LC_CODE_SIGNATURE).
link_dylibs() {
  local arch="$1"
  lld -arch "$arch" -dylib -install_name @rpath/libbase.dylib \
    -current_version 1.2.3 -compatibility_version 1.0.0 -o libbase.dylib "base-$arch.o"
  lld -arch "$arch" -dylib -install_name @rpath/libdemo.dylib \
    -current_version 2.0.0 -compatibility_version 2.0.0 -o libdemo.dylib \
    "demo-$arch.o" "util-$arch.o" libbase.dylib libSystem.tbd
}

# --- variants -------------------------------------------------------------------------
build_objects() {
  compile x86_64 base demo util extra main
  compile arm64 base demo util extra main
}
pair objects build_objects \
  base-x86_64.o demo-x86_64.o util-x86_64.o extra-x86_64.o main-x86_64.o \
  base-arm64.o demo-arm64.o util-arm64.o extra-arm64.o main-arm64.o

build_x86_64_dylib() { compile x86_64 base demo util; link_dylibs x86_64; }
pair x86_64-dylib build_x86_64_dylib libdemo.dylib libbase.dylib

build_arm64_dylib() { compile arm64 base demo util; link_dylibs arm64; }
pair arm64-dylib build_arm64_dylib libdemo.dylib libbase.dylib

# app: main-arm64.o + libextra.a (llvm-ar U: the member date is the object's
# mtime; ld64.lld puts that member date into the "libextra.a(extra-arm64.o)"
# N_OSO) + libdemo.dylib + libSystem.tbd. LC_MAIN, LC_LOAD_DYLINKER, LC_RPATH.
build_arm64_exe() {
  compile arm64 base demo util extra main
  link_dylibs arm64
  at "$CLOCK" llvm-ar rcsU --format=darwin libextra.a extra-arm64.o
  lld -arch arm64 -execute -rpath @executable_path -o app \
    main-arm64.o libextra.a libdemo.dylib libSystem.tbd
}
pair arm64-exe build_arm64_exe app

# The two thin libdemo.dylib builds above (same paths, so the slices are
# byte-identical to x86_64-dylib/SIDE and arm64-dylib/SIDE), glued by
# llvm-lipo (fat_header, alignment 2^12 for x86_64 and 2^14 for arm64).
build_fat() {
  build_x86_64_dylib; mv libdemo.dylib thin-x86_64.dylib
  build_arm64_dylib; mv libdemo.dylib thin-arm64.dylib
  at "$CLOCK" llvm-lipo thin-x86_64.dylib thin-arm64.dylib -create -output libdemo.dylib
}
pair fat build_fat libdemo.dylib

# Static libraries of Mach-O objects (BSD "#1/N" names, __.SYMDEF).
# llvm-libtool-darwin 14 defaults to -D (dates/uid/gid 0); -U writes the real
# ones. It ignores ZERO_AR_DATE. With objects of two architectures it writes
# a fat file holding one archive per architecture.
build_static() {
  compile x86_64 demo util
  compile arm64 demo util
  at "$CLOCK" llvm-ar rcsU --format=darwin libdemo-darwin.a demo-x86_64.o util-x86_64.o
  at "$CLOCK" llvm-libtool-darwin -static -o libdemo-libtool.a demo-x86_64.o util-x86_64.o
  at "$CLOCK" llvm-libtool-darwin -static -U -o libdemo-libtool-U.a demo-x86_64.o util-x86_64.o
  at "$CLOCK" llvm-libtool-darwin -static -U -o libdemo-universal.a \
    demo-x86_64.o util-x86_64.o demo-arm64.o util-arm64.o
}
pair static build_static libdemo-darwin.a libdemo-libtool.a libdemo-libtool-U.a libdemo-universal.a

# Oracle: the b build, linked normally (plain) and with ZERO_AR_DATE=1 (zero):
# ld64.lld then writes 0 into every N_OSO n_value (objects and archive
# members); LC_UUID and the code signature follow from the changed bytes.
# app is arm64 (signed); libdemo.dylib and libbase.dylib are x86_64 (the
# arm64 dylibs are only needed to link app and are discarded).
build_oracle() {
  if [ "$SIDE" = zero ]; then ZAD=1; else ZAD=0; fi
  compile arm64 base demo util extra main
  link_dylibs arm64
  at "$CLOCK" llvm-ar rcsU --format=darwin libextra.a extra-arm64.o
  lld -arch arm64 -execute -rpath @executable_path -o app \
    main-arm64.o libextra.a libdemo.dylib libSystem.tbd
  rm libdemo.dylib libbase.dylib
  compile x86_64 base demo util
  link_dylibs x86_64
}
SIDES="plain zero" pair "$ORACLE" build_oracle app libdemo.dylib libbase.dylib

# --- versions -------------------------------------------------------------------------
{
  echo "# Tool versions used by samples/make-macho-samples.sh"
  echo "clang: $(clang --version | head -n1)"
  echo "ld64.lld: $(ld64.lld --version | head -n1)"
  echo "llvm (llvm-ar, llvm-libtool-darwin, llvm-lipo, llvm-objdump, llvm-otool, dsymutil): $(llvm-objdump --version | sed -n 's/^ *\(.*LLVM version.*\)$/\1/p' | head -n1)"
  echo "faketime: $(faketime --version 2>&1 | sed -n 's/^faketime: *//p' | head -n1)"
  echo "python3 (macho-diff.py): $("$PY" --version 2>&1)"
} > "$MO/VERSIONS.txt"

ALL=("${VARIANTS[@]/#/$MO/}" "$MO/$ORACLE")
find "${ALL[@]}" -type d -exec chmod 0755 {} +
find "${ALL[@]}" -type f -exec chmod 0644 {} +

# --- verification ---------------------------------------------------------------------
fail=0
check() { if ! "$@"; then echo "VERIFY FAILED: $*" >&2; fail=1; fi; }
check_not() { if "$@"; then echo "VERIFY FAILED: not $*" >&2; fail=1; fi; }
is_same() { local s; for s in "${SAME_FILES[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
epoch() { date -u -d "$1" +%s; }
is_macho() { case "$1" in *.a) return 1 ;; *) return 0 ;; esac; }
is_fat() { [ "$(od -An -tx1 -N4 "$1" | tr -d ' \n')" = cafebabe ]; }
# N_OSO n_values printed by dsymutil -s (hex, one a line)
oso_values() { dsymutil -s "$1" | awk '/N_OSO/ {print $(NF-1)}'; }
only() {  # only VALUE LINES...: every line equals VALUE and there is at least one
  local want="$1" n=0 l; shift
  while read -r l; do [ "$l" = "$want" ] || return 1; n=$((n + 1)); done <<<"$*"
  [ "$n" -gt 0 ]
}
dylib_timestamps() { llvm-otool -l "$1" | sed -n 's/^ *time stamp \([0-9]*\) .*/\1/p' | sort -u; }

{
  echo "# Differing fields per pair, written by samples/make-macho-samples.sh"
  echo "# (tools/macho-diff.py a/FILE b/FILE; offsets are 0-based file offsets, inclusive)"
} > "$MO/DIFFS.txt"

pairs_of() {  # variant dir -> "side1 side2"
  if [ "$1" = "$ORACLE" ]; then echo "plain zero"; else echo "a b"; fi
}

for v in "${VARIANTS[@]}" "$ORACLE"; do
  read -r s1 s2 <<<"$(pairs_of "$v")"
  for f1 in "$MO/$v/$s1"/*; do
    f=$(basename "$f1"); f2="$MO/$v/$s2/$f"
    check test -f "$f2"
    check "$PY" "$TOOLS/macho-diff.py" "$f1" "$f2" > "$BUILD/diff.txt"
    sed "s|$MO/||" "$BUILD/diff.txt" >> "$MO/DIFFS.txt"
    if is_same "$v/$f"; then check cmp -s "$f1" "$f2"; else check_not cmp -s "$f1" "$f2"; fi
    for s in "$s1" "$s2"; do
      p="$MO/$v/$s/$f"
      check test "$(stat -c %s "$p")" -lt 102400
      check llvm-objdump --macho --private-headers "$p" > /dev/null
      if is_macho "$p"; then
        check llvm-otool -l "$p" > /dev/null
        check "$PY" "$TOOLS/macho-diff.py" --verify "$p" > "$BUILD/verify.txt"
        # every linked image's UUID is the lld 14 hash with --threads=1
        if grep -q 'LC_UUID' "$BUILD/verify.txt"; then
          check test "$(grep -c 'LC_UUID' "$BUILD/verify.txt")" = \
                     "$(grep -c 'with --threads=1\(,\|$\)' "$BUILD/verify.txt")"
        fi
        case "$f" in *.o) ;; *) check test "$(dylib_timestamps "$p")" = 0 ;; esac
      fi
      if is_fat "$p"; then check llvm-lipo -info "$p" > /dev/null; fi
    done
  done
done

# N_OSO values: the object / member mtimes of each side, 0 with ZERO_AR_DATE.
for f in x86_64-dylib/a/libdemo.dylib x86_64-dylib/a/libbase.dylib arm64-dylib/a/libdemo.dylib \
         arm64-dylib/a/libbase.dylib arm64-exe/a/app; do
  check only "$(printf '%016x' "$(epoch "$MTIME_A")")" "$(oso_values "$MO/$f")"
  check only "$(printf '%016x' "$(epoch "$MTIME_B")")" "$(oso_values "$MO/${f/\/a\//\/b\/}")"
done
for f in app libdemo.dylib libbase.dylib; do
  check only "$(printf '%016x' "$(epoch "$MTIME_B")")" "$(oso_values "$MO/$ORACLE/plain/$f")"
  check only 0000000000000000 "$(oso_values "$MO/$ORACLE/zero/$f")"
  check "$PY" "$TOOLS/macho-diff.py" --oracle "$MO/$ORACLE/plain/$f" "$MO/$ORACLE/zero/$f" > /dev/null
done
check test "$(oso_values "$MO/arm64-exe/a/app" | wc -l)" = 2
dsymutil -s "$MO/arm64-exe/a/app" | grep -q "N_OSO.*'$W/libextra.a(extra-arm64.o)'" ||
  { echo "VERIFY FAILED: no archive-member N_OSO in arm64-exe" >&2; fail=1; }

# Code signatures: arm64 outputs are ad-hoc signed by ld64.lld, x86_64 are not.
archs() { echo $(llvm-lipo -archs "$1"); }   # (word-split: drops the trailing blank)
has_cs() { llvm-otool -l "$1" | grep -q LC_CODE_SIGNATURE; }
for s in a b; do
  for f in arm64-dylib/$s/libdemo.dylib arm64-dylib/$s/libbase.dylib arm64-exe/$s/app; do
    check has_cs "$MO/$f"
  done
  check_not has_cs "$MO/x86_64-dylib/$s/libdemo.dylib"
  # fat slices are the thin builds of the same side, byte for byte
  check test "$(archs "$MO/fat/$s/libdemo.dylib")" = "x86_64 arm64"
  llvm-lipo "$MO/fat/$s/libdemo.dylib" -thin x86_64 -output "$BUILD/slice-x86_64"
  llvm-lipo "$MO/fat/$s/libdemo.dylib" -thin arm64 -output "$BUILD/slice-arm64"
  check cmp -s "$BUILD/slice-x86_64" "$MO/x86_64-dylib/$s/libdemo.dylib"
  check cmp -s "$BUILD/slice-arm64" "$MO/arm64-dylib/$s/libdemo.dylib"
  check test "$(archs "$MO/static/$s/libdemo-universal.a")" = "x86_64 arm64"
done

[ "$fail" = 0 ] || die "verification failed"
n=$(find "${ALL[@]}" -type f | wc -l)
bytes=$(find "${ALL[@]}" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "make-macho-samples: ok ($n files, $bytes bytes)"
