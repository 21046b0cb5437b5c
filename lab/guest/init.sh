#!/bin/busybox sh
# shellcheck shell=dash disable=SC3040,SC2013,SC2016
# (busybox ash has pipefail; the cmdline is words; the chroot script expands in the guest)
# /init of the lab guest: PID 1, from the initramfs, busybox only.
#
# Order: mount the kernel filesystems, insmod the modules (list already in
# dependency order, made by lab.sh build), mount the host's / read-only over
# virtio-9p below a RAM overlay, mount the job folder (and the --out folder) at
# their host paths, apply the boot-time driver bindings, chroot and run the
# command, record timings, power off.
#
# PID 1 must never exit (the kernel would panic), so failures go through die(),
# which reports rc 125 to the host when it can and powers off.
set -euo pipefail
export PATH=/bin:/sbin
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /newroot /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
T_INIT=$(cut -d' ' -f1 /proc/uptime)

JOB="" OUT="" JOBM="" MSIZE=262144
log() { echo "lab-init: $*" > /dev/console; }
poweroff_now() {
    sync
    poweroff -f || true
    sleep 5
    echo o > /proc/sysrq-trigger
}
die() {
    log "FATAL: $*"
    if [ -n "$JOBM" ] && [ -d "$JOBM" ]; then
        echo "lab-init: $*" >> "$JOBM/stderr" || true
        echo 125 > "$JOBM/rc" || true
    fi
    poweroff_now
}
# a failing command that set -e would turn into "init exited" still powers off cleanly
trap 'die "init failed (line $LINENO)"' EXIT

for a in $(cat /proc/cmdline); do
    case "$a" in
        lab.job=*) JOB=${a#lab.job=} ;;
        lab.out=*) OUT=${a#lab.out=} ;;
    esac
done
[ -n "$JOB" ] || die "no lab.job= on the kernel command line"

# --- modules: 9p/overlay for the root, and BOTH uio_pci_generic and vfio-pci
# so that tests can rebind devices between cases without a reboot
while read -r ko; do
    [ -n "$ko" ] || continue
    insmod "/lab/modules/$ko" 2>/dev/null || log "insmod $ko failed (built in?)"
done < /lab/modules.list
T_MOD=$(cut -d' ' -f1 /proc/uptime)

# --- host root: read-only 9p as the lower layer, tmpfs upper layer, so the
# command may write anywhere (target/, /tmp); those writes vanish at power-off.
# cache=loose is safe because the host root is not expected to change during a
# run, and it makes the JVM start much faster.
mkdir -p /hostro /ovl
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=$MSIZE,cache=loose hostroot /hostro ||
    die "mount of the 9p host root failed"
mount -t tmpfs -o mode=755 tmpfs /ovl
mkdir -p /ovl/upper /ovl/work
mount -t overlay -o lowerdir=/hostro,upperdir=/ovl/upper,workdir=/ovl/work overlay /newroot ||
    die "overlay mount failed"
# writable shares: cache=none so every write reaches the host at once and
# partial output survives a timeout
JOBM="/newroot$JOB"
mkdir -p "$JOBM" 2>/dev/null || true
mount -t 9p -o rw,trans=virtio,version=9p2000.L,msize=$MSIZE,cache=none labjob "$JOBM" ||
    { JOBM=""; die "mount of the job folder $JOB failed"; }
if [ -n "$OUT" ]; then
    mkdir -p "/newroot$OUT" 2>/dev/null || true
    mount -t 9p -o rw,trans=virtio,version=9p2000.L,msize=$MSIZE,cache=none labout "/newroot$OUT" ||
        die "mount of the out folder $OUT failed"
fi
# the guest's own kernel filesystems hide the host's
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -o bind /dev /newroot/dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /newroot/dev/pts || true
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
mount -t tmpfs -o mode=755 tmpfs /newroot/run
# loopback up (the guest has no other network): JMH's forked benchmark JVMs talk to their parent
# over 127.0.0.1 and fail with "Connection refused" without it
ip link set lo up 2>/dev/null || log "could not bring up lo"
mkdir -p /newroot/run/zxmem-lab
cp /lab/bind.sh /newroot/run/zxmem-lab/bind.sh
chmod 755 /newroot/run/zxmem-lab/bind.sh

# --- boot-time bindings: "<bdf> <driver>" per line (same helper the tests use)
if [ -s "$JOBM/bind" ]; then
    while read -r bdf drv; do
        [ -n "$bdf" ] || continue
        sh /lab/bind.sh "$bdf" "$drv" 2>> "$JOBM/stderr" || die "binding $bdf to $drv failed"
    done < "$JOBM/bind"
fi
T_CMD=$(cut -d' ' -f1 /proc/uptime)

# --- the command: env first, then cwd = the caller's cwd on the host
rm -f "$JOBM/rc"
echo "$T_CMD" > "$JOBM/started"     # lab.sh timestamps this file: boot-to-command
RC=0
chroot /newroot /bin/bash -c '
    set -a; . "$1/env"; set +a
    cd "${ZXMEM_LAB_CWD:-/}" 2>/dev/null || cd /
    exec /bin/bash "$1/cmd.sh"' lab "$JOB" < /dev/null > "$JOBM/stdout" 2> "$JOBM/stderr" || RC=$?
T_END=$(cut -d' ' -f1 /proc/uptime)
cat > "$JOBM/timing" <<EOF
guest_uptime_at_init=$T_INIT
guest_uptime_after_modules=$T_MOD
guest_uptime_at_command=$T_CMD
guest_uptime_after_command=$T_END
EOF
# rc last: the host treats its presence as "the command finished"
echo "$RC" > "$JOBM/rc"
trap - EXIT
sync
log "command exited with $RC, powering off"
poweroff_now
