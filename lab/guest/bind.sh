#!/bin/bash
# bind.sh - (re)bind a PCI device to a driver inside the lab guest, so that one
# boot (and one test JVM) can go through every zxmem backend in turn.
#
#   bind.sh BDF DRIVER      DRIVER: none | vfio-pci | uio_pci_generic (or any PCI driver)
#   bind.sh status [BDF...] driver, command register, IOMMU group, device node
# BDF may also be "edu" or "ivshmem". In the guest this file is
# $ZXMEM_LAB_BIND_SH (/run/zxmem-lab/bind.sh, also on PATH).
#
# Exit: 0 done (nothing printed), 1 the kernel did not bind as asked,
#       2 usage, 3 the device is held open through VFIO (see below).
#
# After "none" the device's Memory Space Enable bit is set if it was clear, so
# sysfs resourceN and /dev/mem see the BAR as the firmware left it (SeaBIOS
# enables every device). Bus Master Enable is never set here: DMA is only
# possible through VFIO (the IOMMU has no mappings otherwise), and a VFIO user
# sets it itself through the config region.
#
# POSIX sh on purpose: the guest's init runs it with busybox sh before the host
# root is mounted; tests run it with the host's bash.
set -euo pipefail

# Under TCG every fork+exec costs 40-90 ms, so this script sticks to shell
# builtins where it can (test -ef, read, globs, ${x##*/}).

die() { echo "bind.sh: $1" >&2; exit "${2:-1}"; }

resolve() {   # sets $bdf
    case "$1" in
        edu)     bdf=${ZXMEM_LAB_EDU_BDF:-0000:00:10.0} ;;
        ivshmem) bdf=${ZXMEM_LAB_IVSHMEM_BDF:-0000:00:11.0} ;;
        *)       bdf=$1 ;;
    esac
}

driver_of() {   # sets $drv: the bound driver's name, or none
    drv=none
    [ -e "$1/driver" ] || return 0
    for x in /sys/bus/pci/drivers/*; do
        if [ "$1/driver" -ef "$x" ]; then drv=${x##*/}; return 0; fi
    done
}

# PCI command register (config offset 4, little endian) through sysfs config
cmd_read() { od -An -tx2 -j 4 -N 2 "$1/config" | tr -d ' \n'; }
cmd_write() {   # cmd_write DEVDIR VALUE
    local v=$(( $2 ))
    # shellcheck disable=SC2059  # the format is built from octal escapes on purpose
    printf "\\$(printf %o $((v & 255)))\\$(printf %o $((v >> 8)))" |
        dd of="$1/config" bs=2 seek=2 count=1 conv=notrunc 2>/dev/null
}

wait_for() {   # wait_for PATH: device nodes appear asynchronously after probe
    local i=0
    while [ ! -e "$1" ]; do
        i=$((i + 1)); [ "$i" -le 100 ] || return 1
        sleep 0.05
    done
}

status() {
    local a d extra
    for a in "$@"; do
        resolve "$a"; d=/sys/bus/pci/devices/$bdf
        [ -d "$d" ] || { echo "$bdf: no such device"; continue; }
        driver_of "$d"; extra=""
        if [ -e "$d/iommu_group" ]; then g=$(readlink "$d/iommu_group"); extra="$extra iommu_group=${g##*/}"; fi
        for u in "$d"/uio/uio*; do [ -e "$u" ] && extra="$extra uio=${u##*/}"; done
        read -r v < "$d/vendor"; read -r p < "$d/device"; read -r en < "$d/enable"
        echo "$bdf $v:$p driver=$drv command=0x$(cmd_read "$d") enabled=$en$extra"
    done
}

if [ "${1:-}" = status ]; then
    shift
    [ $# -gt 0 ] || set -- edu ivshmem
    status "$@"
    exit 0
fi
[ $# = 2 ] || die "usage: bind.sh BDF none|vfio-pci|uio_pci_generic  |  bind.sh status [BDF...]" 2

resolve "$1"; want=$2
d=/sys/bus/pci/devices/$bdf
[ -d "$d" ] || die "no PCI device $bdf" 2
driver_of "$d"; cur=$drv

if [ "$cur" != "$want" ]; then
    # Unbinding vfio-pci while a process holds the device (an open device fd or
    # a live mmap of it) blocks in the kernel until that process lets go, which
    # would hang the test batch. vfio-pci enables the PCI device exactly while a
    # user has it open, so "enable" tells us; refuse instead of hanging.
    read -r enabled < "$d/enable"
    if [ "$cur" = vfio-pci ] && [ "$enabled" != 0 ]; then
        die "$bdf is still open through VFIO (close the device fd and munmap its regions first)" 3
    fi
    [ "$cur" = none ] || echo "$bdf" > "$d/driver/unbind"
fi

if [ "$want" = none ]; then
    echo > "$d/driver_override"     # empty: no override
    c=$(cmd_read "$d")
    if [ $((0x$c & 2)) = 0 ]; then
        cmd_write "$d" $((0x$c | 2))
        echo "bind.sh: $bdf: set Memory Space Enable (command was 0x$c, now 0x$(cmd_read "$d"))" >&2
    fi
    exit 0
fi

# driver_override makes the named driver (and only it) take the device, without
# having to teach the driver the vendor:device ID through new_id
echo "$want" > "$d/driver_override"
[ "$cur" = "$want" ] || echo "$bdf" > /sys/bus/pci/drivers_probe 2>/dev/null || true
driver_of "$d"
if [ "$drv" != "$want" ]; then
    echo > "$d/driver_override"    # leave no override behind that blocks other drivers
    die "$bdf: driver is '$drv' after probing '$want' (module loaded? see dmesg)"
fi

case "$want" in
    vfio-pci)
        g=$(readlink "$d/iommu_group"); g=${g##*/}
        wait_for "/dev/vfio/$g" || die "$bdf: /dev/vfio/$g did not appear" ;;
    uio_pci_generic)
        wait_for "$d/uio" || die "$bdf: no uio directory"
        for u in "$d"/uio/uio*; do u=${u##*/}; done
        wait_for "/dev/$u" || die "$bdf: /dev/$u did not appear" ;;
esac
exit 0
