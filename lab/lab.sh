#!/bin/bash
# lab.sh - zxmem's device lab: run a command inside a throw-away QEMU Linux guest
# that has real (emulated) PCI devices, so zxmem's physical VMOs can be tested
# against PCI BARs through sysfs resourceN, /dev/mem, UIO and VFIO.
#
#   lab.sh install                 apt packages + Debian kernel (cached)
#   lab.sh build                   build the initramfs (busybox, modules, guest/*.sh)
#   lab.sh run [OPTS] [--] CMD...  boot, run CMD as root in the caller's cwd, print
#                                  its stdout/stderr, exit with its status
#   lab.sh java [OPTS] [JVM-ARGS...] -- MAIN [ARGS...]
#                                  same, runs the JDK 25 java with the lab's default
#                                  JVM flags ($ZXMEM_LAB_JAVA_OPTS) in the guest
#   lab.sh selftest                prove every mapping path + interrupts, C and Java
#   lab.sh info                    what would be used (accelerator, kernel, paths)
#   lab.sh clean [--all]           remove built artefacts and job folders (--all: the
#                                  whole cache, including the downloaded kernel)
#
# CMD: one argument is a bash script ("java -version; ls"), several arguments are
# one command line (argv, quoted for you), "-" reads the script from stdin.
#
# OPTS (each has an environment variable; the option wins):
#   --bind SPEC          ZXMEM_LAB_BIND      drivers bound at boot, e.g.
#                        "edu=vfio-pci,ivshmem=uio_pci_generic" (default: none bound).
#                        Inside the guest, $ZXMEM_LAB_BIND_SH BDF DRIVER rebinds.
#   --ivshmem-file PATH  ZXMEM_LAB_IVSHMEM_FILE  host file behind ivshmem BAR2: write
#                        it before the run, read it after (created if missing, kept).
#                        Default: a temporary zeroed file, deleted after the run.
#   --ivshmem-size SIZE  ZXMEM_LAB_IVSHMEM_SIZE  power of two, e.g. 1M (default: the
#                        file's size if it exists and is non-empty, else 1M)
#   --out DIR            ZXMEM_LAB_OUT       host folder shared writable into the guest
#                        at the same path (default: a per-run folder, discarded)
#   --timeout SEC        ZXMEM_LAB_TIMEOUT   hard limit for the whole VM run (600)
#   --env NAME           ZXMEM_LAB_PASS_ENV  (space separated) host variables copied
#                        into the guest command's environment
#   --keep               ZXMEM_LAB_KEEP=1    keep the job folder (console.log, timing)
# Other knobs: ZXMEM_LAB_CACHE (default ~/.cache/zxmem-lab), ZXMEM_LAB_ACCEL=auto|kvm|tcg,
#   ZXMEM_LAB_MEM=2048 (MiB), ZXMEM_LAB_SMP=1, ZXMEM_LAB_CPU (QEMU -cpu),
#   ZXMEM_LAB_JDK (default /usr/lib/jvm/temurin-25-jdk-amd64), ZXMEM_LAB_BOOT_RETRIES=2,
#   ZXMEM_LAB_FIRMWARE=seabios|qboot, ZXMEM_LAB_APPEND (kernel cmdline),
#   ZXMEM_LAB_QEMU_ARGS (extra QEMU args), ZXMEM_LAB_VERBOSE=1 (summary line on stderr),
#   ZXMEM_LAB_TIMING_FILE (copy of the run's timings: boot-to-command etc.),
#   ZXMEM_LAB_JAVA_OPTS (flags "java" adds; default below in DEFAULT_JAVA_OPTS).
#
# Exit status of run/java: the command's; 124 timeout (QEMU killed by PID), 125 the
# guest died before reporting a result, 130/143 lab.sh was interrupted (QEMU killed),
# 2 usage or setup error. See lab/README.md for the full contract.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${ZXMEM_LAB_CACHE:-$HOME/.cache/zxmem-lab}
JDK=${ZXMEM_LAB_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
# Fixed guest addresses, so tests can hard-code them (also exported into the guest).
EDU_BDF=0000:00:10.0
IVSHMEM_BDF=0000:00:11.0
# The plain amd64 flavour: the -cloud kernel has no 9p (CONFIG_NET_9P unset).
KFLAVOUR=amd64
# Guest modules; their dependencies are resolved with modprobe --show-depends.
# vfio-pci and uio_pci_generic are both loaded so the guest can rebind at will.
MODULES="virtio_pci 9pnet_virtio 9p overlay uio uio_pci_generic vfio vfio_iommu_type1 vfio_pci"
APT_PACKAGES="qemu-system-x86 busybox-static cpio kmod gcc libc6-dev xz-utils"
DEFAULT_JAVA_OPTS="--enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:-UsePerfData"

say() { echo "lab: $*" >&2; }
verbose() { [ "${ZXMEM_LAB_VERBOSE:-0}" != 1 ] || say "$@"; }
die() { say "ERROR: $*"; exit 2; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }

# Everything that writes the shared cache takes this lock, so parallel first
# runs (e.g. several test JVMs) install and build only once.
with_lock() {
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock"
    flock 9
    "$@"
    exec 9>&-          # unlock; QEMU must not inherit the lock
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo -n "$@"
    else die "need root for: $*"; fi
}

# ---------------------------------------------------------------- install ----
kernel_dir() { cat "$CACHE/kernel/current" 2>/dev/null || true; }

install_packages() {
    local need="" p
    for p in $APT_PACKAGES; do
        # not dpkg -s: it succeeds for removed packages that left config files
        [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || need+=" $p"
    done
    # apt-get update only when something is missing: keeps repeat runs offline and fast
    if [ -n "$need" ] || ! apt-cache show "linux-image-$KFLAVOUR" >/dev/null 2>&1; then
        say "apt-get update"
        as_root apt-get update -qq >"$CACHE/apt.log" 2>&1 || { cat "$CACHE/apt.log" >&2; die "apt-get update failed"; }
    fi
    if [ -n "$need" ]; then
        say "apt-get install$need"
        # shellcheck disable=SC2086  # $need is a list of package names
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need \
            >>"$CACHE/apt.log" 2>&1 || { tail -n 30 "$CACHE/apt.log" >&2; die "apt-get install failed"; }
    fi
}

# The kernel is fetched as a .deb and unpacked into the cache, never installed:
# the host keeps its own kernel and CI needs no reboot.
install_kernel() {
    local pkg kdir kver
    # linux-image-amd64 is a metapackage; follow it to the versioned image package
    pkg=$(apt-cache depends "linux-image-$KFLAVOUR" 2>/dev/null |
          awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    [ -n "$pkg" ] || die "cannot resolve linux-image-$KFLAVOUR (apt-get update?)"
    kdir="$CACHE/kernel/$pkg"
    if [ ! -f "$kdir/.done" ]; then
        say "downloading $pkg"
        mkdir -p "$CACHE/debs"
        rm -f "$CACHE/debs/${pkg}"_*.deb
        (cd "$CACHE/debs" && apt-get download -qq "$pkg" >"$CACHE/download.log" 2>&1) ||
            { cat "$CACHE/download.log" >&2; die "apt-get download $pkg failed"; }
        rm -rf "$kdir"; mkdir -p "$kdir"
        dpkg -x "$CACHE/debs/${pkg}"_*.deb "$kdir"
        kver=$(ls "$kdir/lib/modules")
        depmod -b "$kdir" "$kver"
        extract_vmlinux "$kdir/boot/vmlinuz-$kver" "$kdir/vmlinux" ||
            say "no vmlinux extracted, will boot the (slower) bzImage"
        dpkg-deb -f "$CACHE/debs/${pkg}"_*.deb Version > "$kdir/.version"
        echo "$kver" > "$kdir/.kver"
        touch "$kdir/.done"
    fi
    echo "$kdir" > "$CACHE/kernel/current"
}

# QEMU can boot the uncompressed ELF vmlinux through its PVH entry point; under
# TCG that saves ~2.5 s of in-guest xz decompression on every boot.
extract_vmlinux() {
    local off
    off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$1" | head -n1 | cut -d: -f1) || true
    [ -n "$off" ] || return 1
    tail -c +$((off + 1)) "$1" | xz -dc --single-stream > "$2.tmp" 2>/dev/null || true
    [ "$(head -c4 "$2.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || { rm -f "$2.tmp"; return 1; }
    mv "$2.tmp" "$2"
}

do_install() {
    mkdir -p "$CACHE/kernel"
    install_packages
    install_kernel
}

# ------------------------------------------------------------------ build ----
initrd_path() { echo "$CACHE/initramfs-$(cat "$(kernel_dir)/.kver").cpio.gz"; }

# Identifies what an initramfs was built from, so edits to guest/*.sh rebuild it.
initrd_stamp() {
    { cat "$HERE/guest/init.sh" "$HERE/guest/bind.sh"; echo "$MODULES"; cat "$(kernel_dir)/.kver"; } |
        sha256sum | cut -d' ' -f1
}

do_build() {
    local kdir kver root out
    kdir=$(kernel_dir); kver=$(cat "$kdir/.kver")
    root=$(mktemp -d "$CACHE/initramfs.XXXXXX")
    mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,newroot,lab/modules}
    cp /bin/busybox "$root/bin/busybox"
    cp "$HERE/guest/init.sh" "$root/init"
    cp "$HERE/guest/bind.sh" "$root/lab/bind.sh"
    chmod 755 "$root/init" "$root/lab/bind.sh"
    # dependencies first, each module once, decompressed (busybox insmod cannot xz)
    local m w path ko seen=" "
    : > "$root/lab/modules.list"
    for m in $MODULES; do
        while read -r w path _; do
            [ "$w" = insmod ] || continue
            case "$seen" in *" $path "*) continue ;; esac
            seen+="$path "
            ko=$(basename "$path"); ko=${ko%.xz}; ko=${ko%.zst}
            case "$path" in
                *.xz)  xz -dc "$path" > "$root/lab/modules/$ko" ;;
                *.zst) zstd -qdc "$path" > "$root/lab/modules/$ko" ;;
                *)     cp "$path" "$root/lab/modules/$ko" ;;
            esac
            echo "$ko" >> "$root/lab/modules.list"
        done < <(modprobe -d "$kdir" -S "$kver" --show-depends "$m")
    done
    out=$(initrd_path)
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 > "$out.tmp")
    mv "$out.tmp" "$out"
    rm -rf "$root"
    initrd_stamp > "$out.stamp"
}

# First use on a fresh machine (CI): install and build, otherwise do nothing.
ensure_built_locked() {
    local kdir; kdir=$(kernel_dir)
    if [ -z "$kdir" ] || [ ! -f "$kdir/.done" ] || ! command -v qemu-system-x86_64 >/dev/null ||
       ! command -v gcc >/dev/null; then
        do_install
    fi
    local out; out=$(initrd_path)
    if [ ! -f "$out" ] || [ "$(cat "$out.stamp" 2>/dev/null)" != "$(initrd_stamp)" ]; then
        do_build
    fi
}
ensure_built() { with_lock ensure_built_locked; }

# ---------------------------------------------------------- accelerator ----
# /dev/kvm alone is not enough: a paravirtual KVM such as kvm_pvm cannot run a
# stock kernel (it emulates every instruction, then dies on cmpxchg16b).
pick_accel() {
    local a=${ZXMEM_LAB_ACCEL:-auto}
    if [ "$a" = auto ]; then
        if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
            a=kvm
        else
            a=tcg
        fi
    fi
    echo "$a"
}

# -------------------------------------------------------------------- run ----
OPT_BIND=${ZXMEM_LAB_BIND:-}
OPT_IVFILE=${ZXMEM_LAB_IVSHMEM_FILE:-}
OPT_IVSIZE=${ZXMEM_LAB_IVSHMEM_SIZE:-}
OPT_OUT=${ZXMEM_LAB_OUT:-}
OPT_TIMEOUT=${ZXMEM_LAB_TIMEOUT:-600}
OPT_PASS_ENV=${ZXMEM_LAB_PASS_ENV:-}
OPT_KEEP=${ZXMEM_LAB_KEEP:-0}
NARGS=0   # how many arguments parse_opts consumed

parse_opts() {
    NARGS=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --bind)         OPT_BIND=$2; shift 2; NARGS=$((NARGS + 2)) ;;
            --bind=*)       OPT_BIND=${1#*=}; shift; NARGS=$((NARGS + 1)) ;;
            --ivshmem-file) OPT_IVFILE=$2; shift 2; NARGS=$((NARGS + 2)) ;;
            --ivshmem-file=*) OPT_IVFILE=${1#*=}; shift; NARGS=$((NARGS + 1)) ;;
            --ivshmem-size) OPT_IVSIZE=$2; shift 2; NARGS=$((NARGS + 2)) ;;
            --ivshmem-size=*) OPT_IVSIZE=${1#*=}; shift; NARGS=$((NARGS + 1)) ;;
            --out)          OPT_OUT=$2; shift 2; NARGS=$((NARGS + 2)) ;;
            --out=*)        OPT_OUT=${1#*=}; shift; NARGS=$((NARGS + 1)) ;;
            --timeout)      OPT_TIMEOUT=$2; shift 2; NARGS=$((NARGS + 2)) ;;
            --timeout=*)    OPT_TIMEOUT=${1#*=}; shift; NARGS=$((NARGS + 1)) ;;
            --env)          OPT_PASS_ENV+=" $2"; shift 2; NARGS=$((NARGS + 2)) ;;
            --env=*)        OPT_PASS_ENV+=" ${1#*=}"; shift; NARGS=$((NARGS + 1)) ;;
            --keep)         OPT_KEEP=1; shift; NARGS=$((NARGS + 1)) ;;
            *) return 0 ;;
        esac
    done
}

# Paths handed to QEMU's -fsdev/-object cannot contain commas (option separator).
no_comma() { case "$1" in *,*) die "path must not contain a comma: $1" ;; esac; }

# run_vm SCRIPT: boots the guest, runs SCRIPT (bash) there; returns its status.
run_vm() {
    local script=$1
    ensure_built
    case "$OPT_TIMEOUT" in ''|*[!0-9]*) die "--timeout needs whole seconds" ;; esac

    local kdir kver kernel initrd accel
    kdir=$(kernel_dir); kver=$(cat "$kdir/.kver")
    kernel="$kdir/boot/vmlinuz-$kver"; initrd=$(initrd_path)
    [ -f "$kdir/vmlinux" ] && kernel="$kdir/vmlinux"
    accel=$(pick_accel)

    # validate everything before creating files, so a usage error leaves nothing behind
    no_comma "$CACHE"
    local out=""
    if [ -n "$OPT_OUT" ]; then
        mkdir -p "$OPT_OUT"; out=$(cd "$OPT_OUT" && pwd); no_comma "$out"
    fi
    local ivfile="" ivtemp=0 ivsize
    if [ -n "$OPT_IVFILE" ]; then
        ivfile=$OPT_IVFILE; no_comma "$ivfile"
    fi
    if [ -z "$OPT_IVSIZE" ] && [ -n "$ivfile" ] && [ -s "$ivfile" ]; then ivsize=$(stat -c %s "$ivfile")
    else ivsize=$(numfmt --from=iec "${OPT_IVSIZE:-1M}") || die "bad --ivshmem-size '$OPT_IVSIZE'"; fi
    if [ $((ivsize & (ivsize - 1))) != 0 ] || [ "$ivsize" -lt 4096 ]; then
        die "ivshmem size $ivsize: need a power of two >= 4096"
    fi
    if [ -n "$ivfile" ] && [ -s "$ivfile" ] && [ "$(stat -c %s "$ivfile")" -lt "$ivsize" ]; then
        die "$ivfile is smaller than $ivsize bytes"
    fi
    # boot-time bindings: "<bdf> <driver>" lines for the guest's init
    local b binds=""
    for b in ${OPT_BIND//,/ }; do
        case "$b" in
            edu=*)     binds+="$EDU_BDF ${b#edu=}"$'\n' ;;
            ivshmem=*) binds+="$IVSHMEM_BDF ${b#ivshmem=}"$'\n' ;;
            *:*=*)     binds+="${b%%=*} ${b#*=}"$'\n' ;;
            *) die "bad --bind entry '$b' (edu=DRIVER, ivshmem=DRIVER or BDF=DRIVER)" ;;
        esac
    done

    mkdir -p "$CACHE/jobs"
    # failed runs keep their job folder for post-mortems; drop those older than 2 days,
    # and temporary ivshmem files of runs that were SIGKILLed
    find "$CACHE/jobs" -mindepth 1 -maxdepth 1 -type d -mtime +1 -exec rm -rf {} + 2>/dev/null || true
    find /dev/shm -maxdepth 1 -name 'zxmem-lab-*.ivshmem' -mmin +1440 -delete 2>/dev/null || true
    local job; job=$(mktemp -d "$CACHE/jobs/$(date +%Y%m%d-%H%M%S)-XXXXXX")
    chmod 755 "$job"
    mkdir -p "$job/out"
    printf '%s\n' "$script" > "$job/cmd.sh"
    printf '%s' "$binds" > "$job/bind"
    [ -n "$out" ] || out="$job/out"

    # ivshmem backing file: the caller's (kept) or a temporary one (deleted)
    if [ -n "$ivfile" ]; then
        mkdir -p "$(dirname "$ivfile")"
        [ -s "$ivfile" ] || truncate -s "$ivsize" "$ivfile"
    else
        ivfile=/dev/shm/zxmem-lab-$(basename "$job").ivshmem; ivtemp=1
        truncate -s "$ivsize" "$ivfile"
    fi

    # the command's environment, sourced by the guest (bash %q quoting)
    {
        printf 'PATH=%q\n' "$JDK/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/run/zxmem-lab"
        printf 'HOME=/root\nLANG=C.UTF-8\nTERM=dumb\nZXMEM_LAB_GUEST=1\n'
        printf 'JAVA_HOME=%q\n' "$JDK"
        printf 'ZXMEM_LAB_JOB=%q\nZXMEM_LAB_OUT=%q\nZXMEM_LAB_CWD=%q\n' "$job" "$out" "$PWD"
        printf 'ZXMEM_LAB_EDU_BDF=%q\nZXMEM_LAB_IVSHMEM_BDF=%q\nZXMEM_LAB_IVSHMEM_SIZE=%q\n' \
            "$EDU_BDF" "$IVSHMEM_BDF" "$ivsize"
        printf 'ZXMEM_LAB_BIND_SH=/run/zxmem-lab/bind.sh\n'
        local v
        for v in $OPT_PASS_ENV; do
            [ -n "${!v+x}" ] && printf '%s=%q\n' "$v" "${!v}"
        done
    } > "$job/env"

    # ---- QEMU command line ----
    local machine=q35 cpu accelopt
    if [ "$accel" = kvm ]; then
        machine+=",kernel-irqchip=split"   # intremap=on needs the split irqchip
        accelopt=kvm; cpu=host
    else
        # Single-threaded TCG: with MTTCG, HotSpot's patching of JIT code that
        # another vCPU is executing gets translated half-patched and the JVM dies
        # with SIGSEGV/SIGILL (hwlab REPORT pitfall 1). AVX is hidden as a cheap
        # precaution (QEMU 7.2's AVX emulation is new); the JVM uses SSE paths.
        accelopt=tcg,thread=single
        cpu=max,-avx,-avx2,-fma,-f16c,-avx512f,-vaes,-vpclmulqdq
    fi
    cpu=${ZXMEM_LAB_CPU:-$cpu}
    local bios=()
    # qboot boots faster but leaves device command registers at 0 (MMIO then
    # reads 0 until Memory Space Enable is set): a way to test that handling.
    [ "${ZXMEM_LAB_FIRMWARE:-seabios}" = qboot ] && bios=(-bios /usr/share/qemu/qboot.rom)
    # no_timer_check: under TCG on a busy host the early timer probe can time out
    # and panic ("timer doesn't work through Interrupt-remapped IO-APIC")
    local append="console=ttyS0 quiet panic=-1 no_timer_check intel_iommu=on lab.job=$job"
    # shellcheck disable=SC2054  # the commas belong to QEMU option values
    local q=(qemu-system-x86_64
        -machine "$machine" -accel "$accelopt" -cpu "$cpu"
        -smp "${ZXMEM_LAB_SMP:-1}" -m "${ZXMEM_LAB_MEM:-2048}"
        -nodefaults -no-user-config -display none -vga none -nic none -monitor none
        -serial "file:$job/console.log" -no-reboot
        -kernel "$kernel" -initrd "$initrd" "${bios[@]}"
        # emulated VT-d: Debian kernels lack CONFIG_VFIO_NOIOMMU, so VFIO needs an
        # IOMMU; intremap because type1 refuses IOMMUs without interrupt remapping.
        # Must come before the PCI devices.
        -device intel-iommu,intremap=on
        # host / read-only (the guest's root, below a RAM overlay) and the job folder
        -fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
        -device "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot"
        -fsdev "local,id=labjob,path=$job,security_model=none,multidevs=remap"
        -device "virtio-9p-pci,fsdev=labjob,mount_tag=labjob"
        # the devices under test, at fixed addresses
        -device "edu,addr=0x10"
        -object "memory-backend-file,id=ivmem,share=on,mem-path=$ivfile,size=$ivsize"
        -device "ivshmem-plain,memdev=ivmem,addr=0x11"
    )
    if [ "$out" != "$job/out" ]; then
        q+=(-fsdev "local,id=labout,path=$out,security_model=none,multidevs=remap"
            -device "virtio-9p-pci,fsdev=labout,mount_tag=labout")
        append+=" lab.out=$out"
    fi
    append+=" ${ZXMEM_LAB_APPEND:-}"
    # shellcheck disable=SC2206  # word splitting of the extra arguments is intended
    q+=(-append "$append" ${ZXMEM_LAB_QEMU_ARGS:-})
    printf '%q ' "${q[@]}" > "$job/qemu.cmdline"

    # ---- start QEMU in the background and watch it by PID ----
    local retries=${ZXMEM_LAB_BOOT_RETRIES:-2} attempt=0 timed_out=0 rc
    local t0 tstart="" tend deadline
    QPID=""; INTERRUPTED=""
    # setpriv --pdeathsig: QEMU dies with lab.sh even if lab.sh is SIGKILLed
    # (e.g. Process.destroyForcibly() in a test); traps cover TERM/INT.
    trap 'INTERRUPTED=130' INT
    trap 'INTERRUPTED=143' TERM
    trap '[ -z "$QPID" ] || kill -KILL "$QPID" 2>/dev/null || true' EXIT
    t0=$EPOCHREALTIME
    deadline=$(( ${t0/./} + OPT_TIMEOUT * 1000000 ))   # microseconds
    while :; do
        attempt=$((attempt + 1))
        rm -f "$job/started" "$job/rc" "$job/stdout" "$job/stderr" "$job/timing"
        setpriv --pdeathsig KILL "${q[@]}" < /dev/null > "$job/qemu.log" 2>&1 &
        QPID=$!
        echo "$QPID" > "$job/qemu.pid"
        while kill -0 "$QPID" 2>/dev/null; do
            [ -z "$tstart" ] && [ -e "$job/started" ] && tstart=$EPOCHREALTIME
            [ -z "$INTERRUPTED" ] || break
            if [ "${EPOCHREALTIME/./}" -ge "$deadline" ]; then timed_out=1; break; fi
            sleep 0.05
        done
        if [ -n "$INTERRUPTED" ] || [ "$timed_out" = 1 ]; then
            [ "$timed_out" = 1 ] && say "timeout after ${OPT_TIMEOUT}s, killing QEMU pid $QPID (job $job)"
            [ -n "$INTERRUPTED" ] && say "interrupted, killing QEMU pid $QPID (job $job)"
            kill_qemu "$QPID"
        fi
        wait "$QPID" 2>/dev/null || true
        QPID=""
        tend=$EPOCHREALTIME
        [ -z "$tstart" ] && [ -e "$job/started" ] && tstart=$tend
        # a boot that dies before the command starts (panic on a busy host) is retried
        # (not when init reported a setup failure itself: rc exists then)
        if [ -z "$tstart" ] && [ ! -s "$job/rc" ] && [ "$timed_out" = 0 ] && [ -z "$INTERRUPTED" ] &&
           [ "$attempt" -le "$retries" ]; then
            cp "$job/console.log" "$job/console.failed-boot-$attempt.log" 2>/dev/null || true
            say "guest died before the command started (attempt $attempt), retrying"
            continue
        fi
        break
    done
    trap - INT TERM EXIT

    if [ -n "$INTERRUPTED" ]; then rc=$INTERRUPTED
    elif [ "$timed_out" = 1 ]; then rc=124
    elif [ -s "$job/rc" ]; then rc=$(cat "$job/rc")
    else
        rc=125
        { echo "lab: the guest ended without a result; console: $job/console.log"
          sed 's/^/lab: qemu: /' "$job/qemu.log"
          tail -n 20 "$job/console.log" 2>/dev/null | sed 's/^/lab: console: /'; } >> "$job/stderr"
    fi
    # output arrives after power-off (not streamed); partial output on timeout
    [ -f "$job/stdout" ] && cat "$job/stdout"
    [ -f "$job/stderr" ] && cat "$job/stderr" >&2

    local tcmd=""
    if [ -f "$job/timing" ]; then
        # shellcheck disable=SC1091  # written by the guest
        . "$job/timing"
        # shellcheck disable=SC2154  # guest_uptime_* come from that file
        tcmd=$(secs "$guest_uptime_at_command" "$guest_uptime_after_command")
    fi
    {
        echo "accel=$accel"
        echo "boot_attempts=$attempt"
        echo "host_total_s=$(secs "$t0" "$tend")"
        [ -n "$tstart" ] && echo "host_boot_to_command_s=$(secs "$t0" "$tstart")"
        [ -n "$tcmd" ] && echo "guest_command_s=$tcmd"
        echo "rc=$rc"
    } >> "$job/timing"
    [ -n "${ZXMEM_LAB_TIMING_FILE:-}" ] && cp "$job/timing" "$ZXMEM_LAB_TIMING_FILE"
    verbose "rc=$rc accel=$accel total=$(secs "$t0" "$tend")s boot_to_cmd=${tstart:+$(secs "$t0" "$tstart")}s cmd=${tcmd}s"

    [ "$ivtemp" = 1 ] && rm -f "$ivfile"
    if [ "$OPT_KEEP" = 1 ] || [ "$rc" -ge 124 ]; then
        [ "$rc" -ge 124 ] && say "job folder kept: $job"
        [ "$OPT_KEEP" = 1 ] && verbose "job folder kept: $job"
    else
        rm -rf "$job"
    fi
    return "$rc"
}

# TERM, up to 5 s to exit, then KILL
kill_qemu() {
    local _
    kill -TERM "$1" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
}

# CMD... -> bash script: one argument is a script, several are one argv
make_script() {
    [ $# -ge 1 ] || die "no command given"
    if [ $# = 1 ] && [ "$1" = - ]; then cat
    elif [ $# = 1 ]; then printf '%s\n' "$1"
    else printf '%q ' "$@"; echo; fi
}

cmd_run() {
    parse_opts "$@"; shift "$NARGS"
    [ "${1:-}" = -- ] && shift
    local script; script=$(make_script "$@")
    run_vm "$script"
}

# java [OPTS] [JVM-ARGS...] [--] MAIN [ARGS...]: the guest runs
#   java $ZXMEM_LAB_JAVA_OPTS JVM-ARGS MAIN ARGS   (with JDK 25 from $ZXMEM_LAB_JDK)
cmd_java() {
    parse_opts "$@"; shift "$NARGS"
    local jvm=() rest=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do jvm+=("$1"); shift; done
    if [ $# -gt 0 ]; then shift; rest=("$@"); else rest=("${jvm[@]}"); jvm=(); fi
    local opts=${ZXMEM_LAB_JAVA_OPTS-$DEFAULT_JAVA_OPTS}
    # shellcheck disable=SC2086  # the flag string is word-split on purpose
    run_vm "$(printf '%q ' "$JDK/bin/java" $opts "${jvm[@]}" "${rest[@]}"; echo)"
}

# --------------------------------------------------------------- selftest ----
# Builds the C prover (static) and the Java proof program, writes a pattern into
# an ivshmem file, boots ONE guest that goes through every access path with
# rebinding in between, then checks on the host what the guest wrote back.
cmd_selftest() {
    ensure_built
    local b="$CACHE/build" s="$HERE/selftest" rc=0 t0
    mkdir -p "$b/java"
    t0=$EPOCHREALTIME
    # rebuild only when the sources changed
    local stamp; stamp=$(cat "$s/pcimap.c" "$s/LabProof.java" | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$b/stamp" 2>/dev/null)" != "$stamp" ]; then
        gcc -O2 -static -Wall -Wextra -o "$b/pcimap" "$s/pcimap.c"
        rm -rf "$b/java"; mkdir -p "$b/java"
        "$JDK/bin/javac" -d "$b/java" "$s/LabProof.java"
        echo "$stamp" > "$b/stamp"
    fi
    local iv="$b/selftest.ivshmem" out="$b/out" hostjava=("$JDK/bin/java" --enable-native-access=ALL-UNNAMED -cp "$b/java")
    rm -rf "$out"; mkdir -p "$out"
    rm -f "$iv"; truncate -s 1M "$iv"
    "${hostjava[@]}" LabProof host-write "$iv"
    echo "lab selftest: one guest boot ($(pick_accel)), C prover then one JVM; details in $out"
    OPT_IVFILE=$iv OPT_IVSIZE="" OPT_OUT=$out OPT_TIMEOUT=${ZXMEM_LAB_TIMEOUT:-420} \
    ZXMEM_LAB_TIMING_FILE=$out/timing \
        run_vm "bash $(printf %q "$s/guest-selftest.sh") $(printf %q "$b")" > "$out/guest.txt" || rc=$?
    cat "$out/guest.txt"
    # what the guest wrote into the shared memory, read after power-off
    "${hostjava[@]}" LabProof host-check "$iv" "C sysfs" "C devmem" "C vfio" "J sysfs" "J devmem" "J vfio" \
        > "$out/host.txt" || { [ "$rc" != 0 ] || rc=1; }
    cat "$out/host.txt"
    if [ -f "$out/timing" ]; then
        # shellcheck disable=SC1091
        . "$out/timing"
        echo "TIME boot-to-command ${host_boot_to_command_s:-?}s, guest command ${guest_command_s:-?}s, VM total ${host_total_s:-?}s"
    fi
    echo "TIME selftest total $(secs "$t0" "$EPOCHREALTIME")s"
    local passed failed
    passed=$(cat "$out/guest.txt" "$out/host.txt" | grep -c '^PASSED' || true)
    failed=$(cat "$out/guest.txt" "$out/host.txt" | grep -c '^FAILED' || true)
    # a run that died early has too few lines: the verdict also needs rc 0
    if [ "$rc" = 0 ] && { [ "$failed" != 0 ] || [ "$passed" = 0 ]; }; then rc=1; fi
    echo "selftest: $passed passed, $failed failed"
    if [ "$rc" = 0 ]; then echo "SELFTEST PASSED"; else echo "SELFTEST FAILED (rc=$rc, logs in $out)"; fi
    return "$rc"
}

cmd_info() {
    local kdir; kdir=$(kernel_dir)
    echo "cache:    $CACHE"
    echo "kernel:   ${kdir:-not installed} $(cat "$kdir/.version" 2>/dev/null || true)"
    [ -n "$kdir" ] && echo "boots:    $( [ -f "$kdir/vmlinux" ] && echo "$kdir/vmlinux (PVH)" || echo bzImage)"
    [ -n "$kdir" ] && echo "initrd:   $(initrd_path)"
    echo "accel:    $(pick_accel)  (kvm only with kvm_intel/kvm_amd loaded)"
    echo "qemu:     $(qemu-system-x86_64 --version 2>/dev/null | head -n1 || echo 'not installed')"
    echo "jdk:      $JDK"
    echo "edu:      $EDU_BDF   ivshmem: $IVSHMEM_BDF"
    echo "modules:  $MODULES"
}

# clean: built artefacts and job folders; clean --all: the whole cache (kernel too)
cmd_clean() {
    if [ "${1:-}" = --all ]; then rm -rf "$CACHE"
    else rm -rf "$CACHE"/initramfs-* "$CACHE/jobs" "$CACHE/build"; fi
}

case "${1:-}" in
    install)  with_lock do_install ;;
    build)    with_lock do_install; with_lock do_build ;;
    run)      shift; cmd_run "$@" ;;
    java)     shift; cmd_java "$@" ;;
    selftest) cmd_selftest ;;
    info)     cmd_info ;;
    clean)    shift; cmd_clean "$@" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
