/*
 * The C side of the create/map and read/write benchmarks (CreateMapBench, ReadWriteBench).
 *
 * Each function does in ONE call what zxmem does for one benchmark operation, with the same system
 * calls and the same flags, so that the Java -> C downcall (about 10 ns, measured by zxb_nop) is the
 * only cost the C column carries that a pure C program would not.
 *
 * Functions return 0 or -errno; the benchmarks check the result so a failing syscall cannot pass as a
 * fast one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* An empty call: the fixed cost of one FFM downcall, to subtract mentally from the C numbers. */
void zxb_nop(void) {
}

/* memfd_create + ftruncate + mmap(MAP_SHARED) [+ touch one byte] + munmap + close. */
static int memfd_cycle(size_t size, int touch) {
    /* Same name and flags as zxmem's MemfdStore. */
    int fd = memfd_create("zxmem-vmo", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        return -errno;
    }
    int rc = 0;
    if (ftruncate(fd, (off_t) size) != 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (touch) {
        /* volatile: the store must happen (and fault in a page), not be optimised away. */
        *(volatile unsigned char *) p = 1;
    }
    if (munmap(p, size) != 0) {
        rc = -errno;
    }
    if (close(fd) != 0 && rc == 0) {
        rc = -errno;
    }
    return rc;
}

int zxb_memfd_cycle(size_t size) {
    return memfd_cycle(size, 0);
}

int zxb_memfd_cycle_touch(size_t size) {
    return memfd_cycle(size, 1);
}

/* What vmo.read / vmo.write reduce to once all checks are done: one memcpy. */
void zxb_memcpy(void *dst, const void *src, size_t n) {
    memcpy(dst, src, n);
}
