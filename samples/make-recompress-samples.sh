#!/usr/bin/env bash
# Regenerate the payload (recompress) sample pairs in samples/gzip-payload/.
#
#   bash samples/make-recompress-samples.sh     (from any directory; as root: it chowns inputs)
#
# Every pair samples/gzip-payload/<variant>/{a,b}/<file> is a compressed file whose payload
# is a format unstamp knows, made twice by the same commands. Between a and b only the
# nondeterministic inputs change:
#
#                       build a                          build b
#   clock (faketime)    2021-03-04 05:06:07 UTC          2023-09-10 11:12:13 UTC
#   input mtimes        2020-01-02 03:04:05 UTC          2022-06-07 08:09:10 UTC
#   owner (chown)       1000:1000                        4321:8765
#
# Variants:
#   a-gz-9     ar rcU (real times and owners) | gzip -9         XFL 2: recompressed at level 9
#   a-gz-1     ar rcU                         | gzip -1         XFL 4: level 1
#   zip-gz     zip (Info-ZIP, extra fields)  then gzip          XFL 0: level 6
#   gz-gz      gzip -c of a file, gzipped again (a gzip inside a gzip)
#   multi      two gzip members, the first an ar: the payload is left alone
#   tgz-gnu    tar --format=gnu -czf (GNU tar runs gzip on a pipe: MTIME 0, no FNAME)
#   tgz-pax-9  tar --format=pax -cf - | gzip -9
#   tgz-bsdtar bsdtar -czf (libarchive's own gzip writer)
#   cpio-gz    cpio -o -H newc | gzip -9 (inode numbers differ: each build copies its inputs afresh)
#   deb        dpkg-deb -Zgzip --build: an ar holding control.tar.gz and data.tar.gz (the nested case)
#   zip-a      zip (Info-ZIP) with the ar deflated in it (zip's recompress path)
#   zip64-a    bsdtar --options zip:zip64 with the ar deflated in it (local zip64 extras,
#              8-byte data descriptors, zip64 end records)
#
# Tools: GNU ar, GNU gzip, GNU tar, bsdtar, GNU cpio, dpkg-deb, Info-ZIP zip, faketime (versions in VERSIONS.txt beside the pairs).
# The script is idempotent: it deletes samples/gzip-payload and recreates it.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
unset SOURCE_DATE_EPOCH GZIP ZIP ZIPOPT

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/gzip-payload"
W="$(mktemp -d /tmp/unstamp-recompress-build.XXXXXX)"
trap 'rm -rf "$W"' EXIT

CLOCK_a='2021-03-04 05:06:07'; CLOCK_b='2023-09-10 11:12:13'
MTIME_a='2020-01-02 03:04:05 UTC'; MTIME_b='2022-06-07 08:09:10 UTC'
OWNER_a='1000:1000'; OWNER_b='4321:8765'

at() { local b=$1; shift; eval "NO_FAKE_STAT=1 faketime -f \"@\${CLOCK_$b}\" \"\$@\""; }

# Fresh identical inputs with build b's mtimes and owner.
inputs() {
  local b=$1 d=$2
  rm -rf "$d"; mkdir -p "$d"
  printf 'hello from a member\n' > "$d/hello.txt"
  printf 'second member, a little longer so that deflate has work to do %.0s\n' 1 2 3 4 5 6 7 8 > "$d/data.txt"
  eval "touch -d \"\${MTIME_$b}\" \"$d/hello.txt\" \"$d/data.txt\""
  eval "chown \"\${OWNER_$b}\" \"$d/hello.txt\" \"$d/data.txt\""
}

cc -shared -fPIC -O2 -Wall -o "$W/fake-ctime.so" "$HERE/zip/tools/fake-ctime.c" -ldl
rm -rf "$OUT"
for b in a b; do
  in="$W/in-$b"
  inputs "$b" "$in"
  for v in a-gz-9 a-gz-1 zip-gz gz-gz multi tgz-gnu tgz-pax-9 tgz-bsdtar cpio-gz deb zip-a zip64-a; do mkdir -p "$OUT/$v/$b"; done
  (cd "$in" && at "$b" ar rcU lib.a hello.txt data.txt)
  # gzip stores its input's mtime: that of a file the build just made, i.e. the clock.
  eval "touch -d \"\${CLOCK_$b} UTC\" \"$in/lib.a\""
  at "$b" gzip -9 -c "$in/lib.a" > "$OUT/a-gz-9/$b/lib.a.gz"
  at "$b" gzip -1 -c "$in/lib.a" > "$OUT/a-gz-1/$b/lib.a.gz"
  # ar read the inputs (relatime bumped their atime, which zip records): touch them again.
  eval "touch -d \"\${MTIME_$b}\" \"$in/hello.txt\" \"$in/data.txt\""
  (cd "$in" && at "$b" zip -q -X- bundle.zip hello.txt data.txt)
  eval "touch -d \"\${CLOCK_$b} UTC\" \"$in/bundle.zip\""
  at "$b" gzip -c "$in/bundle.zip" > "$OUT/zip-gz/$b/bundle.zip.gz"
  at "$b" gzip -c "$in/hello.txt" > "$in/hello.txt.gz"
  eval "touch -d \"\${MTIME_$b}\" \"$in/hello.txt.gz\""
  at "$b" gzip -c "$in/hello.txt.gz" > "$OUT/gz-gz/$b/hello.txt.gz.gz"
  { at "$b" gzip -c "$in/lib.a"; at "$b" gzip -c "$in/hello.txt"; } > "$OUT/multi/$b/lib.a.gz"
  eval "touch -d \"\${MTIME_$b}\" \"$in/hello.txt\" \"$in/data.txt\""
  at "$b" tar --format=gnu -czf "$OUT/tgz-gnu/$b/demo.tar.gz" -C "$in" hello.txt data.txt
  # pax records every file's atime and ctime, which the kernel sets for real: pinned to the
  # build's clock (as a build at that moment would record them) so that reruns match.
  clock=$(eval "date -d \"\${CLOCK_$b} UTC\" +%s")
  at "$b" tar --format=pax --pax-option="exthdr.name=%d/PaxHeaders/%f,atime:=$clock,ctime:=$clock" -cf - -C "$in" hello.txt data.txt | at "$b" gzip -9 > "$OUT/tgz-pax-9/$b/demo.tar.gz"
  eval "touch -d \"\${MTIME_$b}\" \"$in/hello.txt\" \"$in/data.txt\""
  at "$b" bsdtar -czf "$OUT/tgz-bsdtar/$b/demo.tar.gz" -C "$in" hello.txt data.txt
  # cpio records inode numbers: the inputs are made on a fresh tmpfs in a private mount
  # namespace (each numbers its inodes from the same start), build b copying them twice
  # first so that its numbers differ from build a's.
  mkdir -p "$W/fs-$b"
  unshare --mount bash -c '
    set -euo pipefail
    mount -t tmpfs tmpfs "$1" && cd "$1"
    cp -p "$2/hello.txt" "$2/data.txt" .
    if [ "$3" = b ]; then mkdir c && cp -p hello.txt data.txt c/ && rm hello.txt data.txt && cp -p c/* . && rm -r c; fi
    eval "touch -d \"\$4\" hello.txt data.txt"
    printf "hello.txt\ndata.txt\n" | NO_FAKE_STAT=1 faketime -f "@$5" cpio --quiet -o -H newc | NO_FAKE_STAT=1 faketime -f "@$5" gzip -9
  ' _ "$W/fs-$b" "$in" "$b" "$(eval echo "\${MTIME_$b}")" "$(eval echo "\${CLOCK_$b}")" > "$OUT/cpio-gz/$b/demo.cpio.gz"
  # A package tree owned by the build's owner; dpkg-deb stamps the ar members with the clock.
  pkg="$W/pkg-$b"
  mkdir -p "$pkg/DEBIAN" "$pkg/usr/share/doc/demo"
  printf 'Package: demo\nVersion: 1.0\nArchitecture: all\nMaintainer: Demo <demo@example.com>\nDescription: demo package\n' > "$pkg/DEBIAN/control"
  cp "$in/hello.txt" "$pkg/usr/share/doc/demo/README"
  eval "chown -R \"\${OWNER_$b}\" \"$pkg\""
  eval "find \"$pkg\" -exec touch -h -d \"\${MTIME_$b}\" {} +"
  at "$b" dpkg-deb -Zgzip --build "$pkg" "$OUT/deb/$b/demo.deb" > /dev/null
  eval "touch -d \"\${MTIME_$b}\" \"$in/hello.txt\" \"$in/lib.a\""
  (cd "$in" && at "$b" zip -q -X "$OUT/zip-a/$b/demo.zip" hello.txt lib.a)
  eval "touch -d \"\${MTIME_$b}\" \"$in/hello.txt\" \"$in/lib.a\""
  # bsdtar records each file's ctime, which the kernel sets for real: the zip samples'
  # shim (samples/zip/tools/fake-ctime.c) makes stat() report the build's clock instead.
  eval "FAKE_CTIME=\$(date -d \"\${CLOCK_$b} UTC\" +%s)" LD_PRELOAD="$W/fake-ctime.so" \
    at "$b" bsdtar --format zip --options zip:zip64 -cf "$OUT/zip64-a/$b/demo.zip" -C "$in" hello.txt lib.a
done

{
  echo "# Tool versions used by samples/make-recompress-samples.sh"
  echo "ar: $(ar --version | head -1)"
  echo "gzip: $(gzip --version | head -1)"
  echo "zip: $(zip -v | sed -n 2p | sed 's/^ *//')"
  echo "tar: $(tar --version | head -1)"
  echo "bsdtar: $(bsdtar --version)"
  echo "cpio: $(cpio --version | head -1)"
  echo "dpkg-deb: $(dpkg-deb --version | head -1)"
  echo "faketime: $(dpkg-query -W -f '${Version}' faketime)"
} > "$OUT/VERSIONS.txt"
echo "made: $(cd "$OUT" && find . -type f | sort | tr '\n' ' ')"
