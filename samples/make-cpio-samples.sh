#!/usr/bin/env bash
# Regenerate the cpio sample pairs in samples/cpio/.
#
#   bash samples/make-cpio-samples.sh     (from any directory; as root: it
#                                          chowns the input files, makes a
#                                          device node and mounts two tmpfs
#                                          in a private mount namespace)
#
# Every pair samples/cpio/<variant>/{a,b}/<file> is the same archiver command
# run twice on two copies (cp -a) of one input tree. Each copy lives on a tmpfs
# of its own, so the two builds see different device numbers (st_dev) and
# different inode numbers (build b copies each tree twice and archives the
# second copy). Between a and b only the nondeterministic inputs
# change:
#
#                       build a                          build b
#   clock (frozen)      2021-03-04 05:06:07 UTC          2023-09-10 11:12:13 UTC
#   input mtimes        2020-01-02 03:04:05 UTC          2022-06-07 08:09:10 UTC
#   (touch -d)          = 1577934245                     = 1654589350
#   owner (chown)       1000:1000                        4321:8765
#   TZ of the archiver  America/New_York                 Asia/Tokyo
#   file system         tmpfs 1                          tmpfs 2 (other st_dev, other inodes)
#
# (the clocks and mtimes are those of samples/make-samples.sh). Modes are the
# same in both builds: cpio stores them and unstamp keeps them.
#
# The tree (in archive order where the tool takes a list): a directory sub/,
# hello.txt and its hard link sub/hello-link.txt, a symbolic link link.txt ->
# hello.txt, an empty file, notes.txt.gz (gzip -k of a text file: its MTIME is
# the build's mtime) and libnotes.a (GNU ar rcU of the same text file: its
# member header holds the build's mtime and owner). The initramfs pairs are
# made the way initramfs tools make them, `find . | cpio -o -H newc`, from a
# small root with a device node (dev/console, c 5 1) and a hard link
# (bin/sh -> bin/busybox); initramfs-early puts an early microcode archive in
# front of it (cat early.cpio main.cpio), as dracut and the kernel's
# early-load documentation do.
#
# Tools: GNU cpio (newc, crc, odc, bin), bsdtar (libarchive-tools: newc, odc
# as --format cpio, bin), GNU gzip, GNU ar, faketime, unshare.
#
# The script is idempotent: it deletes samples/cpio/<every variant> and
# samples/cpio/VERSIONS.txt and recreates them. With the tool versions in
# VERSIONS.txt a rerun gives byte-identical files.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
unset SOURCE_DATE_EPOCH

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
C="$HERE/cpio"
BUILD=/tmp/unstamp-cpio-build

CLOCK_A='2021-03-04 05:06:07'
CLOCK_B='2023-09-10 11:12:13'
MTIME_A='2020-01-02 03:04:05'
MTIME_B='2022-06-07 08:09:10'
OWNER_A=1000:1000
OWNER_B=4321:8765
TZ_A=America/New_York
TZ_B=Asia/Tokyo

# The archive inputs, in archive order, for the tools that take a list.
FILES=(sub hello.txt empty link.txt notes.txt.gz libnotes.a sub/hello-link.txt)

VARIANTS=(gnu-newc gnu-crc gnu-odc gnu-bin bsdtar-newc bsdtar-odc bsdtar-bin initramfs initramfs-early)

die() { echo "make-cpio-samples: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (chown to arbitrary uid/gid, mknod)"
for tool in cpio bsdtar gzip ar faketime unshare cmp; do
  command -v "$tool" >/dev/null || die "missing tool: $tool (see the header of this script)"
done

# Two tmpfs in a private mount namespace: one per build, so st_dev differs.
if [ -z "${UNSTAMP_CPIO_NS:-}" ]; then
  mkdir -p "$BUILD"
  rc=0
  UNSTAMP_CPIO_NS=1 unshare --mount --propagation private bash "${BASH_SOURCE[0]}" "$@" || rc=$?
  rmdir "$BUILD" 2>/dev/null || true
  exit "$rc"
fi
mount -t tmpfs -o mode=0755 unstamp-cpio "$BUILD"
mkdir -p "$BUILD/master" "$BUILD/a" "$BUILD/b"
mount -t tmpfs -o mode=0755 unstamp-cpio-a "$BUILD/a"
mount -t tmpfs -o mode=0755 unstamp-cpio-b "$BUILD/b"
[ "$(stat -c %d "$BUILD/a")" != "$(stat -c %d "$BUILD/b")" ] || die "the two tmpfs share a device number"

# at CMD...: run CMD under the frozen clock $CLOCK (UTC) in time zone $ZTZ.
# NO_FAKE_STAT=1: stat() reports the real (touch -d) mtimes, not the clock.
at() {
  local local_clock
  local_clock=$(TZ=$ZTZ date -d "@$(date -u -d "$CLOCK UTC" +%s)" '+%Y-%m-%d %H:%M:%S')
  env TZ="$ZTZ" NO_FAKE_STAT=1 faketime -f "$local_clock" "$@"
}

side_vars() {  # side_vars a|b: set CLOCK MTIME OWNER ZTZ
  if [ "$1" = a ]; then CLOCK=$CLOCK_A MTIME=$MTIME_A OWNER=$OWNER_A ZTZ=$TZ_A
  else CLOCK=$CLOCK_B MTIME=$MTIME_B OWNER=$OWNER_B ZTZ=$TZ_B; fi
}

# stamp: give everything under the current directory this side's owner and
# mtime (directories last, so touching their contents does not move them).
stamp() {
  find . -mindepth 1 -exec chown -h "$OWNER" {} +
  chown "$OWNER" .
  find . -mindepth 1 ! -type d -exec touch -h -d "$MTIME UTC" {} +
  find . -depth -type d -exec touch -d "$MTIME UTC" {} +
}

# --- the master trees (made once; every build copies them) -------------------
mkdir -p "$BUILD/master/demo/sub"
(
  cd "$BUILD/master/demo"
  printf 'unstamp cpio sample: a text file with a hard link.\n' > hello.txt
  ln hello.txt sub/hello-link.txt
  ln -s hello.txt link.txt
  : > empty
  printf 'notes: gzip and ar keep their own timestamps inside the archive.\n' > notes.txt
  chmod 0644 hello.txt empty notes.txt
)
mkdir -p "$BUILD/master/root"/{bin,dev,etc,lib,proc,sys}
(
  cd "$BUILD/master/root"
  printf '#!/bin/sh\n# unstamp initramfs sample: stands in for busybox\necho "$0"\n' > bin/busybox
  chmod 0755 bin/busybox
  ln bin/busybox bin/sh
  mknod -m 0600 dev/console c 5 1
  printf 'unstamp\n' > etc/hostname
  printf '#!/bin/sh\nexec /bin/sh\n' > init
  chmod 0755 init
  ln -s lib lib64
)
mkdir -p "$BUILD/master/early/kernel/x86/microcode"
printf 'stand-in for a CPU microcode update\n' > "$BUILD/master/early/kernel/x86/microcode/GenuineIntel.bin"

# tree NAME: a fresh copy of master tree NAME in $BUILD/$SIDE/NAME, stamped; prints its path.
# Each tmpfs numbers its inodes from the same start, so build b copies the tree
# once more first (and throws that copy away): its inode numbers differ too.
tree() {
  local dir="$BUILD/$SIDE/$1"
  rm -rf "$dir"
  if [ "$SIDE" = b ]; then cp -a "$BUILD/master/$1" "$dir.spare"; fi
  cp -a "$BUILD/master/$1" "$dir"
  ( cd "$dir" && stamp )
  echo "$dir"
}

# The demo tree gets its nested archives per build: gzip records notes.txt's
# mtime, ar its mtime, owner and mode.
demo_tree() {
  local dir
  dir=$(tree demo)
  (
    cd "$dir"
    at gzip -k -9 notes.txt
    at ar rcU libnotes.a notes.txt 2>/dev/null
    rm notes.txt
    chown -h "$OWNER" notes.txt.gz libnotes.a
    touch -d "$MTIME UTC" notes.txt.gz libnotes.a .
  )
  echo "$dir"
}

# --- the builds ------------------------------------------------------------------------
gnu()    { printf '%s\n' "${FILES[@]}" | at cpio --quiet -o -H "$1"; }
libarchive() { at bsdtar --format "$1" -n -b 1 -cf - "${FILES[@]}"; }

build() {  # build VARIANT: the archive on stdout, run inside $BUILD/$SIDE
  local dir
  case "$1" in
    gnu-newc)    dir=$(demo_tree); ( cd "$dir" && gnu newc ) ;;
    gnu-crc)     dir=$(demo_tree); ( cd "$dir" && gnu crc ) ;;
    gnu-odc)     dir=$(demo_tree); ( cd "$dir" && gnu odc ) ;;
    gnu-bin)     dir=$(demo_tree); ( cd "$dir" && gnu bin ) ;;
    bsdtar-newc) dir=$(demo_tree); ( cd "$dir" && libarchive newc ) ;;
    bsdtar-odc)  dir=$(demo_tree); ( cd "$dir" && libarchive cpio ) ;;
    bsdtar-bin)  dir=$(demo_tree); ( cd "$dir" && libarchive bin ) ;;
    initramfs)   dir=$(tree root); ( cd "$dir" && find . | at cpio --quiet -o -H newc ) ;;
    initramfs-early)
      dir=$(tree early); ( cd "$dir" && find . | at cpio --quiet -o -H newc )
      dir=$(tree root); ( cd "$dir" && find . | at cpio --quiet -o -H newc ) ;;
  esac
}

file_of() { case "$1" in initramfs*) echo initramfs.cpio ;; *) echo demo.cpio ;; esac; }

for v in "${VARIANTS[@]}"; do rm -rf "${C:?}/$v"; done
rm -f "$C/VERSIONS.txt"
for v in "${VARIANTS[@]}"; do
  for SIDE in a b; do
    side_vars "$SIDE"
    mkdir -p "$C/$v/$SIDE"
    build "$v" > "$C/$v/$SIDE/$(file_of "$v")"
  done
done

{
  echo "# Tool versions used by samples/make-cpio-samples.sh"
  echo "cpio: $(cpio --version | head -1) (Debian cpio $(dpkg-query -W -f '${Version}' cpio 2>/dev/null))"
  echo "bsdtar: $(bsdtar --version)"
  echo "gzip: $(gzip --version | head -1), ar: $(ar --version | head -1)"
  echo "faketime: $(dpkg-query -W -f '${Version}' faketime 2>/dev/null), tzdata: $(dpkg-query -W -f '${Version}' tzdata 2>/dev/null)"
} > "$C/VERSIONS.txt"

find "${VARIANTS[@]/#/$C/}" -type d -exec chmod 0755 {} +
find "${VARIANTS[@]/#/$C/}" -type f -exec chmod 0644 {} +

# --- verification ---------------------------------------------------------------------------
fail=0
for v in "${VARIANTS[@]}"; do
  f=$(file_of "$v")
  for s in a b; do
    cpio --quiet -t < "$C/$v/$s/$f" > "$BUILD/list-$s" || { echo "VERIFY FAILED: cpio -t $v/$s/$f" >&2; fail=1; }
    bsdtar -tf "$C/$v/$s/$f" > /dev/null || { echo "VERIFY FAILED: bsdtar -tf $v/$s/$f" >&2; fail=1; }
  done
  cmp -s "$BUILD/list-a" "$BUILD/list-b" || { echo "VERIFY FAILED: $v: a and b list different entries" >&2; fail=1; }
  ! cmp -s "$C/$v/a/$f" "$C/$v/b/$f" || { echo "VERIFY FAILED: $v: a and b are identical" >&2; fail=1; }
done
[ "$fail" = 0 ] || die "verification failed"
n=$(find "${VARIANTS[@]/#/$C/}" -type f | wc -l)
bytes=$(find "${VARIANTS[@]/#/$C/}" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "make-cpio-samples: ok ($n files, $bytes bytes)"
