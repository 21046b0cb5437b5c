#!/usr/bin/env bash
# bench/run.sh [--quick] [JMH args...]: builds the benchmarks when stale, runs JMH, keeps the JSON in
# bench/results/<timestamp>.json (plus <timestamp>.meta.json: machine, load, arguments) and prints the
# zxmem/C and zxmem/Java ratio tables (bench/report.py).
#
#   bench/run.sh                          everything, -f 1 -wi 3 -w 1s -i 5 -r 1s (about 8 minutes)
#   bench/run.sh --quick                  a smoke run: 1 short warmup, 2 short iterations
#   bench/run.sh ReadWriteBench -p size=4096 -prof gc    any JMH arguments pass through
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
JAR="$BENCH/target/benchmarks.jar"
SO="$BENCH/target/native/libzxbench.so"

die() { echo "bench: $*" >&2; exit 2; }

# The JDK the ./zx launcher would pick (JAVA_HOME, then /usr/lib/jvm/*, first one >= 22).
find_jdk() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [[ -n "$c" && -x "$c/bin/javac" ]] || continue
    v=$("$c/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
    if [[ -n "$v" && "$v" -ge 22 ]]; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

JDK=$(find_jdk) || die "no JDK 22 or newer found (JAVA_HOME=${JAVA_HOME:-unset}, /usr/lib/jvm/*); install one, e.g. temurin-25-jdk"
export JAVA_HOME="$JDK"
export PATH="$JDK/bin:$PATH"

quick=()
if [[ "${1:-}" == "--quick" ]]; then
  shift
  quick=(-wi 1 -w 300ms -i 2 -r 300ms)
fi

# Rebuild when the jar or the C harness is missing or anything it is made from is newer.
if [[ ! -f "$JAR" || ! -f "$SO" ]] || [[ -n $(find "$BENCH/src" "$ROOT/modules" "$ROOT/native-headers" "$ROOT/pom.xml" "$BENCH/pom.xml" \
      \( -name '*.java' -o -name '*.c' -o -name '*.h' -o -name 'pom.xml' \) -newer "$JAR" -print -quit 2>/dev/null) ]]; then
  command -v mvn >/dev/null || die "Maven is needed to build the benchmarks: apt-get install maven"
  echo "bench: building benchmarks (JDK $JDK)..." >&2
  (cd "$ROOT" && mvn -B -ntp -q package -DskipTests -pl bench -am) >&2
fi

mkdir -p "$BENCH/results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$BENCH/results/$stamp.json"
meta="$BENCH/results/$stamp.meta.json"
load_before=$(uptime)

# The benchmark classes' annotations hold the defaults that share 2 cores politely (-f 1 -wi 3 -w 1s
# -i 5 -r 1s); arguments given here override them (JMH refuses an option given twice, so none is
# repeated here).
"$JDK/bin/java" -jar "$JAR" "${quick[@]}" -rf json -rff "$out" "$@"

load_after=$(uptime)
python3 - "$meta" "$load_before" "$load_after" "$ROOT" "${quick[*]} $*" <<'EOF'
import json, os, platform, subprocess, sys, datetime
meta, before, after, root, args = sys.argv[1:6]
def sh(*cmd):
    try:
        return subprocess.run(cmd, cwd=root, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((l.split(":", 1)[1].strip() for l in open("/proc/meminfo") if l.startswith("MemTotal")), "?")
json.dump({
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "git": sh("git", "describe", "--always", "--dirty"),
    "kernel": platform.release(),
    "cpu": cpu,
    "cores": os.cpu_count(),
    "memory": mem,
    "load_before": before.strip(),
    "load_after": after.strip(),
    "jmh_args": (args.strip() or "(none)") + " over the defaults -f 1 -wi 3 -w 1s -i 5 -r 1s",
}, open(meta, "w"), indent=2)
EOF

echo
python3 "$BENCH/report.py" "$out"
echo "bench: results in $out" >&2
