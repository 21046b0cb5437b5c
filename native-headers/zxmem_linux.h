/*
 * The native surface of zxmem: every system header whose constants, structs and functions the Java
 * bindings (modules/linux, io.zxmem.linux.sys) use by hand.
 *
 * Two consumers, each reading it with its own compiler:
 *  - HeaderCheckTest compiles a generated C file that includes this header and prints, for every
 *    constant and struct layout the Java side declares, the value gcc sees; the test then compares.
 *  - jextract (libclang) generates io.zxmem.linux.gen from it: regen.sh, with the names listed in
 *    jextract-includes.txt. The generated sources are committed; GeneratedBindingsTest holds the
 *    hand-written constants, layouts and downcall signatures equal to them, and CI regenerates them
 *    and fails when the committed ones are stale.
 */
#ifndef ZXMEM_LINUX_H
#define ZXMEM_LINUX_H

#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <linux/falloc.h>
#include <linux/memfd.h>
#include <linux/userfaultfd.h>
#include <linux/vfio.h>
#include <linux/pci_regs.h>

#endif
