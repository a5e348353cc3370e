#!/usr/bin/env bash
# Peak memory of `unstamp` recompressing a large .tar.gz (README "Recompressing payloads").
#
#   bash scripts/measure-recompress-rss.sh [size in MiB, default 1024]
#
# Makes a tar of four files (half random bytes, half text, so deflate has both kinds of
# work) with real times and owners, gzips it (-6), and runs `unstamp -v` and then
# `unstamp check` on it under /usr/bin/time -v, printing the maximum resident set size
# and the wall time of each. Needs npm run build first. Uses $TMPDIR (default /tmp) for
# the archive and for unstamp's own scratch files; about 4x the size in free space.
set -euo pipefail
MIB=${1:-1024}
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
W="$(mktemp -d "${TMPDIR:-/tmp}/unstamp-rss.XXXXXX")"
trap 'rm -rf "$W"' EXIT
part=$((MIB / 4))
mkdir "$W/in"
for i in 1 2; do head -c "${part}M" /dev/urandom > "$W/in/random$i.bin"; done
for i in 1 2; do yes "line $i of a text file that deflate can shrink" | head -c "${part}M" > "$W/in/text$i.txt" || true; done
touch -d '2022-06-07 08:09:10 UTC' "$W/in"/*
tar --format=gnu -cf - -C "$W/in" . | gzip -6 > "$W/big.tar.gz"
rm -rf "$W/in"
echo "archive: $(du -m "$W/big.tar.gz" | cut -f1) MiB compressed, ${MIB} MiB of files; node $(node --version)"
for cmd in "-v" "check"; do
  /usr/bin/time -v node "$HERE/bin/unstamp.js" $cmd "$W/big.tar.gz" > "$W/out.txt" 2> "$W/time.txt" || true
  grep -E '^(normalized|would change|clean)' "$W/out.txt" || cat "$W/out.txt"
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/time.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$W/time.txt")
  echo "unstamp $cmd: max RSS $((rss / 1024)) MiB, wall $wall"
done
gzip -t "$W/big.tar.gz" && tar -tzf "$W/big.tar.gz" > /dev/null && echo "gzip -t and tar -tzf accept the result"
