# Sourced (not run) by ./zx and bench/run.sh: the one place that decides which JDK builds and runs zxmem.
#
#   source .ci/find-jdk.sh; use_jdk PREFIX   sets JDK, JAVA_HOME and PATH, or exits 2 with a message
#                                            (PREFIX, e.g. "zx", starts it) naming what to install
#
# zxmem needs java.lang.foreign as final (JDK 22+). The order: JAVA_HOME, then whatever /usr/lib/jvm
# holds; a JAVA_HOME that points at an older JDK is passed over, not an error, so a machine whose
# default is JDK 17 still builds when a newer one is installed next to it.

# The major version of the JDK at $1, or nothing.
jdk_major() {
  local v=""
  if [[ -f "$1/release" ]]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release")
  fi
  if [[ -z "$v" && -x "$1/bin/java" ]]; then
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  fi
  echo "$v"
}

# Prints the first JDK >= 22 (JAVA_HOME, then /usr/lib/jvm/*); fails when there is none.
find_jdk() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [[ -n "$c" && -x "$c/bin/javac" ]] || continue
    v=$(jdk_major "$c")
    if [[ -n "$v" && "$v" -ge 22 ]]; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

# Sets JDK, JAVA_HOME and PATH to the JDK find_jdk picks, or exits 2 saying what to install.
use_jdk() {
  local prefix=$1
  if ! JDK=$(find_jdk); then
    echo "$prefix: no JDK 22 or newer found (looked at JAVA_HOME=${JAVA_HOME:-unset} and /usr/lib/jvm/*).
Install one, for example Temurin 25 (the 'temurin-25-jdk' package from Adoptium's apt repository),
or point JAVA_HOME at a JDK >= 22." >&2
    exit 2
  fi
  export JAVA_HOME="$JDK"
  export PATH="$JDK/bin:$PATH"
}
