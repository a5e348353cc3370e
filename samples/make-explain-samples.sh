#!/usr/bin/env bash
# Regenerate samples/explain/: two builds that unstamp can NOT make identical,
# for `unstamp explain <a> <b>` (what still differs after normalization, where,
# and why).
#
#   bash samples/make-explain-samples.sh      (from any directory; root not needed)
#
# Both builds run the same commands on the same sources with only the clock
# changed (faketime, frozen), each in its own build directory of the same
# length:
#   build a: 2026-11-24 12:34:56 UTC, in /tmp/unstamp-explain/a
#   build b: 2026-11-25 08:09:10 UTC, in /tmp/unstamp-explain/b
#
# What each build leaves in samples/explain/<side>/:
#   app.exe       clang --target=x86_64-pc-windows-msvc + lld-link (no CRT, no
#                 PDB) of src/stamp.c, which stores __DATE__, __TIME__ and
#                 __FILE__ (the absolute source path) in .rdata: those bytes
#                 differ, so the content-derived TimeDateStamp differs too.
#   stamp.zip     Info-ZIP zip of two text files holding the build date, time
#                 and directory: build-info.txt stored (zip -0) and
#                 notes/version.txt deflated.
#   libstamp.a    GNU ar rcU of an object whose bytes do not depend on the
#                 clock: its member headers differ, but only in fields unstamp
#                 rewrites (identical after normalization).
#   README.txt    the same text in both (byte-identical).
#   only-a.txt / only-b.txt
#                 a file that exists in one build only.
#
# Tools: clang, lld-link, cc, ar (binutils), zip (Info-ZIP), faketime.
# The script deletes samples/explain/{a,b} and recreates them; with the tool
# versions in samples/explain/VERSIONS.txt a rerun gives byte-identical files.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
unset SOURCE_DATE_EPOCH ZIP ZIPOPT

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/explain"
SRC="$OUT/src"
BUILD=/tmp/unstamp-explain

CLOCK_A='2026-11-24 12:34:56'
CLOCK_B='2026-11-25 08:09:10'

die() { echo "make-explain-samples: $*" >&2; exit 1; }
for tool in clang lld-link cc ar zip faketime cmp; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done

# NO_FAKE_STAT=1: only the clock is fake, file times stay real (then set with touch -d).
at() { local when="$1"; shift; NO_FAKE_STAT=1 faketime -f "$when" "$@"; }

rm -rf "$BUILD" "$OUT/a" "$OUT/b"
trap 'rm -rf "$BUILD"' EXIT

for side in a b; do
  if [ "$side" = a ]; then CLOCK=$CLOCK_A; else CLOCK=$CLOCK_B; fi
  W="$BUILD/$side"
  mkdir -p "$W/notes" "$OUT/$side"
  cp "$SRC"/stamp.c "$SRC"/const.c "$W/"
  (
    cd "$W"
    # The absolute path makes __FILE__ the build directory.
    at "$CLOCK" clang --target=x86_64-pc-windows-msvc -O0 -c "$W/stamp.c" -o stamp.obj
    at "$CLOCK" lld-link /nodefaultlib /entry:mainCRTStartup /subsystem:console /machine:x64 \
      /out:app.exe stamp.obj

    at "$CLOCK" date -u '+built %b %e %Y %H:%M:%S' > build-info.txt
    echo "in $W" >> build-info.txt
    { at "$CLOCK" date -u '+version 1.0, %b %e %Y %H:%M:%S'
      for i in $(seq 1 40); do echo "line $i: the same text in both builds, so deflate has something to do"; done
    } > notes/version.txt
    touch -d "$CLOCK" build-info.txt notes notes/version.txt
    at "$CLOCK" zip -q -X -0 stamp.zip build-info.txt
    at "$CLOCK" zip -q -X -9 stamp.zip notes/version.txt

    cc -O2 -c const.c -o const.o
    touch -d "$CLOCK" const.o
    at "$CLOCK" ar rcU libstamp.a const.o
  )
  mv "$W/app.exe" "$W/stamp.zip" "$W/libstamp.a" "$OUT/$side/"
  printf 'Two builds of the same sources, made by samples/make-explain-samples.sh.\n' > "$OUT/$side/README.txt"
  echo "this file is only in build $side" > "$OUT/$side/only-$side.txt"
done

{
  echo "# Tool versions used by samples/make-explain-samples.sh"
  echo "clang: $(clang --version | head -n1)"
  echo "lld-link: $(lld-link --version | head -n1)"
  echo "cc: $(cc --version | head -n1)"
  echo "ar: $(ar --version | head -n1)"
  echo "zip: $(zip -v | sed -n 2p | sed 's/^ *//')"
  echo "faketime: $(faketime --version 2>&1 | sed -n 's/^faketime: *//p' | head -n1)"
} > "$OUT/VERSIONS.txt"

find "$OUT/a" "$OUT/b" -type f -exec chmod 0644 {} +

# Checks: the pairs that must differ do, sizes agree (so offsets line up), the rest are equal.
for f in app.exe stamp.zip libstamp.a; do
  ! cmp -s "$OUT/a/$f" "$OUT/b/$f" || die "$f: a and b are identical"
  [ "$(stat -c %s "$OUT/a/$f")" = "$(stat -c %s "$OUT/b/$f")" ] || die "$f: a and b differ in size"
done
cmp -s "$OUT/a/README.txt" "$OUT/b/README.txt" || die "README.txt differs"
grep -q 'Nov 24 2026' "$OUT/a/app.exe" || die "app.exe a lacks its __DATE__"
grep -q 'Nov 25 2026' "$OUT/b/app.exe" || die "app.exe b lacks its __DATE__"
echo "make-explain-samples: ok"
