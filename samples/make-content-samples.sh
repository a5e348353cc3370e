#!/usr/bin/env bash
# Regenerate the content-format sample pairs: samples/png/, samples/mo/, samples/uimage/.
#
#   bash samples/make-content-samples.sh      (from any directory)
#
# Every pair samples/<format>/<variant>/{a,b}/<file> is the same command run twice on
# freshly made, identical inputs. Between a and b only the nondeterministic inputs change
# (the clocks and mtimes of samples/make-samples.sh):
#
#                       build a                          build b
#   clock (frozen)      2021-03-04 05:06:07 UTC          2023-09-10 11:12:13 UTC
#   input mtimes        2020-01-02 03:04:05 UTC          2022-06-07 08:09:10 UTC
#   TZ of the tool      America/New_York                 Asia/Tokyo
#
# Tools run under `faketime -f` with the clock converted to $TZ (libfaketime reads the
# date in local time) and NO_FAKE_STAT=1, so a tool that records an input's mtime
# (ImageMagick's date:modify) sees the real one set by touch -d.
#
#   png/imagemagick       convert in.ppm out.png: tIME (the clock), tEXt date:create
#                         and date:modify (ISO 8601, from the input's times)
#   png/imagemagick-zip   convert -compress Zip: the same dates in zTXt chunks
#   mo/pybabel            xgettext (POT-Creation-Date) + a PO with PO-Revision-Date,
#                         compiled by pybabel compile (python3-babel), which keeps both
#   mo/msgfmt             the same PO compiled by GNU msgfmt (little-endian; msgfmt
#                         drops POT-Creation-Date, so only PO-Revision-Date is left)
#   mo/msgfmt-be          msgfmt --endianness=big
#   uimage/mkimage        mkimage -A arm -O linux -T kernel -C none: ih_time (the clock)
#
# Tools: ImageMagick 6 (convert), gettext (xgettext, msgfmt), /usr/bin/python3 with
# babel (pybabel), u-boot-tools (mkimage), faketime. bFLT has no tool on Debian: its
# test uses strip-nondeterminism's fixture (test/fixtures/strip-nondeterminism/bflt).
#
# The script is idempotent: it deletes samples/{png,mo,uimage} and recreates them with
# a VERSIONS.txt in each. With the same tool versions a rerun gives byte-identical files.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
unset SOURCE_DATE_EPOCH

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
BUILD=$(mktemp -d /tmp/unstamp-content-build.XXXXXX)
trap 'rm -rf "$BUILD"' EXIT

CLOCK_A='2021-03-04 05:06:07'
CLOCK_B='2023-09-10 11:12:13'
MTIME_A='2020-01-02 03:04:05'
MTIME_B='2022-06-07 08:09:10'
TZ_A=America/New_York
TZ_B=Asia/Tokyo

die() { echo "make-content-samples: $*" >&2; exit 1; }
for tool in convert xgettext msgfmt pybabel mkimage faketime cc cmp; do
  command -v "$tool" >/dev/null || die "missing tool: $tool (see the header of this script)"
done

# at CMD...: run CMD under the frozen clock $CLOCK (UTC) in time zone $ZTZ. stat()
# is not faked (NO_FAKE_STAT=1) unless FAKE_STAT=1: mkimage takes ih_time from the
# st_mtime of the image it has just written, which only the faked stat() shows as the clock.
at() {
  local epoch local_clock
  epoch=$(date -u -d "$CLOCK UTC" +%s)
  local_clock=$(TZ=$ZTZ date -d "@$epoch" '+%Y-%m-%d %H:%M:%S')
  if [ "${FAKE_STAT:-}" = 1 ]; then env TZ="$ZTZ" faketime -f "$local_clock" "$@"
  else env TZ="$ZTZ" NO_FAKE_STAT=1 FAKE_CTIME="$epoch" LD_PRELOAD="$SHIM" faketime -f "$local_clock" "$@"; fi
}
# ImageMagick's date:create is the input's st_ctime, which the kernel sets to the real
# time: samples/zip/tools/fake-ctime.so reports the clock instead (as for the zip pairs).
SHIM="$BUILD/fake-ctime.so"
cc -shared -fPIC -O2 -Wall -o "$SHIM" "$HERE/zip/tools/fake-ctime.c" -ldl

[ "$(CLOCK=$CLOCK_A ZTZ=$TZ_B at "$PY" -c 'import time; print(int(time.time()))')" = 1614834367 ] || die "at(): wrong clock"

rm -rf "$HERE/png" "$HERE/mo" "$HERE/uimage"

# side a|b: set CLOCK, MTIME, ZTZ for that build.
side() {
  if [ "$1" = a ]; then CLOCK=$CLOCK_A MTIME=$MTIME_A ZTZ=$TZ_A; else CLOCK=$CLOCK_B MTIME=$MTIME_B ZTZ=$TZ_B; fi
}

# fresh: an empty work directory.
fresh() {
  rm -rf "$BUILD/w" && mkdir "$BUILD/w" && cd "$BUILD/w"
}

# --- PNG ------------------------------------------------------------------------
png_input() {
  # A 4x3 plain PPM: six colours, so the PNG has a palette and real image data.
  printf 'P3\n4 3\n255\n255 0 0  0 255 0  0 0 255  255 255 0\n0 255 255  255 0 255  0 0 0  255 255 255\n10 20 30  40 50 60  70 80 90  200 100 50\n' > in.ppm
  touch -d "$MTIME UTC" in.ppm
}
for s in a b; do
  side $s
  for v in imagemagick imagemagick-zip; do
    fresh
    png_input
    opts=()
    [ "$v" = imagemagick-zip ] && opts=(-compress Zip)
    at convert "${opts[@]}" in.ppm out.png
    mkdir -p "$HERE/png/$v/$s"
    cp out.png "$HERE/png/$v/$s/image.png"
  done
done

# --- gettext .mo ------------------------------------------------------------------
mo_inputs() {
  cat > hello.py <<'EOF'
import gettext
_ = gettext.gettext
print(_("Hello, world"))
print(_("Good morning"))
print(_("A sentence long enough to make the catalog more than a few bytes."))
EOF
  touch -d "$MTIME UTC" hello.py
  # POT-Creation-Date: the clock, in the local zone of the build.
  at xgettext --package-name=hello --package-version=1.0 -o hello.pot hello.py
  # The translator's PO: the template's header with a revision date (the clock too, as
  # a PO editor stamps it when saving) and translations.
  local revised
  revised=$(at date '+%Y-%m-%d %H:%M%z')
  sed -e '/^#, fuzzy$/d' -e "s/^\"PO-Revision-Date: .*\\\\n\"$/\"PO-Revision-Date: $revised\\\\n\"/" \
      -e 's/^"Content-Type: text\/plain; charset=CHARSET\\n"$/"Content-Type: text\/plain; charset=UTF-8\\n"/' \
      -e 's/^"Language: \\n"$/"Language: de\\n"/' hello.pot > de.po
  "$PY" - de.po <<'EOF'
import sys
p = sys.argv[1]
t = open(p, encoding='utf-8').read()
for en, de in [("Hello, world", "Hallo, Welt"), ("Good morning", "Guten Morgen"),
               ("A sentence long enough to make the catalog more than a few bytes.",
                "Ein Satz, lang genug, dass der Katalog mehr als ein paar Bytes hat.")]:
    t = t.replace('msgid "%s"\nmsgstr ""' % en, 'msgid "%s"\nmsgstr "%s"' % (en, de))
open(p, 'w', encoding='utf-8').write(t)
EOF
}
for s in a b; do
  side $s
  fresh
  mo_inputs
  for v in pybabel msgfmt msgfmt-be; do
    mkdir -p "$HERE/mo/$v/$s"
    case $v in
      pybabel) at pybabel -q compile -i de.po -o "$HERE/mo/$v/$s/hello.mo" -l de ;;
      msgfmt) at msgfmt -o "$HERE/mo/$v/$s/hello.mo" de.po ;;
      msgfmt-be) at msgfmt --endianness=big -o "$HERE/mo/$v/$s/hello.mo" de.po ;;
    esac
  done
done

# --- uImage -----------------------------------------------------------------------
for s in a b; do
  side $s
  fresh
  # A stand-in kernel: 2 KiB of fixed bytes.
  "$PY" -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + 3) % 256 for i in range(2048)))' > zImage
  touch -d "$MTIME UTC" zImage
  mkdir -p "$HERE/uimage/mkimage/$s"
  FAKE_STAT=1 at mkimage -A arm -O linux -T kernel -C none -a 0x8000 -e 0x8000 -n unstamp-sample -d zImage "$HERE/uimage/mkimage/$s/uImage" >/dev/null
done

# --- checks and versions ------------------------------------------------------------
for d in "$HERE"/png/* "$HERE"/mo/* "$HERE"/uimage/*; do
  f=$(ls "$d/a")
  [ -n "$f" ] && [ -f "$d/b/$f" ] || die "${d#"$HERE"/}: a build made no file"
  cmp -s "$d/a/$f" "$d/b/$f" && die "${d#"$HERE"/}: a and b are identical; the pair shows nothing"
done
{
  echo "# Tool versions used by samples/make-content-samples.sh"
  echo "convert: $(convert -version | head -1)"
  echo "faketime: $(dpkg-query -W -f '${Version}' faketime)"
} > "$HERE/png/VERSIONS.txt"
{
  echo "# Tool versions used by samples/make-content-samples.sh"
  echo "xgettext: $(xgettext --version | head -1)"
  echo "msgfmt: $(msgfmt --version | head -1)"
  echo "pybabel: $(pybabel --version 2>&1 | head -1) ($PY $("$PY" -c 'import platform; print(platform.python_version())'))"
  echo "faketime: $(dpkg-query -W -f '${Version}' faketime)"
} > "$HERE/mo/VERSIONS.txt"
{
  echo "# Tool versions used by samples/make-content-samples.sh"
  echo "mkimage: $(mkimage -V 2>&1 | head -1)"
  echo "faketime: $(dpkg-query -W -f '${Version}' faketime)"
} > "$HERE/uimage/VERSIONS.txt"
echo "make-content-samples: done"
