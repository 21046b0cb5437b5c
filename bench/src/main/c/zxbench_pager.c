/*
 * C baselines for the pager benchmarks (PagerBench): what the first touch of a page costs when a
 * userfaultfd handler thread supplies it, in the two modes a pager on shmem can use, and when the
 * kernel finds the page in the page cache by itself.
 *
 *   MISSING: the mapping of an empty memfd is registered for missing faults; the handler copies the
 *            page in with UFFDIO_COPY (which fills the page cache of the file).
 *   MINOR:   the pager first fills the file with pwrite (as zxmem's supplyPages does; counted in the
 *            round), the mapping is registered for minor faults, and the handler maps each page with
 *            UFFDIO_CONTINUE. (A fault on a hole would not reach a MINOR registration.)
 *   cache:   no userfaultfd: every page is already in the page cache; the fault is the kernel's alone.
 *   MISSING, cross-process: as MISSING, but the handler runs in a forked child process (it inherits the
 *            userfaultfd): the C reference for a pager in another process, two processes' threads
 *            waking each other as zxmem's direct lazy windows do.
 *
 * The userfaultfd is opened with UFFD_USER_MODE_ONLY, which ordinary users may do. Each round maps a
 * fresh window (the file emptied first), touches `pages` pages one by one and unmaps; functions
 * return 0 or -errno.
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
#include <sys/wait.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

struct zxb_pager {
    int fd;
    size_t size;
    long page;
    int minor;
    int uffd;
    unsigned char *src;
    unsigned char *map;
    pthread_t handler;
    pid_t child;  /* the handler's process (mode 3), else 0 */
    int stop_pipe[2];
};

static void *pager_handler(void *arg) {
    struct zxb_pager *c = arg;
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
        if (c->minor) {
            struct uffdio_continue cont = {.range = {.start = page, .len = (uint64_t) c->page}, .mode = 0};
            ioctl(c->uffd, UFFDIO_CONTINUE, &cont);
        } else {
            struct uffdio_copy copy = {.dst = page, .src = (uintptr_t) c->src, .len = (uint64_t) c->page, .mode = 0};
            ioctl(c->uffd, UFFDIO_COPY, &copy);
        }
    }
}

/* A memfd of `size` bytes and, unless `mode` is 2 (page cache only), a userfaultfd handler thread in
 * mode 0 (MISSING + UFFDIO_COPY) or 1 (MINOR + pwrite + UFFDIO_CONTINUE), or in mode 3 a handler
 * process (MISSING + UFFDIO_COPY from a forked child, which only polls, reads and ioctls). */
void *zxb_pager_setup(size_t size, int mode) {
    struct zxb_pager *c = calloc(1, sizeof *c);
    if (!c) {
        return NULL;
    }
    c->size = size;
    c->page = sysconf(_SC_PAGESIZE);
    c->minor = mode == 1;
    c->uffd = -1;
    c->fd = memfd_create("zxbench-pager", MFD_CLOEXEC);
    c->src = mmap(NULL, (size_t) c->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c->fd < 0 || c->src == MAP_FAILED || ftruncate(c->fd, (off_t) size) != 0) {
        free(c);
        return NULL;
    }
    memset(c->src, 0x5a, (size_t) c->page);
    if (mode == 2) {
        for (size_t off = 0; off < size; off += (size_t) c->page) {
            if (pwrite(c->fd, c->src, (size_t) c->page, (off_t) off) != c->page) {
                free(c);
                return NULL;
            }
        }
        return c;
    }
    c->uffd = (int) syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    if (c->uffd < 0) {
        free(c);
        return NULL;
    }
    struct uffdio_api api = {.api = UFFD_API,
            .features = c->minor ? UFFD_FEATURE_MINOR_SHMEM : UFFD_FEATURE_MISSING_SHMEM};
    if (ioctl(c->uffd, UFFDIO_API, &api) != 0 || pipe2(c->stop_pipe, O_CLOEXEC) != 0) {
        close(c->uffd);
        free(c);
        return NULL;
    }
    if (mode == 3) {
        pid_t pid = fork();
        if (pid == 0) {
            close(c->stop_pipe[1]);
            pager_handler(c);
            _exit(0);
        }
        if (pid < 0) {
            close(c->uffd);
            free(c);
            return NULL;
        }
        c->child = pid;
        return c;
    }
    if (pthread_create(&c->handler, NULL, pager_handler, c) != 0) {
        close(c->uffd);
        free(c);
        return NULL;
    }
    return c;
}

/* One round: a fresh, empty window (registered with the userfaultfd), `pages` first touches, unmap. */
int zxb_pager_round(void *ctx, long pages) {
    struct zxb_pager *c = ctx;
    if (c->uffd >= 0) {
        /* Empty the file: every page must come from the handler again. */
        if (ftruncate(c->fd, 0) != 0 || ftruncate(c->fd, (off_t) c->size) != 0) {
            return -errno;
        }
        /* MINOR: the pager fills the page cache first (pwrite, as zxmem's supplyPages does); each first
         * touch then faults as minor and the handler only maps the page. The fill is part of the round. */
        for (long i = 0; c->minor && i < pages; i++) {
            if (pwrite(c->fd, c->src, (size_t) c->page, (off_t) (i * c->page)) != c->page) {
                return -errno;
            }
        }
    }
    unsigned char *m = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
    if (m == MAP_FAILED) {
        return -errno;
    }
    c->map = m;
    if (c->uffd >= 0) {
        struct uffdio_register reg = {.range = {.start = (uintptr_t) m, .len = c->size},
                .mode = c->minor ? UFFDIO_REGISTER_MODE_MINOR : UFFDIO_REGISTER_MODE_MISSING};
        if (ioctl(c->uffd, UFFDIO_REGISTER, &reg) != 0) {
            int e = errno;
            munmap(m, c->size);
            return -e;
        }
    }
    volatile unsigned char sum = 0;
    for (long i = 0; i < pages; i++) {
        sum += m[i * c->page];
    }
    (void) sum;
    return munmap(m, c->size) == 0 ? 0 : -errno;
}

void zxb_pager_teardown(void *ctx) {
    struct zxb_pager *c = ctx;
    if (c->uffd >= 0) {
        if (write(c->stop_pipe[1], "x", 1) == 1) {
            if (c->child > 0) {
                waitpid(c->child, NULL, 0);
            } else {
                pthread_join(c->handler, NULL);
            }
        }
        close(c->stop_pipe[0]);
        close(c->stop_pipe[1]);
        close(c->uffd);
    }
    munmap(c->src, (size_t) c->page);
    close(c->fd);
    free(c);
}
