#!/usr/bin/env bash
# Regenerate the committed sample files used by unstamp's tests.
#
#   bash samples/make-samples.sh        (from any directory; must run as root
#                                        because it chowns member files)
#
# Every pair samples/<format>/<variant>/{a,b}/<file> is built from byte-identical
# member contents; a and b differ only in nondeterministic metadata:
#   - the archiver's clock (faketime, frozen), which GNU/LLVM ar use for the
#     symbol table date in U mode,
#   - member file mtimes (touch -d),
#   - member file owners (chown) and permission bits (chmod).
# Oracle sets samples/ar/oracle/<tool>/{U,D}/ are the same members archived once
# with the U modifier (real metadata, "b" owners/times) and once with D
# (the tool's own deterministic mode): a normalizer must turn U into D exactly.
#
# The script is idempotent: it deletes samples/ar, samples/gzip and
# samples/VERSIONS.txt and recreates them. Sources live in samples/src/ and are
# never modified. Because the fake clock is frozen (faketime -f) and all dates
# are fixed, a rerun with the same tool versions reproduces every file
# byte for byte.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/src"

# --- build "a" / build "b" metadata -------------------------------------------
CLOCK_A='2021-03-04 05:06:07'   # faketime clock around the archiver, build a
CLOCK_B='2023-09-10 11:12:13'   # faketime clock around the archiver, build b
MTIME_A='2020-01-02 03:04:05'   # member file mtimes (touch -d), build a
MTIME_B='2022-06-07 08:09:10'   # member file mtimes (touch -d), build b
OWNER_A='1000:1000'
OWNER_B='4321:8765'
PERM_A='0644'
PERM_B='0664'

# Archive member order (notes.txt is 37 bytes: odd size -> "\n" padding byte,
# and it is followed by another member).
MEMBERS=(add.o notes.txt a_rather_long_object_name.o second_long_member.o)

die() { echo "make-samples: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (chown to arbitrary uid/gid)"
for tool in ar llvm-ar cc faketime gzip perl touch chown cmp; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
perl -MIO::Compress::Gzip -e1 2>/dev/null || die "missing perl module IO::Compress::Gzip"
[ -r /usr/include/zlib.h ] || die "missing zlib.h (apt-get install -y zlib1g-dev)"

BUILD="$(mktemp -d "${TMPDIR:-/tmp}/unstamp-samples.XXXXXX")"
trap 'rm -rf "$BUILD"' EXIT

# Run an archiver with a frozen fake clock ("-f" = absolute, non-advancing).
# NO_FAKE_STAT=1 is essential: by default libfaketime also rewrites the
# st_mtime that stat()/fstat() report, so ar would record the fake clock as
# every member's date instead of the touch -d mtime.
at() { local when="$1"; shift; NO_FAKE_STAT=1 faketime -f "$when" "$@"; }

# --- compile the objects once -------------------------------------------------
mkdir -p "$BUILD/obj"
cp "$SRC"/add.c "$SRC"/a_rather_long_object_name.c "$SRC"/second_long_member.c \
   "$SRC"/notes.txt "$BUILD/obj/"
(
  cd "$BUILD/obj"
  for c in add.c a_rather_long_object_name.c second_long_member.c; do
    cc -O2 -c "$c"
  done
)

# stage DIR OWNER PERM MTIME: copy the identical members into DIR and give them
# the build's metadata.
stage() {
  local dir="$1" owner="$2" perm="$3" mtime="$4" m
  rm -rf "$dir"
  mkdir -p "$dir"
  for m in "${MEMBERS[@]}"; do
    cp "$BUILD/obj/$m" "$dir/$m"
    chmod "$perm" "$dir/$m"
    chown "$owner" "$dir/$m"
    touch -d "$mtime" "$dir/$m"
  done
}

stage "$BUILD/members/a" "$OWNER_A" "$PERM_A" "$MTIME_A"
stage "$BUILD/members/b" "$OWNER_B" "$PERM_B" "$MTIME_B"

# --- recreate output tree -----------------------------------------------------
rm -rf "$HERE/ar" "$HERE/gzip" "$HERE/invalid" "$HERE/VERSIONS.txt"

# make_archive OUT CLOCK MEMBERDIR CMD...: run "CMD ARCHIVE MEMBERS..." inside
# MEMBERDIR (so member names / thin-archive paths are plain relative names)
# under the fake clock, then move the archive to OUT.
make_archive() {
  local out="$1" clock="$2" mdir="$3"; shift 3
  local tmpname="__out.a"
  rm -f "$mdir/$tmpname"
  ( cd "$mdir" && at "$clock" "$@" "$tmpname" "${MEMBERS[@]}" )
  # GNU ar must be able to read it where the (thin) members still exist.
  ( cd "$mdir" && ar t "$tmpname" >/dev/null ) || die "ar t failed: $out"
  mkdir -p "$(dirname "$out")"
  mv "$mdir/$tmpname" "$out"
  chown 0:0 "$out"; chmod 0644 "$out"
}

# pair VARIANT FILE CMD...: build samples/ar/VARIANT/{a,b}/FILE
pair() {
  local variant="$1" file="$2"; shift 2
  make_archive "$HERE/ar/$variant/a/$file" "$CLOCK_A" "$BUILD/members/a" "$@"
  make_archive "$HERE/ar/$variant/b/$file" "$CLOCK_B" "$BUILD/members/b" "$@"
}

# GNU ar (binutils): U = real mtime/uid/gid/mode, s = symbol table "/".
pair gnu       libdemo.a ar rcsU
# GNU thin archive. binutils 2.40 marks the "T" modifier deprecated
# ("use --thin instead"), so --thin is used.
pair gnu-thin  libthin.a ar rcsU --thin
# llvm-ar, GNU format ("/" symbol table, "//" long-name table).
pair llvm-gnu  libdemo.a llvm-ar rcsU --format=gnu
# llvm-ar, BSD format ("#1/N" names, "__.SYMDEF" symbol table).
pair llvm-bsd  libdemo.a llvm-ar rcsU --format=bsd
# llvm-ar thin archive (GNU "!<thin>" format).
pair llvm-thin libthin.a llvm-ar rcsU --thin
# llvm-ar GNU format with a 64-bit symbol table "/SYM64/". llvm-ar switches to
# SYM64 when member offsets need more than 32 bits; its SYM64_THRESHOLD
# environment variable (LLVM's own testing knob) lowers that cutoff so a small
# archive gets one. GNU ar/nm read it fine.
pair llvm-sym64 libdemo.a env SYM64_THRESHOLD=0 llvm-ar rcsU --format=gnu

# Empty archive made by a real tool: GNU ar creates an archive with one member
# and then deletes it; binutils then writes just the 8-byte "!<arch>\n" magic.
# (a and b are necessarily identical.)
for side in a b; do
  clock=$CLOCK_A; [ "$side" = b ] && clock=$CLOCK_B
  d="$BUILD/empty-$side"; mkdir -p "$d"
  cp "$BUILD/members/$side/notes.txt" "$d/"
  ( cd "$d" && at "$clock" ar rcU empty.a notes.txt && at "$clock" ar dU empty.a notes.txt )
  mkdir -p "$HERE/ar/empty/$side"
  mv "$d/empty.a" "$HERE/ar/empty/$side/empty.a"
done

# Symbol table but no members, made by a real tool: llvm-ar with
# --format=darwin and no member files writes a "#1/12" member named
# "__.SYMDEF\0\0\0" holding an empty ranlib table (8 zero bytes). GNU ar,
# llvm-ar --format=gnu/bsd and ranlib/llvm-ranlib all write only "!<arch>\n"
# in this situation (and after deleting the last member).
for side in a b; do
  clock=$CLOCK_A; [ "$side" = b ] && clock=$CLOCK_B
  d="$BUILD/symtab-only-$side"; mkdir -p "$d"
  ( cd "$d" && at "$clock" llvm-ar rcsU --format=darwin symtab-only.a )
  mkdir -p "$HERE/ar/symtab-only/$side"
  mv "$d/symtab-only.a" "$HERE/ar/symtab-only/$side/symtab-only.a"
done

# Oracles: same members ("b" owners/perms/mtimes, "b" clock), U vs D.
# oracle NAME FILE ARCHIVER [EXTRA_ARGS...]
oracle() {
  local name="$1" file="$2" archiver="$3"; shift 3
  local m
  for m in U D; do
    make_archive "$HERE/ar/oracle/$name/$m/$file" "$CLOCK_B" "$BUILD/members/b" \
      "$archiver" "rcs$m" "$@"
  done
}
oracle gnu       libdemo.a ar
oracle gnu-thin  libthin.a ar --thin
oracle llvm-gnu  libdemo.a llvm-ar --format=gnu
oracle llvm-bsd  libdemo.a llvm-ar --format=bsd
oracle llvm-thin libthin.a llvm-ar --thin
(
  export SYM64_THRESHOLD=0
  oracle llvm-sym64 libdemo.a llvm-ar --format=gnu
)
# symtab-only oracle (llvm-ar darwin format, no members)
for m in U D; do
  d="$BUILD/symtab-only-oracle-$m"; mkdir -p "$d"
  ( cd "$d" && at "$CLOCK_B" llvm-ar "rcs$m" --format=darwin symtab-only.a )
  mkdir -p "$HERE/ar/oracle/llvm-darwin-symtab-only/$m"
  mv "$d/symtab-only.a" "$HERE/ar/oracle/llvm-darwin-symtab-only/$m/symtab-only.a"
done

# --- gzip ---------------------------------------------------------------------
# gz_stage SIDE FILE...: copy text files into $BUILD/gz/SIDE with that side's mtime
gz_stage() {
  local side="$1"; shift
  local mtime=$MTIME_A; [ "$side" = b ] && mtime=$MTIME_B
  local d="$BUILD/gz/$side" f
  mkdir -p "$d"
  for f in "$@"; do
    cp "$SRC/$f" "$d/$f"
    touch -d "$mtime" "$d/$f"
  done
}

for side in a b; do
  gz_stage "$side" hello.txt part1.txt part2.txt
  d="$BUILD/gz/$side"
  # GNU gzip without -n: header stores FNAME "hello.txt" and the file's MTIME.
  mkdir -p "$HERE/gzip/gnu/$side"
  ( cd "$d" && gzip -c hello.txt ) > "$HERE/gzip/gnu/$side/hello.txt.gz"
  # GNU gzip -n: no name, MTIME 0 (already deterministic; a == b).
  mkdir -p "$HERE/gzip/gnu-n/$side"
  ( cd "$d" && gzip -n -c hello.txt ) > "$HERE/gzip/gnu-n/$side/hello.txt.gz"
  # Two-member gzip file: concatenation of two gzip outputs (no -n).
  mkdir -p "$HERE/gzip/multi/$side"
  ( cd "$d" && gzip -c part1.txt && gzip -c part2.txt ) > "$HERE/gzip/multi/$side/multi.gz"
done

# A container holding a member of another format: GNU ar of the "gnu" gzip
# output, so both the ar headers and the nested gzip MTIME differ between builds.
for side in a b; do
  clock=$CLOCK_A; [ "$side" = b ] && clock=$CLOCK_B
  d="$BUILD/nest/$side"; rm -rf "$d"; mkdir -p "$d"
  cp "$HERE/gzip/gnu/$side/hello.txt.gz" "$d/"
  touch -r "$BUILD/gz/$side/hello.txt" "$d/hello.txt.gz"
  mkdir -p "$HERE/ar/gnu-nested-gz/$side"
  ( cd "$d" && at "$clock" ar rcU "$HERE/ar/gnu-nested-gz/$side/libdata.a" hello.txt.gz )
done

# All optional header fields: FEXTRA (one subfield "AB" = "xyz"), FNAME
# "full.txt", FCOMMENT "sample comment", FHCRC. Made with zlib's own
# deflateSetHeader() (src/zlib-full-gzip.c), which computes the header CRC16
# correctly.
#
# Perl IO::Compress::Gzip (2.106 here) cannot be used for FHCRC: it writes
# pack("v", crc32(header) & 0x00FF), i.e. only the low byte of the CRC16, so
# GNU gzip ("header checksum ... != computed checksum") and zlib/node
# ("header crc mismatch") reject its output. So:
#   gzip/zlib-full          zlib, FEXTRA+FNAME+FCOMMENT+FHCRC (valid)
#   gzip/perl-full          Perl, FEXTRA+FNAME+FCOMMENT, no FHCRC (valid)
#   invalid/gzip-perl-hcrc  Perl with HeaderCRC => 1 (INVALID header CRC,
#                           kept as a negative / real-world-bug sample)
GZ_TIME_A=$(date -u -d "$CLOCK_A" +%s)
GZ_TIME_B=$(date -u -d "$CLOCK_B" +%s)
cc -O2 -o "$BUILD/zlib-full-gzip" "$SRC/zlib-full-gzip.c" -lz

perl_gzip() {  # perl_gzip IN OUT TIME HEADERCRC
  perl -MIO::Compress::Gzip=gzip,'$GzipError' -e '
    my ($in, $out, $time, $hcrc) = @ARGV;
    gzip($in => $out,
         Time       => $time,
         Name       => "full.txt",
         Comment    => "sample comment",
         ExtraField => [ [ "AB" => "xyz" ] ],
         HeaderCRC  => $hcrc,
         Minimal    => 0)
      or die "gzip failed: $GzipError\n";
  ' "$@"
}

for side in a b; do
  t=$GZ_TIME_A; [ "$side" = b ] && t=$GZ_TIME_B
  mkdir -p "$HERE/gzip/zlib-full/$side" "$HERE/gzip/perl-full/$side" \
           "$HERE/invalid/gzip-perl-hcrc/$side"
  "$BUILD/zlib-full-gzip" "$SRC/full.txt" "$HERE/gzip/zlib-full/$side/full.gz" "$t"
  perl_gzip "$SRC/full.txt" "$HERE/gzip/perl-full/$side/full.gz" "$t" 0
  perl_gzip "$SRC/full.txt" "$HERE/invalid/gzip-perl-hcrc/$side/full.gz" "$t" 1
done

# --- tool versions --------------------------------------------------------------
{
  echo "# Tool versions used by samples/make-samples.sh"
  echo "ar: $(ar --version | head -n1)"
  echo "llvm-ar: $(llvm-ar --version | sed -n 's/^ *//; /LLVM version/p' | head -n1)"
  echo "gzip: $(gzip --version | head -n1)"
  echo "cc: $(cc --version | head -n1)"
  echo "perl: $(perl -e 'printf "%vd", $^V')"
  echo "zlib: $(sed -n 's/^#define ZLIB_VERSION "\(.*\)"/\1/p' /usr/include/zlib.h) (headers; runtime via cc -lz)"
  echo "IO::Compress::Gzip: $(perl -MIO::Compress::Gzip -e 'print $IO::Compress::Gzip::VERSION')"
  echo "faketime: $(faketime --version 2>&1 | sed -n 's/^faketime: *//p' | head -n1)"
} > "$HERE/VERSIONS.txt"

find "$HERE/ar" "$HERE/gzip" "$HERE/invalid" -exec chown 0:0 {} + -exec chmod u=rwX,go=rX {} +

# --- verification ---------------------------------------------------------------
fail=0
check() { if ! "$@"; then echo "VERIFY FAILED: $*" >&2; fail=1; fi; }

# Pairs that are identical by construction.
same_ok() { case "$1" in */ar/empty|*/gzip/gnu-n) return 0;; *) return 1;; esac; }

while IFS= read -r vdir; do
  f=$(cd "$vdir/a" && ls)
  if same_ok "$vdir"; then
    check cmp -s "$vdir/a/$f" "$vdir/b/$f"
  else
    check test -n "$(cmp "$vdir/a/$f" "$vdir/b/$f" 2>&1 || true)"
  fi
done < <(find "$HERE/ar" "$HERE/gzip" -mindepth 1 -maxdepth 1 -type d ! -path '*/oracle*' | sort)

while IFS= read -r odir; do
  f=$(cd "$odir/U" && ls)
  check test -n "$(cmp "$odir/U/$f" "$odir/D/$f" 2>&1 || true)"
done < <(find "$HERE/ar/oracle" -mindepth 1 -maxdepth 1 -type d | sort)

while IFS= read -r a; do
  # GNU ar needs the member files of a thin archive to list it; they are not
  # committed next to the thin archives, so use llvm-ar for those.
  if head -c 8 "$a" | grep -q '!<thin>'; then
    check llvm-ar t "$a" >/dev/null
  else
    check ar t "$a" >/dev/null
    check llvm-ar t "$a" >/dev/null
  fi
done < <(find "$HERE/ar" -name '*.a' | sort)

while IFS= read -r g; do
  check gzip -t "$g"
  if command -v node >/dev/null; then
    check node -e 'require("zlib").gunzipSync(require("fs").readFileSync(process.argv[1]))' "$g"
  fi
done < <(find "$HERE/gzip" -name '*.gz' | sort)

flg() { od -An -tx1 -j3 -N1 "$1" | tr -d ' '; }
for side in a b; do
  # zlib-full: FHCRC|FEXTRA|FNAME|FCOMMENT = 0x1e; perl-full: without FHCRC = 0x1c
  check test "$(flg "$HERE/gzip/zlib-full/$side/full.gz")" = 1e
  check test "$(flg "$HERE/gzip/perl-full/$side/full.gz")" = 1c
  # The Perl FHCRC sample must be exactly the known-bad one.
  bad="$HERE/invalid/gzip-perl-hcrc/$side/full.gz"
  check test "$(flg "$bad")" = 1e
  check test -n "$(cmp "$HERE/invalid/gzip-perl-hcrc/a/full.gz" "$HERE/invalid/gzip-perl-hcrc/b/full.gz" 2>&1 || true)"
  if gzip -t "$bad" 2>/dev/null; then
    echo "VERIFY FAILED: $bad unexpectedly passes gzip -t (Perl bug fixed?)" >&2; fail=1
  fi
done

[ "$fail" = 0 ] || die "verification failed"
echo "make-samples: ok ($(find "$HERE/ar" "$HERE/gzip" "$HERE/invalid" -type f | wc -l) files)"
