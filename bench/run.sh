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

# The JDK the ./zx launcher picks (JAVA_HOME, then /usr/lib/jvm/*, first one >= 22): the same script.
source "$ROOT/.ci/find-jdk.sh"
use_jdk bench

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

# JMH runs one at a time per machine (/tmp/jmh.lock, a POSIX lock); on a machine shared with other
# work, wait for a running one instead of failing, since two at once would spoil both measurements.
python3 - <<'EOF'
import fcntl, os, sys, tempfile, time
path = os.path.join(tempfile.gettempdir(), "jmh.lock")
said = False
while os.path.exists(path):
    with open(path, "a") as f:
        try:
            fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            if not said:
                print("bench: another JMH run holds " + path + "; waiting for it to finish", file=sys.stderr)
                said = True
    time.sleep(5)
EOF

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
    "nice": os.nice(0),
    "memory": mem,
    "load_before": before.strip(),
    "load_after": after.strip(),
    "jmh_args": (args.strip() or "(none)") + " over the defaults -f 1 -wi 3 -w 1s -i 5 -r 1s",
}, open(meta, "w"), indent=2)
EOF

echo
python3 "$BENCH/report.py" "$out"
echo "bench: results in $out" >&2
