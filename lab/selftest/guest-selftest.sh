#!/bin/bash
# guest-selftest.sh BUILD_DIR - runs INSIDE the lab guest (lab.sh selftest).
# BUILD_DIR holds pcimap (static C) and java/LabProof.class, built on the host.
#
# 1. the C prover through every path, rebinding with bind.sh between the cases,
#    including edu interrupts through UIO and VFIO (INTx and MSI);
# 2. ONE JVM (LabProof) that does the same from Java with FFM, rebinding itself.
# Prints one PASSED/FAILED line per case; details of a failed case follow it.
# ivshmem reply slots: C sysfs 0, C devmem 1, C vfio 3, Java 4..7.
set -euo pipefail
B=$1
P="$B/pcimap"
E=$ZXMEM_LAB_EDU_BDF
I=$ZXMEM_LAB_IVSHMEM_BDF
LOGS=${ZXMEM_LAB_OUT:-/tmp}
JAVA_OPTS=${JAVA_OPTS:---enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:-UsePerfData}
bad=0 n=0

ms_since() { echo $(( (${EPOCHREALTIME/./} - ${1/./}) / 1000 )); }

# expect RC LABEL cmd...: the exit code states the outcome (0 pass, 3 path not
# available); the command's output goes to a log shown only on failure
expect() {
    local want=$1 label=$2 t0 rc=0 log
    shift 2
    n=$((n + 1))
    log="$LOGS/c-$n.log"
    t0=$EPOCHREALTIME
    "$@" > "$log" 2>&1 || rc=$?
    if [ "$rc" = "$want" ]; then
        printf 'PASSED c    %-52s %7s ms\n' "$label" "$(ms_since "$t0")"
    else
        printf 'FAILED c    %-52s %7s ms  (rc %s, expected %s)\n' "$label" "$(ms_since "$t0")" "$rc" "$want"
        sed 's/^/    /' "$log"
        bad=$((bad + 1))
    fi
}

rebind() {   # rebind DRIVER: both devices
    expect 0 "bind edu,ivshmem -> $1" sh -c "bind.sh $E $1 && bind.sh $I $1"
}

t0=$EPOCHREALTIME
java -version > "$LOGS/java-version.log" 2>&1
echo "TIME java -version in the guest $(ms_since "$t0") ms"

rebind none
expect 0 "sysfs  edu BAR0 id/liveness/factorial"       "$P" sysfs  "$E" 0
expect 0 "sysfs  ivshmem BAR2 host pattern + reply"    "$P" sysfs  "$I" 2 0
expect 0 "devmem edu BAR0 id/liveness/factorial"       "$P" devmem "$E" 0
expect 0 "devmem ivshmem BAR2 host pattern + reply"    "$P" devmem "$I" 2 1

rebind uio_pci_generic
expect 0 "uio    edu BAR0 id/liveness/factorial"       "$P" uio "$E" 0
expect 0 "uio    edu INTx interrupt x3"                "$P" uio "$E" 0 irq
expect 3 "uio    ivshmem BAR2 refused (64-bit prefetchable)" "$P" uio "$I" 2 2

rebind vfio-pci
expect 0 "vfio   edu BAR0 + DMA through the vIOMMU"     "$P" vfio "$E" 0
expect 0 "vfio   edu INTx + MSI interrupts x3 (eventfd)" "$P" vfio "$E" 0 irq
expect 0 "vfio   ivshmem BAR2 host pattern + reply"    "$P" vfio "$I" 2 3
rebind none
# a fact worth seeing in every run: MSI is a DMA write, so it needs Bus Master
grep -h 'Bus Master Enable clear' "$LOGS"/c-*.log | sed 's/^INFO/INFO c  /' || true

echo "==== one JVM: LabProof ($JAVA_OPTS)"
t0=$EPOCHREALTIME
rc=0
# shellcheck disable=SC2086  # JAVA_OPTS is a list of flags
java $JAVA_OPTS -cp "$B/java" LabProof guest || rc=$?
echo "TIME java proof, whole JVM run $(ms_since "$t0") ms"
[ "$rc" = 0 ] || bad=$((bad + 1))
exit "$bad"
