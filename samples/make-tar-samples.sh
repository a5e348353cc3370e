#!/usr/bin/env bash
# Regenerate the tar sample pairs in samples/tar/.
#
#   bash samples/make-tar-samples.sh      (from any directory; as root: it
#                                          chowns the inputs, makes a device
#                                          node and mounts a tmpfs in a private
#                                          mount namespace)
#
# Every pair samples/tar/<variant>/{a,b}/<file> is the same archiver command
# run twice on freshly made, identical input files. Between a and b only the
# nondeterministic inputs change:
#
#                       build a                          build b
#   clock (frozen)      2021-03-04 05:06:07 UTC          2023-09-10 11:12:13 UTC
#   input mtimes        2020-01-02 03:04:05.123456789    2022-06-07 08:09:10.987654321
#   (touch -d)          UTC = 1577934245                 UTC = 1654589350
#   owner (chown)       daemon:daemon (1:1)              nobody:nogroup (65534:65534)
#   TZ of the archiver  America/New_York                 Asia/Tokyo
#
# Every archive but gnu/ is written with -b 1 (512-byte records: no padding
# to 10 KiB after the end-of-archive marker) to keep the samples small;
# gnu/ keeps GNU tar's default 10240-byte records.
# Modes are the same on both sides (unstamp keeps a tar entry's mode).
# The mtimes have nanoseconds so that pax archives store fractions.
# Archivers run through at(): faketime -f with the clock (NO_FAKE_STAT=1),
# plus samples/zip/tools/fake-ctime.c (LD_PRELOAD) so that stat() reports
# st_ctime = the clock: the kernel sets the real ctime on every chown/touch,
# and pax archives record it. The build directory is a noatime tmpfs in a
# private mount namespace, so the atime (which pax archives record) stays
# what touch -d set.
#
# oracle/<fmt>/{plain,repro}/demo.tar: build a's inputs archived by GNU tar
# as is (plain) and with its reproducible flags (repro: --sort=name
# --owner=0 --group=0 --numeric-owner --mtime=@0); unstamp must turn plain
# into repro byte for byte.
#
# Tools: GNU tar, bsdtar (libarchive-tools), GNU ar, gzip, faketime,
# unshare, cc. The script is idempotent: it deletes samples/tar/<variants>,
# samples/tar/oracle and samples/tar/VERSIONS.txt and recreates them.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
unset SOURCE_DATE_EPOCH TAR_OPTIONS GZIP

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
T="$HERE/tar"
BUILD=/tmp/unstamp-tar-build
W="$BUILD/w"
SHIM="$BUILD/fake-ctime.so"

CLOCK_A='2021-03-04 05:06:07'
CLOCK_B='2023-09-10 11:12:13'
MTIME_A='2020-01-02 03:04:05.123456789'
MTIME_B='2022-06-07 08:09:10.987654321'
OWNER_A=daemon:daemon
OWNER_B=nobody:nogroup
TZ_A=America/New_York
TZ_B=Asia/Tokyo

# The inputs, in archive order: a directory with one file (a fixed order
# whatever readdir returns), a hard link, a symlink and a character device.
FILES=(hello.txt data.bin run.sh sub sub/nested.txt hard.txt link.txt null)
# A path over 100 bytes (GNU L, pax path) and a symlink target over 100 (GNU K, pax linkpath).
LONGDIR=a-directory-whose-name-is-long-enough/that-the-path-of-the-file-inside
LONGFILE=$LONGDIR/does-not-fit-the-100-byte-name-field-of-a-ustar-header.txt
LONG=(hello.txt "$LONGDIR" "$LONGFILE" longlink.txt)

VARIANTS=(gnu oldgnu ustar v7 pax gnu-long pax-long gnu-incremental sparse bsdtar bsdtar-pax nested big-ids)

die() { echo "make-tar-samples: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (chown, mknod)"
for tool in tar bsdtar ar gzip faketime unshare cc cmp; do
  command -v "$tool" >/dev/null || die "missing tool: $tool (see the header of this script)"
done

if [ -z "${UNSTAMP_TAR_NS:-}" ]; then
  mkdir -p "$BUILD"
  rc=0
  UNSTAMP_TAR_NS=1 unshare --mount --propagation private bash "${BASH_SOURCE[0]}" "$@" || rc=$?
  rmdir "$BUILD" 2>/dev/null || true
  exit "$rc"
fi
mount -t tmpfs -o noatime,mode=0755 unstamp-tar "$BUILD"
cc -shared -fPIC -O2 -Wall -o "$SHIM" "$HERE/zip/tools/fake-ctime.c" -ldl

# at CMD...: run CMD under the frozen clock $CLOCK (UTC) in time zone $ZTZ.
at() {
  local epoch local_clock
  epoch=$(date -u -d "$CLOCK UTC" +%s)
  local_clock=$(TZ=$ZTZ date -d "@$epoch" '+%Y-%m-%d %H:%M:%S')
  env TZ="$ZTZ" NO_FAKE_STAT=1 FAKE_CTIME="$epoch" LD_PRELOAD="$SHIM" faketime -f "$local_clock" "$@"
}

for v in "${VARIANTS[@]}" oracle; do rm -rf "${T:?}/$v"; done
rm -f "$T/VERSIONS.txt"

# stamp PATH...: this side's owner and mtime (and atime), files before directories.
stamp() {
  local p
  for p in "$@"; do chown -h "$OWNER" "$p"; done
  for p in "$@"; do if [ -L "$p" ] || [ ! -d "$p" ]; then touch -h -d "$MTIME UTC" "$p"; fi; done
  for p in "$@"; do if [ ! -L "$p" ] && [ -d "$p" ]; then touch -d "$MTIME UTC" "$p"; fi; done
  return 0
}

make_inputs() {
  mkdir sub "${LONGDIR%%/*}" "$LONGDIR"
  printf 'unstamp tar sample: a text file.\nThe quick brown fox jumps over the lazy dog.\n' > hello.txt
  printf '\x00\x01\x02\x03binary\xff\xfe\n' > data.bin
  printf '#!/bin/sh\necho "hello from run.sh"\n' > run.sh
  printf 'a file in a subdirectory\n' > sub/nested.txt
  printf 'a file with a long path\n' > "$LONGFILE"
  chmod 0644 hello.txt data.bin sub/nested.txt "$LONGFILE"
  chmod 0755 run.sh sub "${LONGDIR%%/*}" "$LONGDIR"
  ln hello.txt hard.txt
  ln -s "$LONGFILE" longlink.txt
  ln -s hello.txt link.txt
  mknod -m 0666 null c 1 3
  # A sparse file: 64 KiB with data at 0 and at 40 KiB only.
  printf 'start of a sparse file\n' > sparse.bin
  printf 'data at 40 KiB\n' | dd of=sparse.bin bs=1024 seek=40 conv=notrunc status=none
  truncate -s 64K sparse.bin
  chmod 0644 sparse.bin
  stamp hello.txt data.bin run.sh sub/nested.txt hard.txt link.txt null "$LONGFILE" longlink.txt sparse.bin sub "$LONGDIR" "${LONGDIR%%/*}"
}

side_vars() {
  if [ "$1" = a ]; then CLOCK=$CLOCK_A MTIME=$MTIME_A OWNER=$OWNER_A ZTZ=$TZ_A
  else CLOCK=$CLOCK_B MTIME=$MTIME_B OWNER=$OWNER_B ZTZ=$TZ_B; fi
}

# pair VARIANT FUNCTION FILE...: for a, then b: fresh inputs in $W, FUNCTION in $W, FILEs to samples/tar/VARIANT/SIDE/.
pair() {
  local variant="$1" fn="$2" side f
  shift 2
  for side in a b; do
    side_vars "$side"
    SIDE=$side
    rm -rf "$W"; mkdir -p "$W"
    ( cd "$W" && make_inputs && "$fn" )
    mkdir -p "$T/$variant/$side"
    for f in "$@"; do
      [ -f "$W/$f" ] || die "$variant/$side: $f was not produced"
      mv "$W/$f" "$T/$variant/$side/$f"
    done
  done
}

# --- GNU tar ------------------------------------------------------------------------
build_gnu()     { at tar --format=gnu -cf demo.tar "${FILES[@]}"; }
build_oldgnu()  { at tar -b 1 --format=oldgnu -cf demo.tar "${FILES[@]}"; }
build_ustar()   { at tar -b 1 --format=ustar -cf demo.tar "${FILES[@]}"; }
# v7 has no device entries and no symlink longer than 100 bytes: regular files, a dir, links.
build_v7()      { at tar -b 1 --format=v7 -cf demo.tar hello.txt data.bin run.sh sub sub/nested.txt hard.txt link.txt; }
# pax: an x header per entry with mtime (fraction), atime, ctime.
build_pax()     { at tar -b 1 --format=pax -cf demo.tar "${FILES[@]}"; }
build_gnu_long() { at tar -b 1 --format=gnu -cf demo.tar "${LONG[@]}"; }
build_pax_long() { at tar -b 1 --format=pax -cf demo.tar "${LONG[@]}"; }
# A level-0 incremental dump: dumpdir ('D') entries, and atime/ctime in every GNU header.
build_gnu_incremental() { at tar -b 1 --format=gnu --listed-incremental=snar -cf demo.tar hello.txt sub; rm -f snar; }
# Sparse files: GNU 'S' headers, and pax GNU.sparse 1.0 (the map at the start of the data).
build_sparse() {
  at tar -b 1 --format=gnu -S -cf gnu-sparse.tar hello.txt sparse.bin
  # GNU tar names the pax sparse entry ./GNUSparseFile.<pid>/sparse.bin: a new PID
  # namespace gives it the same pid in every build (unstamp keeps names).
  unshare --pid --fork bash -c "$(declare -f at); CLOCK='$CLOCK' ZTZ='$ZTZ' SHIM='$SHIM'; at tar -b 1 --format=pax -S -cf pax-sparse.tar hello.txt sparse.bin"
}
pair gnu             build_gnu             demo.tar
pair oldgnu          build_oldgnu          demo.tar
pair ustar           build_ustar           demo.tar
pair v7              build_v7              demo.tar
pair pax             build_pax             demo.tar
pair gnu-long        build_gnu_long        demo.tar
pair pax-long        build_pax_long        demo.tar
pair gnu-incremental build_gnu_incremental demo.tar
pair sparse          build_sparse          gnu-sparse.tar pax-sparse.tar

# --- bsdtar (libarchive) ----------------------------------------------------------------
# Default: ustar headers, pax x headers only where needed (the long path and link).
build_bsdtar()     { at bsdtar -b 1 -cf demo.tar "${FILES[@]}" "${LONG[@]:1}"; }
build_bsdtar_pax() { at bsdtar -b 1 --format pax -cf demo.tar "${FILES[@]}"; }
pair bsdtar     build_bsdtar     demo.tar
pair bsdtar-pax build_bsdtar_pax demo.tar

# --- nested: a static library (ar rcU: dates, owners) and a gzip (MTIME) inside a tar -----
build_nested() {
  at ar rcU libdemo.a hello.txt data.bin
  at gzip -c hello.txt > hello.txt.gz
  stamp libdemo.a hello.txt.gz
  at tar -b 1 --format=gnu -cf demo.tar hello.txt libdemo.a hello.txt.gz
}
pair nested build_nested demo.tar

# --- ids too large for the octal fields, names in pax records ---------------------------------
# uid/gid over 2097151 (7 octal digits): GNU format stores them base-256, pax
# and bsdtar in uid/gid records. --pax-option puts uname/gname records
# (GNU tar otherwise writes them for names over 32 bytes or not ASCII).
BIG_A=3000000:3000001 BIG_B=4000000:4000001
NAME_A=builder-a NAME_B=builder-b
build_big_ids() {
  local big=$BIG_A name=$NAME_A
  [ "$SIDE" = b ] && big=$BIG_B name=$NAME_B
  chown -h "$big" hello.txt run.sh sub sub/nested.txt
  at tar -b 1 --format=gnu -cf gnu-big.tar hello.txt run.sh sub
  at tar -b 1 --format=pax -cf pax-big.tar hello.txt run.sh sub
  at bsdtar -b 1 --format pax -cf bsdtar-big.tar hello.txt run.sh sub
  at tar -b 1 --format=pax --pax-option="uname:=$name,gname:=$name" -cf pax-names.tar hello.txt sub
  # Names over 32 bytes, which GNU tar stores in pax records by itself.
  local long="$name-a-user-name-longer-than-32-bytes"
  at tar -b 1 --format=pax --pax-option="uname:=$long,gname:=$long" -cf pax-long-names.tar hello.txt
}
pair big-ids build_big_ids gnu-big.tar pax-big.tar bsdtar-big.tar pax-names.tar pax-long-names.tar

# --- oracle: GNU tar's own reproducible output ------------------------------------------------
REPRO=(--sort=name --owner=0 --group=0 --numeric-owner --mtime=@0)
SORTED=(data.bin hard.txt hello.txt link.txt null run.sh sub)
for fmt in gnu ustar; do
  for kind in plain repro; do
    side_vars a
    rm -rf "$W"; mkdir -p "$W"
    flags=()
    [ "$kind" = repro ] && flags=("${REPRO[@]}")
    ( cd "$W" && make_inputs && at tar -b 1 --format=$fmt "${flags[@]}" -cf demo.tar "${SORTED[@]}" )
    mkdir -p "$T/oracle/$fmt/$kind"
    mv "$W/demo.tar" "$T/oracle/$fmt/$kind/demo.tar"
  done
done

{
  echo "# Tool versions used by samples/make-tar-samples.sh"
  echo "tar: $(tar --version | head -1)"
  echo "bsdtar: $(bsdtar --version)"
  echo "ar: $(ar --version | head -1)"
  echo "gzip: $(gzip --version | head -1)"
  echo "faketime: $(faketime --version 2>&1 | grep -m1 Version | sed 's/^faketime: //')"
} > "$T/VERSIONS.txt"

find "$T" -type d -exec chmod 0755 {} +
find "$T" -type f -exec chmod 0644 {} +
find "$T" -exec chown 0:0 {} +

# --- verification ---------------------------------------------------------------------------
fail=0
check() { "$@" >/dev/null 2>&1 || { echo "VERIFY FAILED: $*" >&2; fail=1; }; }
for v in "${VARIANTS[@]}"; do
  for fa in "$T/$v"/a/*; do
    f=$(basename "$fa")
    fb="$T/$v/b/$f"
    cmp -s "$fa" "$fb" && { echo "VERIFY FAILED: $v/$f: a and b are identical" >&2; fail=1; }
    check test "$(stat -c %s "$fa")" = "$(stat -c %s "$fb")"
    check test "$(stat -c %s "$fa")" -le 20480
    for s in "$fa" "$fb"; do
      check tar -tvf "$s"
      check bsdtar -tf "$s"
    done
  done
done
for fmt in gnu ustar; do
  cmp -s "$T/oracle/$fmt/plain/demo.tar" "$T/oracle/$fmt/repro/demo.tar" && { echo "VERIFY FAILED: oracle $fmt: plain = repro" >&2; fail=1; }
done
[ "$fail" = 0 ] || die "verification failed"
echo "make-tar-samples: done"
