/*
 * C baselines for the copy-on-write benchmarks (CowBench, CloneBench): the same kernel mechanisms
 * zxmem's cow module uses (a frozen memfd mapped MAP_PRIVATE by parent and child, the parent remapped
 * in place with MAP_FIXED) and, for comparison, a userfaultfd write-protect round trip with a native
 * handler thread (the mechanism a uffd-based engine would pay per first write).
 *
 * A context is set up once per benchmark trial: a memfd of `size` bytes, every page written, and the
 * parent's mapping of it. Functions return 0 or -errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct zxb_cow {
    int fd;
    size_t size;
    unsigned char *parent;
    /* userfaultfd round trip */
    int uffd;
    unsigned char *saved;
    pthread_t handler;
    int stop_pipe[2];
    long page;
};

void *zxb_cow_setup(size_t size) {
    struct zxb_cow *c = calloc(1, sizeof *c);
    if (!c) {
        return NULL;
    }
    c->size = size;
    c->page = sysconf(_SC_PAGESIZE);
    c->uffd = -1;
    c->fd = memfd_create("zxbench-cow", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (c->fd < 0 || ftruncate(c->fd, (off_t) size) != 0) {
        free(c);
        return NULL;
    }
    unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
    if (p == MAP_FAILED) {
        close(c->fd);
        free(c);
        return NULL;
    }
    for (size_t i = 0; i < size; i += (size_t) c->page) {
        p[i] = (unsigned char) (i / (size_t) c->page);
    }
    /* From now on the parent is a private mapping of the frozen file, as after zxmem's first cut. */
    if (mmap(p, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, c->fd, 0) == MAP_FAILED) {
        return NULL;
    }
    c->parent = p;
    return c;
}

/* The hidden-parent snapshot: remap the parent in place over the frozen file, map the child
 * privately, and (to keep the loop steady) unmap the child again. */
int zxb_hidden_snapshot(void *ctx) {
    struct zxb_cow *c = ctx;
    if (mmap(c->parent, c->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, c->fd, 0) == MAP_FAILED) {
        return -errno;
    }
    void *child = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, c->fd, 0);
    if (child == MAP_FAILED) {
        return -errno;
    }
    return munmap(child, c->size) == 0 ? 0 : -errno;
}

/* Kernel COW: map a child privately, write one byte to each of `pages` pages, unmap. */
int zxb_private_first_write(void *ctx, long pages) {
    struct zxb_cow *c = ctx;
    unsigned char *child = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, c->fd, 0);
    if (child == MAP_FAILED) {
        return -errno;
    }
    for (long i = 0; i < pages; i++) {
        ((volatile unsigned char *) child)[i * c->page + 1] = 7;
    }
    return munmap(child, c->size) == 0 ? 0 : -errno;
}

/* Fuchsia's Vmo/Clone/{Read,Write}{Orig,Clone}{All,Some} on the hidden-parent mechanism: snapshot,
 * then memcpy a page into or out of every page (all) or every other page (some) of the clone or of
 * the original, then drop the clone. */
int zxb_clone_op(void *ctx, int target_clone, int do_read, int full, void *buf) {
    struct zxb_cow *c = ctx;
    if (mmap(c->parent, c->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, c->fd, 0) == MAP_FAILED) {
        return -errno;
    }
    unsigned char *child = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, c->fd, 0);
    if (child == MAP_FAILED) {
        return -errno;
    }
    unsigned char *t = target_clone ? child : c->parent;
    size_t step = (size_t) c->page * (full ? 1 : 2);
    for (size_t off = 0; off < c->size; off += step) {
        if (do_read) {
            memcpy(buf, t + off, (size_t) c->page);
        } else {
            memcpy(t + off, buf, (size_t) c->page);
        }
    }
    return munmap(child, c->size) == 0 ? 0 : -errno;
}

/* ---- userfaultfd write-protect round trip, native handler thread ---- */

static void *uffd_handler(void *arg) {
    struct zxb_cow *c = arg;
    struct pollfd fds[2] = {{.fd = c->uffd, .events = POLLIN}, {.fd = c->stop_pipe[0], .events = POLLIN}};
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return NULL;
        }
        if (fds[1].revents) {
            return NULL;
        }
        struct uffd_msg msg;
        ssize_t n = read(c->uffd, &msg, sizeof msg);
        if (n != sizeof msg || msg.event != UFFD_EVENT_PAGEFAULT) {
            continue;
        }
        uintptr_t page = msg.arg.pagefault.address & ~((uintptr_t) c->page - 1);
        /* Save the original page for the snapshot child, then let the writer go on. */
        memcpy(c->saved + (page - (uintptr_t) c->parent), (void *) page, (size_t) c->page);
        struct uffdio_writeprotect wp = {.range = {.start = page, .len = (uint64_t) c->page}, .mode = 0};
        ioctl(c->uffd, UFFDIO_WRITEPROTECT, &wp);
    }
}

/* Registers a MAP_SHARED mapping of the file for write-protect faults and starts the handler. */
int zxb_uffd_setup(void *ctx) {
    struct zxb_cow *c = ctx;
    c->uffd = (int) syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    if (c->uffd < 0) {
        /* Unprivileged (vm.unprivileged_userfaultfd=0): user-mode faults only, as zxmem does. */
        c->uffd = (int) syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | 1 /* UFFD_USER_MODE_ONLY */);
    }
    if (c->uffd < 0) {
        return -errno;
    }
    struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM};
    if (ioctl(c->uffd, UFFDIO_API, &api) != 0) {
        return -errno;
    }
    unsigned char *shared = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
    c->saved = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED || c->saved == MAP_FAILED) {
        return -errno;
    }
    /* Map every page (read faults) as a used VMO's mapping would be: protecting present PTEs is what
     * a snapshot of a mapped, written parent costs. */
    for (size_t off = 0; off < c->size; off += (size_t) c->page) {
        (void) ((volatile unsigned char *) shared)[off];
    }
    munmap(c->parent, c->size);
    c->parent = shared;
    struct uffdio_register reg = {.range = {.start = (uintptr_t) shared, .len = c->size}, .mode = UFFDIO_REGISTER_MODE_WP};
    if (ioctl(c->uffd, UFFDIO_REGISTER, &reg) != 0) {
        return -errno;
    }
    if (pipe2(c->stop_pipe, O_CLOEXEC) != 0) {
        return -errno;
    }
    return pthread_create(&c->handler, NULL, uffd_handler, c) == 0 ? 0 : -EAGAIN;
}

/* One snapshot's worth of first writes on the uffd path: protect the whole range (taking the
 * snapshot), then write one byte to each of `pages` pages: each write is one fault round trip. */
int zxb_uffd_first_write(void *ctx, long pages) {
    struct zxb_cow *c = ctx;
    struct uffdio_writeprotect wp = {.range = {.start = (uintptr_t) c->parent, .len = c->size}, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
    if (ioctl(c->uffd, UFFDIO_WRITEPROTECT, &wp) != 0) {
        return -errno;
    }
    for (long i = 0; i < pages; i++) {
        ((volatile unsigned char *) c->parent)[i * c->page + 1] = 7;
    }
    return 0;
}

/* What taking a snapshot costs on a uffd write-protect engine, in C: the child's empty memfd and one
 * UFFDIO_WRITEPROTECT over the whole mapped parent; then (the child's close) unprotect and close. */
int zxb_uffd_snapshot(void *ctx) {
    struct zxb_cow *c = ctx;
    int child = memfd_create("zxb-child", MFD_CLOEXEC);
    if (child < 0 || ftruncate(child, (off_t) c->size) != 0) {
        return -errno;
    }
    struct uffdio_writeprotect wp = {.range = {.start = (uintptr_t) c->parent, .len = c->size}, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
    if (ioctl(c->uffd, UFFDIO_WRITEPROTECT, &wp) != 0) {
        return -errno;
    }
    wp.mode = 0;
    if (ioctl(c->uffd, UFFDIO_WRITEPROTECT, &wp) != 0) {
        return -errno;
    }
    return close(child) == 0 ? 0 : -errno;
}

void zxb_cow_teardown(void *ctx) {
    struct zxb_cow *c = ctx;
    if (c->uffd >= 0) {
        if (write(c->stop_pipe[1], "x", 1) == 1) {
            pthread_join(c->handler, NULL);
        }
        close(c->stop_pipe[0]);
        close(c->stop_pipe[1]);
        close(c->uffd);
        munmap(c->saved, c->size);
    }
    munmap(c->parent, c->size);
    close(c->fd);
    free(c);
}
