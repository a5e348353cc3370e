#!/usr/bin/env bash
# Regenerate the zip-family sample pairs in samples/zip/.
#
#   bash samples/make-zip-samples.sh      (from any directory; as root:
#                                          it chowns the input files and
#                                          mounts a tmpfs in a private
#                                          mount namespace)
#
# Every pair samples/zip/<variant>/{a,b}/<file> is the same archiver command
# run twice on freshly made, identical input files, in the same directory.
# Between a and b only the nondeterministic inputs change:
#
#                       build a                          build b
#   clock (frozen)      2021-03-04 05:06:07 UTC          2023-09-10 11:12:13 UTC
#                       = 1614834367 = 0x60406ABF        = 1694344333 = 0x64FDA48D
#   input mtimes        2020-01-02 03:04:05 UTC          2022-06-07 08:09:10 UTC
#   (touch -d)          = 1577934245 = 0x5E0D5DA5        = 1654589350 = 0x629F07A6
#   owner (chown)       1000:1000                        4321:8765
#   modes (chmod)       files 0644, run.sh and sub/ 0755 files 0664, run.sh and sub/ 0775
#   TZ of the archiver  America/New_York                 Asia/Tokyo
#
# (the clocks and mtimes are those of samples/make-samples.sh). The tz-*
# pairs keep everything of build a and change only TZ (a: America/New_York,
# b: Asia/Tokyo), to show which fields depend on the local time zone.
#
# Every archiver runs through at() below: NO_FAKE_STAT=1 faketime -f with the
# clock, plus tools/fake-ctime.so (LD_PRELOAD) so that stat() reports
# st_ctime = the clock; the kernel sets the real ctime on every chown/touch,
# and bsdtar (UT ctime) and 7-Zip (NTFS ctime) record it. libfaketime reads
# the -f date in the local time zone, so at() passes the clock converted to
# $TZ. Inputs are recreated (and their atime reset by touch -d) before every
# build, because Info-ZIP and bsdtar record the atime, and reading a file
# bumps it (relatime); the build directory is a noatime tmpfs in a private
# mount namespace for the same reason. Info-ZIP encryption seeds its header
# bytes with time ^ pid, so the encrypted build runs in a new PID namespace
# (unshare --pid --fork) to get the same pid every time. File lists are
# given explicitly (readdir order depends on the file system's hash seed).
#
# Tools: Info-ZIP zip 3.0 / unzip 6.0, bsdtar (libarchive-tools), OpenJDK 17
# jar, /usr/bin/python3 zipfile (and setuptools + wheel for the wheel pair),
# 7-Zip (p7zip-full: apt-get install -y p7zip-full), faketime, unshare, cc.
#
# The script is idempotent: it deletes samples/zip/<every variant>,
# samples/zip/VERSIONS.txt and samples/zip/DIFFS.txt and recreates them.
# samples/zip/tools/ and samples/zip/README.md are never modified. With the
# tool versions in VERSIONS.txt a rerun gives byte-identical files.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
unset SOURCE_DATE_EPOCH ZIP ZIPOPT UNZIP UNZIPOPT ZIPINFO JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
Z="$HERE/zip"
TOOLS="$Z/tools"
PY=/usr/bin/python3
BUILD=/tmp/unstamp-zip-build
W="$BUILD/w"
SHIM="$BUILD/fake-ctime.so"
JAR=jar
[ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/jar ] && JAR=/usr/lib/jvm/java-17-openjdk-amd64/bin/jar

CLOCK_A='2021-03-04 05:06:07'
CLOCK_B='2023-09-10 11:12:13'
MTIME_A='2020-01-02 03:04:05'
MTIME_B='2022-06-07 08:09:10'
OWNER_A=1000:1000
OWNER_B=4321:8765
FMODE_A=0644 XMODE_A=0755
FMODE_B=0664 XMODE_B=0775
TZ_A=America/New_York
TZ_B=Asia/Tokyo

# The archive inputs, in archive order. sub/ holds one file only, so the
# tools that recurse into it see a fixed order.
FILES=(hello.txt data.bin run.sh sub link.txt)

VARIANTS=(infozip infozip-X infozip-pipe bsdtar bsdtar-zip64 python python-zip64
          jar 7z nested nested-deflated comment-prefix trailing-junk encrypted wheel
          tz-infozip tz-bsdtar tz-python tz-jar tz-7z tz-wheel)
# Pairs whose a and b are byte-identical by construction.
SAME=(tz-wheel)

die() { echo "make-zip-samples: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (chown to arbitrary uid/gid)"
for tool in zip unzip bsdtar "$JAR" 7z faketime unshare cc cmp; do
  command -v "$tool" >/dev/null || die "missing tool: $tool (see the header of this script)"
done
"$PY" -c 'import setuptools, wheel' 2>/dev/null || die "missing $PY modules setuptools/wheel"

# Build in a private mount namespace on a noatime tmpfs. Info-ZIP and
# bsdtar record the atime, and with relatime the kernel bumps a directory's
# atime to the real time when zip -r reads it (before zip stats it), and a
# symlink's atime whenever a path is resolved through it. On a noatime mount
# the atime stays what touch -d set. The tmpfs disappears with the namespace.
if [ -z "${UNSTAMP_ZIP_NS:-}" ]; then
  mkdir -p "$BUILD"
  rc=0
  UNSTAMP_ZIP_NS=1 unshare --mount --propagation private bash "${BASH_SOURCE[0]}" "$@" || rc=$?
  rmdir "$BUILD" 2>/dev/null || true
  exit "$rc"
fi
mount -t tmpfs -o noatime,mode=0755 unstamp-zip "$BUILD"
cc -shared -fPIC -O2 -Wall -o "$SHIM" "$TOOLS/fake-ctime.c" -ldl

# at CMD...: run CMD under the frozen clock $CLOCK (UTC) in time zone $ZTZ,
# with st_ctime faked to the clock. AT_PREFIX (an array) goes in front.
AT_PREFIX=()
at() {
  local epoch local_clock
  epoch=$(date -u -d "$CLOCK UTC" +%s)
  local_clock=$(TZ=$ZTZ date -d "@$epoch" '+%Y-%m-%d %H:%M:%S')
  "${AT_PREFIX[@]}" env TZ="$ZTZ" NO_FAKE_STAT=1 FAKE_CTIME="$epoch" LD_PRELOAD="$SHIM" \
    faketime -f "$local_clock" "$@"
}

# Self-check of at(): the tools must see the right UTC clock in both zones.
mkdir -p "$W"
for ZTZ in "$TZ_A" "$TZ_B"; do
  CLOCK=$CLOCK_A
  [ "$(at "$PY" -c 'import time; print(int(time.time()))')" = 1614834367 ] || die "at(): wrong clock in $ZTZ"
  : > "$W/probe"
  [ "$(at "$PY" -c 'import os,sys; print(int(os.stat(sys.argv[1]).st_ctime))' "$W/probe")" = 1614834367 ] \
    || die "at(): fake-ctime.so does not work"
done

# --- recreate output tree -----------------------------------------------------
for v in "${VARIANTS[@]}"; do rm -rf "${Z:?}/$v"; done
rm -f "$Z/VERSIONS.txt" "$Z/DIFFS.txt"

# stamp PATH...: give PATHs this side's owner, mode and mtime (and atime).
stamp() {
  local p
  for p in "$@"; do
    if [ -L "$p" ]; then :
    elif [ -d "$p" ] || [ "$p" = run.sh ]; then chmod "$XMODE" "$p"
    else chmod "$FMODE" "$p"; fi
    chown -h "$OWNER" "$p"
  done
  # Files first, directories last. touch -d also sets the atime, and nothing
  # may follow a symlink afterwards: resolving a path through a symlink bumps
  # the symlink's own atime (relatime), which Info-ZIP and bsdtar record.
  for p in "$@"; do
    if [ -L "$p" ] || [ ! -d "$p" ]; then touch -h -d "$MTIME UTC" "$p"; fi
  done
  for p in "$@"; do
    if [ ! -L "$p" ] && [ -d "$p" ]; then touch -d "$MTIME UTC" "$p"; fi
  done
  return 0
}

# make_inputs: the archive inputs in the current directory ($W).
make_inputs() {
  mkdir sub
  cat > hello.txt <<'EOF'
unstamp zip sample: a text file that deflates well.
The quick brown fox jumps over the lazy dog.
The quick brown fox jumps over the lazy dog.
The quick brown fox jumps over the lazy dog.
The quick brown fox jumps over the lazy dog.
The quick brown fox jumps over the lazy dog.
The quick brown fox jumps over the lazy dog.
The quick brown fox jumps over the lazy dog.
EOF
  # 64 bytes that deflate cannot shrink (Info-ZIP then stores them).
  "$PY" -c 'import sys; sys.stdout.buffer.write(bytes((i * 73 + 41) * (i + 7) & 255 for i in range(64)))' > data.bin
  printf '#!/bin/sh\n# unstamp zip sample: an executable script\necho "hello from run.sh"\n' > run.sh
  printf 'a file in a subdirectory\n' > sub/nested.txt
  ln -s hello.txt link.txt
  stamp hello.txt data.bin run.sh sub/nested.txt link.txt sub
}

side_vars() {  # side_vars a|b [tz]: set CLOCK MTIME OWNER FMODE XMODE ZTZ
  local s=$1 mode=${2:-}
  if [ "$s" = a ] || [ "$mode" = tz ]; then
    CLOCK=$CLOCK_A MTIME=$MTIME_A OWNER=$OWNER_A FMODE=$FMODE_A XMODE=$XMODE_A
  else
    CLOCK=$CLOCK_B MTIME=$MTIME_B OWNER=$OWNER_B FMODE=$FMODE_B XMODE=$XMODE_B
  fi
  if [ "$s" = a ]; then ZTZ=$TZ_A; else ZTZ=$TZ_B; fi
}

# pair VARIANT FUNCTION FILE...: for side a, then b: empty $W, make the
# inputs in it, run FUNCTION inside $W, then move FILE... to
# samples/zip/VARIANT/SIDE/. tzpair: the same, but both sides use build a's
# clock, mtimes, owners and modes (only TZ differs).
run_pair() {
  local mode="$1" variant="$2" fn="$3"; shift 3
  local side f
  for side in a b; do
    side_vars "$side" "$mode"
    SIDE=$side
    rm -rf "$W"; mkdir -p "$W"
    ( cd "$W" && make_inputs && "$fn" )
    mkdir -p "$Z/$variant/$side"
    for f in "$@"; do
      [ -f "$W/$f" ] || die "$variant/$side: $f was not produced"
      mv "$W/$f" "$Z/$variant/$side/$f"
    done
  done
}
pair() { run_pair "" "$@"; }
tzpair() { run_pair tz "$@"; }

# --- Info-ZIP zip 3.0 ---------------------------------------------------------
# -y stores the symlink as a link (without it zip follows it). Local headers
# get UT (0x5455: flags 3, mtime + atime) and ux (0x7875: uid, gid); the
# central copies hold UT with the mtime only, and ux. -X leaves out both.
# Writing to a pipe makes zip use data descriptors (flag bit 3).
build_infozip()      { at zip -q -r -y demo.zip "${FILES[@]}"; }
build_infozip_X()    { at zip -q -r -y -X demo.zip "${FILES[@]}"; }
build_infozip_pipe() { at zip -q -r -y - "${FILES[@]}" | cat > demo.zip; }
pair infozip        build_infozip      demo.zip
pair infozip-X      build_infozip_X    demo.zip
pair infozip-pipe   build_infozip_pipe demo.zip

# --- bsdtar (libarchive) ------------------------------------------------------
# UT with mtime + atime + ctime in the local header (central: mtime), ux,
# data descriptors for file entries. zip:zip64 adds a zip64 extra to every
# local header and writes the zip64 end of central directory record.
build_bsdtar()       { at bsdtar --format zip -cf demo.zip "${FILES[@]}"; }
build_bsdtar_zip64() { at bsdtar --format zip --options zip:zip64 -cf demo.zip "${FILES[@]}"; }
pair bsdtar       build_bsdtar       demo.zip
pair bsdtar-zip64 build_bsdtar_zip64 demo.zip

# --- Python zipfile -------------------------------------------------------------
PYNAMES=(hello.txt data.bin run.sh sub sub/nested.txt link.txt)
build_python()       { at "$PY" "$TOOLS/pyzip.py" demo.zip "${PYNAMES[@]}"; }
build_python_zip64() { at "$PY" "$TOOLS/pyzip.py" --zip64 demo.zip "${PYNAMES[@]}"; }
pair python       build_python       demo.zip
pair python-zip64 build_python_zip64 demo.zip

# --- jar (OpenJDK 17) -------------------------------------------------------------
# META-INF/ (extra 0xcafe) and META-INF/MANIFEST.MF get the clock, the
# members their mtime; data descriptors everywhere; the symlink is followed.
build_jar() { at "$JAR" cf demo.jar "${FILES[@]}"; }
pair jar build_jar demo.jar

# --- 7-Zip ----------------------------------------------------------------------------
# -mtc=on: NTFS extra 0x000a (mtime, atime = 0 unless -mta=on, ctime) in the
# central directory only. 7-Zip sorts the entries by name.
build_7z() { at 7z a -tzip -mtc=on -bd -bso0 -bsp0 demo.zip "${FILES[@]}"; }
pair 7z build_7z demo.zip

# --- nested: the jar of the jar pair inside an Info-ZIP archive -------------------
# Stored (zip -0): the outer CRC-32 (local + central) covers the inner jar's
# timestamps. Deflated: the inner jar is only reachable by inflating.
nest_jar() {
  cp "$Z/jar/$SIDE/demo.jar" demo.jar
  stamp demo.jar
}
build_nested()          { nest_jar; at zip -q -0 -y outer.zip hello.txt demo.jar; }
build_nested_deflated() { nest_jar; at zip -q -9 -y outer.zip hello.txt demo.jar; }
pair nested          build_nested          outer.zip
pair nested-deflated build_nested_deflated outer.zip

# --- archive comment and prefixed data (SFX layout) ----------------------------------
# sfx.zip: stub + zip, then zip -A (offsets count from the start of the file).
# sfx-unadjusted.zip: the same bytes before zip -A (offsets count from the
# start of the embedded zip; unzip warns about the 54 extra bytes, Python copes).
build_comment_prefix() {
  at zip -q -r -y demo.zip "${FILES[@]}"
  printf 'unstamp sample archive comment\n' | at zip -q -z demo.zip
  printf '#!/bin/sh\n# stand-in for a self-extractor stub\nexit 0\n' > stub
  cat stub demo.zip > sfx.zip
  cp sfx.zip sfx-unadjusted.zip
  at zip -q -A sfx.zip
}
pair comment-prefix build_comment_prefix sfx.zip sfx-unadjusted.zip

# --- bytes appended after the archive ---------------------------------------------------
# An Info-ZIP archive with a line of junk after its end record (what a step
# that appends to a finished archive leaves). unzip and Python's zipfile read
# it without a word; the end record no longer ends the file.
build_trailing_junk() {
  at zip -q -r -y demo.zip "${FILES[@]}"
  printf 'junk appended after the archive\n' >> demo.zip
}
pair trailing-junk build_trailing_junk demo.zip

# --- traditional PKWARE encryption -----------------------------------------------------
build_encrypted() {
  AT_PREFIX=(unshare --pid --fork)
  at zip -q -r -y -e -P secret enc.zip "${FILES[@]}"
  AT_PREFIX=()
}
pair encrypted build_encrypted enc.zip

# --- wheel ---------------------------------------------------------------------------------
# setuptools' PEP 517 backend builds the wheel once (any clock); it is
# unpacked, the unpacked tree gets this side's owner/modes/mtimes, and
# `python3 -m wheel pack` (wheel's own WheelFile writer, the one bdist_wheel
# uses) writes the sample. That way the dist-info files carry the side's
# mtime instead of the real time they were generated at. WheelFile uses
# time.gmtime(): the DOS times are UTC whatever TZ is. RECORD gets the clock.
build_wheel() {
  mkdir -p proj/demo
  cat > proj/pyproject.toml <<'EOF'
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "demo"
version = "1.0"
description = "unstamp zip sample"
EOF
  printf '"""unstamp wheel sample."""\n\n\ndef hello():\n    return "hello"\n' > proj/demo/__init__.py
  printf 'from demo import hello\n\nprint(hello())\n' > proj/demo/__main__.py
  ( cd proj && "$PY" -c 'import setuptools.build_meta as b; b.build_wheel("../dist0")' ) > build.log 2>&1 \
    || { cat build.log >&2; die "wheel build failed"; }
  "$PY" -m wheel unpack -d unpacked dist0/demo-1.0-py3-none-any.whl > /dev/null
  local paths
  mapfile -t paths < <(cd unpacked && find demo-1.0 | sort)
  ( cd unpacked && stamp "${paths[@]}" )
  at "$PY" -m wheel pack -d . unpacked/demo-1.0 > /dev/null
}
pair wheel build_wheel demo-1.0-py3-none-any.whl

# --- time zone experiment: same inputs, same clock, only TZ differs --------------------
tzpair tz-infozip build_infozip demo.zip
tzpair tz-bsdtar  build_bsdtar  demo.zip
tzpair tz-python  build_python  demo.zip
tzpair tz-jar     build_jar     demo.jar
tzpair tz-7z      build_7z      demo.zip
tzpair tz-wheel   build_wheel   demo-1.0-py3-none-any.whl

# --- VERSIONS.txt ----------------------------------------------------------------------------
{
  echo "# Tool versions used by samples/make-zip-samples.sh"
  echo "zip: $(zip -v | sed -n 2p) (Debian zip $(dpkg-query -W -f '${Version}' zip 2>/dev/null))"
  echo "unzip: $(unzip -v | head -1) (Debian unzip $(dpkg-query -W -f '${Version}' unzip 2>/dev/null))"
  echo "bsdtar: $(bsdtar --version)"
  echo "jar: $("$JAR" --version 2>&1 | head -1) ($("$JAR" --version >/dev/null 2>&1; readlink -f "$(command -v "$JAR")")), java: $(java -version 2>&1 | head -1)"
  echo "7z: $(7z i 2>/dev/null | sed -n 2p | sed 's/^ *//') (Debian p7zip-full $(dpkg-query -W -f '${Version}' p7zip-full 2>/dev/null))"
  echo "python3: $("$PY" --version 2>&1), zlib $("$PY" -c 'import zlib; print(zlib.ZLIB_RUNTIME_VERSION)'), setuptools $("$PY" -c 'import setuptools; print(setuptools.__version__)'), wheel $("$PY" -c 'import wheel; print(wheel.__version__)')"
  echo "faketime: $(faketime --version 2>&1 | grep -m1 Version | sed 's/^faketime: //') (Debian faketime $(dpkg-query -W -f '${Version}' faketime 2>/dev/null))"
  echo "tzdata: $(dpkg-query -W -f '${Version}' tzdata 2>/dev/null)"
} > "$Z/VERSIONS.txt"

find "${VARIANTS[@]/#/$Z/}" -type d -exec chmod 0755 {} +
find "${VARIANTS[@]/#/$Z/}" -type f -exec chmod 0644 {} +
find "${VARIANTS[@]/#/$Z/}" -exec chown 0:0 {} +

# --- DIFFS.txt ---------------------------------------------------------------------------------
fail=0
{
  echo "# Differing fields per pair, written by samples/make-zip-samples.sh"
  echo "# (tools/zip-diff.py --grouped a/FILE b/FILE: one line per kind of field and pair of"
  echo "#  values, then the start offset (0-based) and entry of every field that differs so;"
  echo "#  run tools/zip-diff.py a/FILE b/FILE for one line per field with its byte range."
  echo "#  DOS times/dates are shown as stored, i.e. in the archiver's local time zone)"
} > "$Z/DIFFS.txt"
for v in "${VARIANTS[@]}"; do
  for fa in "$Z/$v"/a/*; do
    f=$(basename "$fa")
    if ! "$PY" "$TOOLS/zip-diff.py" --grouped "$fa" "$Z/$v/b/$f" > "$BUILD/diff.txt"; then
      echo "VERIFY FAILED: $v/$f has differences outside known fields:" >&2
      cat "$BUILD/diff.txt" >&2
      fail=1
    fi
    sed "s|$Z/||" "$BUILD/diff.txt" >> "$Z/DIFFS.txt"
  done
done

# --- verification ---------------------------------------------------------------------------------
check() { "$@" || { echo "VERIFY FAILED: $*" >&2; fail=1; }; }
is_same() { local s; for s in "${SAME[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
pytest_zip() {  # pytest_zip FILE [PASSWORD]
  "$PY" -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
if len(sys.argv) > 2:
    z.setpassword(sys.argv[2].encode())
bad = z.testzip()
sys.exit("bad member %r" % bad if bad else 0)' "$@"
}
unzip_t() {  # unzip -t; sfx-unadjusted.zip only warns (exit 1: "extra bytes at beginning")
  local f=$1 rc=0 out
  shift
  out=$(unzip -t "$@" "$f" 2>&1) || rc=$?
  case "$f" in
    */sfx-unadjusted.zip) [ "$rc" = 1 ] && grep -q "extra bytes at beginning" <<<"$out" ;;
    *) [ "$rc" = 0 ] ;;
  esac
}
for v in "${VARIANTS[@]}"; do
  for s in a b; do
    for f in "$Z/$v/$s"/*; do
      pw=()
      [ "$v" = encrypted ] && pw=(-P secret)
      check unzip_t "$f" "${pw[@]}"
      check pytest_zip "$f" ${pw[1]:+"${pw[1]}"}
      # the dump must cover every byte
      if "$PY" "$TOOLS/zip-diff.py" --dump "$f" | grep -q 'not covered'; then
        echo "VERIFY FAILED: zip-diff.py --dump leaves bytes of $f uncovered" >&2; fail=1
      fi
      check test "$(stat -c %s "$f")" -lt 51200
      # every stored Unix/NTFS time is one of the fixed clocks/mtimes (or 0)
      if "$PY" "$TOOLS/zip-diff.py" --dump "$f" | grep -o '[0-9-]* [0-9:.]* UTC$' | sort -u |
           grep -v -e '^2020-01-02 03:04:05' -e '^2022-06-07 08:09:10' -e '^2021-03-04 05:06:07' \
                   -e '^2023-09-10 11:12:13' -e '^1601-01-01 00:00:00'; then
        echo "VERIFY FAILED: $f records a time that is not a fixed clock or mtime" >&2; fail=1
      fi
    done
  done
  differs=0
  for fa in "$Z/$v"/a/*; do cmp -s "$fa" "$Z/$v/b/$(basename "$fa")" || differs=1; done
  if is_same "$v"; then check test "$differs" = 0; else check test "$differs" = 1; fi
done
# The nested jar is the jar pair's file, byte for byte.
for s in a b; do
  for v in nested nested-deflated; do
    unzip -p "$Z/$v/$s/outer.zip" demo.jar > "$BUILD/inner.jar"
    check cmp -s "$BUILD/inner.jar" "$Z/jar/$s/demo.jar"
  done
done
# tz-*: only the time zone differs, so only DOS times/dates may differ (the
# UT/NTFS times are UTC and must be equal).
check grep -q '^tz-infozip/a/demo.zip: .* differ' "$Z/DIFFS.txt"
if awk '/^[^ ]/ { tz = ($0 ~ /^tz-/) } tz && /^  / && !/^  (local|central) last mod (time|date) \(2\)  a=/' "$Z/DIFFS.txt" | grep .; then
  echo "VERIFY FAILED: a tz-* pair differs in more than DOS times/dates" >&2; fail=1
fi

[ "$fail" = 0 ] || die "verification failed"
n=$(find "${VARIANTS[@]/#/$Z/}" -type f | wc -l)
bytes=$(find "${VARIANTS[@]/#/$Z/}" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "make-zip-samples: ok ($n files, $bytes bytes)"
