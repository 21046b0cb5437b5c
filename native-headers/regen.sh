#!/usr/bin/env bash
# Regenerates the jextract bindings of zxmem_linux.h (modules/linux, package io.zxmem.linux.gen), or
# with --check regenerates them into a temporary directory and fails if the committed ones differ.
#
#   native-headers/regen.sh           rewrite modules/linux/src/main/java/io/zxmem/linux/gen
#   native-headers/regen.sh --check   exit 1 when the committed bindings are stale
#
# jextract is taken from $JEXTRACT, else `jextract` on PATH, else built from the source snapshot in
# ../shared/tools/jextract (build.sh, about 15 s, into a temporary directory; it needs Debian's
# libclang1-13 and libclang-common-13-dev). Exit 3 when none of them is there. What is generated is
# listed in jextract-includes.txt beside this script. `./zx jextract [--check]` runs this with zx's JDK.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
PKG=io.zxmem.linux.gen
DEST="$ROOT/modules/linux/src/main/java/${PKG//.//}"
INCLUDES="$HERE/jextract-includes.txt"
SNAPSHOT="$ROOT/../shared/tools/jextract"
LLVM_VER=13

check=false
case "${1:-}" in
  --check) check=true ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

log() { echo "jextract: $*" >&2; }
say() { echo "jextract: $*"; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/zxmem-jextract.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

JX=${JEXTRACT:-}
if [[ -z "$JX" ]] && command -v jextract >/dev/null; then
  JX=$(command -v jextract)
fi
if [[ -z "$JX" ]]; then
  if [[ ! -f "$SNAPSHOT/build.sh" ]]; then
    log "not found (no \$JEXTRACT, no jextract on PATH, no $SNAPSHOT/build.sh)"
    exit 3
  fi
  # build.sh stops without a word when libclang is missing; say what to install instead.
  if [[ ! -e /usr/lib/llvm-$LLVM_VER/lib/libclang-$LLVM_VER.so.1 ]] \
      || ! ls -d /usr/lib/llvm-$LLVM_VER/lib/clang/*/include/stddef.h >/dev/null 2>&1; then
    log "building it needs libclang $LLVM_VER: apt-get install libclang1-$LLVM_VER libclang-common-$LLVM_VER-dev"
    exit 3
  fi
  # The snapshot may be read-only (CI gets a copy of shared/ without write bits): build in $TMP.
  say "building it from $(cd "$SNAPSHOT" && pwd) ..."
  if ! JX=$(DIST="$TMP/dist" WORK="$TMP/work" NO_APT=1 bash "$SNAPSHOT/build.sh" 2>"$TMP/build.log" | tail -n1); then
    cat "$TMP/build.log" >&2
    log "building jextract failed"
    exit 1
  fi
  grep -E '^(JDK|LibClang|commit:)' "$TMP/dist/BUILD-INFO.txt" | sed 's/^/jextract:   /' || true
fi

OUT="$TMP/out"
if ! "$JX" --output "$OUT" --target-package "$PKG" --header-class-name zxmem_linux_h \
      @"$INCLUDES" "$HERE/zxmem_linux.h" >"$TMP/jextract.log" 2>&1; then
  cat "$TMP/jextract.log" >&2
  log "failed on $HERE/zxmem_linux.h"
  exit 1
fi
GEN="$OUT/${PKG//.//}"

# jextract skips a name it cannot find without a word: every name asked for must be in the output.
missing=()
while read -r opt name _; do
  case "$opt" in
    --include-constant|--include-function) grep -q " $name(" "$GEN/zxmem_linux_h.java" || missing+=("$name") ;;
    --include-struct) [[ -f "$GEN/$name.java" ]] || missing+=("struct $name") ;;
  esac
done < "$INCLUDES"
if ((${#missing[@]})); then
  log "not in the system headers, or not what jextract-includes.txt says: ${missing[*]}"
  exit 1
fi

n=$(find "$GEN" -name '*.java' | wc -l)
if $check; then
  if diff -r "$DEST" "$GEN" >"$TMP/diff" 2>&1; then
    echo "jextract: the committed bindings match a fresh run ($n files, $(grep -c -- '^--include' "$INCLUDES") names from native-headers/jextract-includes.txt)"
  else
    head -n 40 "$TMP/diff" >&2
    log "STALE: modules/linux/src/main/java/${PKG//.//} differs from what jextract generates now; run ./zx jextract and commit"
    exit 1
  fi
else
  rm -rf "$DEST"
  mkdir -p "$(dirname "$DEST")"
  cp -r "$GEN" "$DEST"
  echo "jextract: wrote $n files to ${DEST#"$ROOT"/}"
fi
