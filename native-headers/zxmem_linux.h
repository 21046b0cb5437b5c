/*
 * The native surface of zxmem: every system header whose constants, structs and functions the Java
 * bindings (modules/linux, io.zxmem.linux.sys) use by hand.
 *
 * Two consumers:
 *  - HeaderCheckTest compiles a generated C file that includes this header and prints, for every
 *    constant and struct layout the Java side declares, the value gcc sees; the test then compares.
 *  - `mvn -Pjextract` feeds this header to jextract (when it is on PATH) to regenerate bindings for
 *    comparison. jextract is not published in any registry this project can reach, so the
 *    hand-written bindings are the ones in use.
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
