#!/usr/bin/env bash
# Runs one module's tests a second time as an ordinary user (uid/gid 65534, no capabilities), on the
# module path as Surefire runs them. Real users are not root: `vm.unprivileged_userfaultfd` is 0 on most
# distributions, /dev/userfaultfd is root-only, cgroups and sysctls are closed. CI runs as root, so
# without this run nothing would notice a path that only root can take.
#
# Called by the Maven build (profile `unprivileged`, which `./zx test` turns on) after `package`:
#   unprivileged-tests.sh TARGET_DIR MODULE JAVA NATIVE_ACCESS [EXCLUDED_TAGS]
# TARGET_DIR holds classes/, test-classes/ and unpriv/ (the test dependencies and the JUnit console
# launcher, copied there by the build). The copies go to a fresh world-readable directory because
# the build's own files may live under /root, which other users cannot enter.
set -euo pipefail
target=$1 module=$2 java=$3 native=$4 excluded=${5:-lab}

if [[ $(id -u) -ne 0 ]]; then
  echo "unprivileged run of $module: skipped, this build already runs as uid $(id -u)"
  exit 0
fi
command -v setpriv >/dev/null || { echo "unprivileged run of $module: setpriv is missing (apt-get install util-linux)" >&2; exit 1; }

work=$(mktemp -d /tmp/zxmem-unpriv.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$target/classes" "$work/classes"
cp -r "$target/test-classes" "$work/test-classes"
mkdir -p "$work/lib" "$work/cwd" "$work/reports"
cp "$target"/unpriv/lib/*.jar "$work/lib/" 2>/dev/null || true
launcher=$(ls "$target"/unpriv/junit-platform-console-standalone-*.jar | head -n1)
cp "$launcher" "$work/launcher.jar"
chmod -R a+rX "$work"
chmod a+rwx "$work/cwd" "$work/reports"

# zxmem's own jars are modules (module path); anything else a test needs stays on the class path.
mp="$work/classes" cp="$work/launcher.jar"
for j in "$work"/lib/*.jar; do
  [[ -e $j ]] || continue
  case $(basename "$j") in
    zxmem-testkit*) cp="$cp:$j" ;; # not a module: the leak check, found by JUnit on the class path
    zxmem-*) mp="$j:$mp" ;;
    *) cp="$cp:$j" ;;
  esac
done

# JUnit reflects on package-private test classes: open every test package to it, as Surefire does.
opens=()
while IFS= read -r d; do
  opens+=(--add-opens "$module/${d//\//.}=ALL-UNNAMED")
done < <(cd "$work/test-classes" && find . -name '*.class' -printf '%h\n' | sed 's#^\./##' | sort -u)

echo "unprivileged run of $module as uid 65534 (setpriv), excluding tags: $excluded"
cd "$work/cwd"
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
  "$java" --enable-native-access="$native" -Xss2m -Djava.io.tmpdir=/tmp \
  -p "$mp" --patch-module "$module=$work/test-classes" --add-modules "$module" \
  --add-reads "$module=ALL-UNNAMED" "${opens[@]}" -cp "$cp" \
  org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=summary \
  --disable-ansi-colors --select-module "$module" --exclude-tag "$excluded" \
  --reports-dir "$work/reports" > "$work/out.txt" 2>&1
rc=$?
set -e
# Failures in full, then the totals; every report is kept beside the build's own.
sed -n '/^Failures (/,/^Test run finished/p' "$work/out.txt" | head -n 400
grep -E '^\[ +[0-9]+ (tests|containers) ' "$work/out.txt" || cat "$work/out.txt"
# Tests whose assumptions do not hold for an ordinary user (a cgroup to create, say) are named.
cat "$work"/reports/*.xml 2>/dev/null | tr '\n' ' ' \
  | grep -o '<testcase name="[^"]*" classname="[^"]*"[^>]*>[[:space:]]*<skipped' \
  | sed 's/<testcase name="\([^"]*\)" classname="\([^"]*\)".*/  not run for an ordinary user: \2.\1/' || true
mkdir -p "$target/unpriv-reports" && cp -r "$work/reports/." "$target/unpriv-reports/" 2>/dev/null || true
cp "$work/out.txt" "$target/unpriv-reports/console.txt" 2>/dev/null || true
if [[ $rc -ne 0 ]]; then
  echo "unprivileged run of $module: FAILED (exit $rc; full output in $target/unpriv-reports/console.txt)" >&2
fi
exit $rc
