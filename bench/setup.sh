#!/usr/bin/env bash
# Install what `npm run bench` uses (Debian): the reference tools and the sources of real files.
# The benchmark itself installs nothing; without these it leaves rows or inputs out and says so.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  strip-nondeterminism time coreutils python3 binutils libarchive-tools \
  gcc-mingw-w64-x86-64 clang lld llvm libc6-dev \
  libcommons-lang3-java libbcprov-java libicu4j-java libecj-java libxerces2-java
