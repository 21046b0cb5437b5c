/*
 * zxuffd: the userfaultfd write-protect side of zxmem's copy-on-write engine (modules/cow).
 *
 * A "guard" keeps the snapshot children of one MAPPED parent memfd exact without copying the parent
 * at snapshot time: every MAP_SHARED user mapping of the parent is registered with a userfaultfd in
 * write-protect mode and protected over the children's ranges. The first write to a protected page
 * faults; the handler thread (a plain pthread, never attached to the JVM: a Java handler deadlocks at
 * the first safepoint while another Java thread waits in a fault) copies the page's original bytes
 * into every child memfd that has not saved it yet, then removes the protection in every mapping,
 * which wakes the writer. Java calls in only to register mappings and children, and to save or fill
 * pages before the library itself changes the parent (pwrite and hole punches bypass uffd-wp) or
 * reads a child (an unsaved child page is a hole in the child memfd, reading zero).
 *
 * All state of a guard is under its mutex. The handler holds it only while it copies a page with
 * pread/pwrite through its own buffer, which never faults on a protected page, so nothing that holds
 * the mutex can wait on a fault. Functions return 0 (or a count) on success and -errno on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define COPY_PAGES 64

/* Linux 6.4+; the build machine's headers may predate it (the running kernel is checked by UFFDIO_API). */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif

struct zxu_map {
    uint64_t start, len, off; /* address, length, offset in the parent file */
};

struct zxu_child {
    int fd;            /* the child's memfd (a dup); -1 when the slot is free */
    uint64_t off, len; /* the child shows parent file [off, off+len) at child offset 0 */
    uint64_t *saved;   /* one bit per page: the child memfd holds the original */
    uint64_t unsaved;  /* pages not saved yet */
    int error;         /* first errno of a failed copy (the child is then unusable) */
};

struct zxu_guard {
    pthread_mutex_t mu;
    int uffd, parent_fd, stop[2];
    uint64_t page;
    pthread_t handler;
    struct zxu_map *maps;
    int nmaps, capmaps;
    struct zxu_child *kids;
    int nkids;
    uint64_t faults;
    unsigned char *buf; /* COPY_PAGES pages, used under mu only */
};

static int bit(const uint64_t *b, uint64_t i) {
    return (int) ((b[i >> 6] >> (i & 63)) & 1);
}

static void setbit(uint64_t *b, uint64_t i) {
    b[i >> 6] |= 1ULL << (i & 63);
}

static void wp(struct zxu_guard *g, uint64_t start, uint64_t len, int protect) {
    struct uffdio_writeprotect w = {.range = {.start = start, .len = len},
                                    .mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0};
    /* Errors mean the range is no longer registered (unmapped concurrently): nothing to protect. */
    (void) ioctl(g->uffd, UFFDIO_WRITEPROTECT, &w);
}

/* Whether some live child covering parent page `fo` still needs its original. */
static int needed(struct zxu_guard *g, uint64_t fo) {
    for (int k = 0; k < g->nkids; k++) {
        struct zxu_child *c = &g->kids[k];
        if (c->fd >= 0 && fo >= c->off && fo < c->off + c->len && !bit(c->saved, (fo - c->off) / g->page)) {
            return 1;
        }
    }
    return 0;
}

static int all_zero(const unsigned char *p, uint64_t n) {
    const uint64_t *q = (const uint64_t *) p;
    for (uint64_t i = 0; i < n / 8; i++) {
        if (q[i]) {
            return 0;
        }
    }
    return 1;
}

static int pread_all(int fd, unsigned char *b, uint64_t n, uint64_t off) {
    uint64_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, b + done, n - done, (off_t) (off + done));
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (r == 0) { /* past the parent's end: the original reads zero */
            memset(b + done, 0, n - done);
            return 0;
        }
        done += (uint64_t) r;
    }
    return 0;
}

static int pwrite_all(int fd, const unsigned char *b, uint64_t n, uint64_t off) {
    uint64_t done = 0;
    while (done < n) {
        ssize_t r = pwrite(fd, b + done, n - done, (off_t) (off + done));
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        done += (uint64_t) r;
    }
    return 0;
}

/*
 * Copies parent pages [fo, fo + n*page) into child c where c has not saved them, marking them saved.
 * The parent's bytes there are still the originals: a writer through a protected mapping is blocked
 * in its fault, and the library saves before it writes. Zero pages are left as holes in the child.
 */
static void copy_into(struct zxu_guard *g, struct zxu_child *c, uint64_t fo, uint64_t n) {
    uint64_t p = g->page;
    uint64_t i = 0;
    while (i < n) {
        uint64_t pg = (fo - c->off) / p + i;
        if (bit(c->saved, pg)) {
            i++;
            continue;
        }
        uint64_t j = i;
        while (j < n && j - i < COPY_PAGES && !bit(c->saved, (fo - c->off) / p + j)) {
            j++;
        }
        uint64_t at = fo + i * p;
        int rc = pread_all(g->parent_fd, g->buf, (j - i) * p, at);
        for (uint64_t q = 0; rc == 0 && q < j - i; q++) {
            if (!all_zero(g->buf + q * p, p)) {
                rc = pwrite_all(c->fd, g->buf + q * p, p, at + q * p - c->off);
            }
        }
        if (rc != 0 && c->error == 0) {
            c->error = -rc;
        }
        for (uint64_t q = i; q < j; q++) {
            setbit(c->saved, (fo - c->off) / p + q);
        }
        c->unsaved -= j - i;
        i = j;
    }
}

/* Saves parent range [fo, fo+len) (page-aligned) for every child, then unprotects it in every mapping. */
static void save_locked(struct zxu_guard *g, uint64_t fo, uint64_t len) {
    for (int k = 0; k < g->nkids; k++) {
        struct zxu_child *c = &g->kids[k];
        if (c->fd < 0 || c->unsaved == 0) {
            continue;
        }
        uint64_t s = fo > c->off ? fo : c->off;
        uint64_t e = fo + len < c->off + c->len ? fo + len : c->off + c->len;
        if (s < e) {
            copy_into(g, c, s, (e - s) / g->page);
        }
    }
    for (int m = 0; m < g->nmaps; m++) {
        struct zxu_map *mp = &g->maps[m];
        uint64_t s = fo > mp->off ? fo : mp->off;
        uint64_t e = fo + len < mp->off + mp->len ? fo + len : mp->off + mp->len;
        if (s < e) {
            wp(g, mp->start + (s - mp->off), e - s, 0);
        }
    }
}

static void *handler(void *arg) {
    struct zxu_guard *g = arg;
    struct pollfd fds[2] = {{.fd = g->uffd, .events = POLLIN}, {.fd = g->stop[0], .events = POLLIN}};
    struct uffd_msg msgs[16];
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
        ssize_t n = read(g->uffd, msgs, sizeof msgs);
        if (n <= 0) {
            continue; /* EAGAIN: another wake-up took the message */
        }
        for (ssize_t i = 0; i < n / (ssize_t) sizeof msgs[0]; i++) {
            if (msgs[i].event != UFFD_EVENT_PAGEFAULT) {
                continue;
            }
            uint64_t addr = msgs[i].arg.pagefault.address & ~(g->page - 1);
            pthread_mutex_lock(&g->mu);
            g->faults++;
            int found = 0;
            for (int m = 0; m < g->nmaps; m++) {
                struct zxu_map *mp = &g->maps[m];
                if (addr >= mp->start && addr < mp->start + mp->len) {
                    save_locked(g, mp->off + (addr - mp->start), g->page);
                    found = 1;
                    break;
                }
            }
            pthread_mutex_unlock(&g->mu);
            if (!found) {
                /* The mapping went away (its unregistering woke the writer) or is not ours: nothing to
                 * save. Unprotect and wake anyway, so that no writer can stay blocked. */
                wp(g, addr, g->page, 0);
                struct uffdio_range r = {.start = addr, .len = g->page};
                (void) ioctl(g->uffd, UFFDIO_WAKE, &r);
            }
        }
    }
}

/* A guard for the parent memfd `parent_fd` (duplicated), with its handler thread running, into *out. */
int zxu_open(int parent_fd, long page, void **out) {
    struct zxu_guard *g = calloc(1, sizeof *g);
    if (!g) {
        return -ENOMEM;
    }
    g->page = (uint64_t) page;
    g->uffd = g->parent_fd = g->stop[0] = g->stop[1] = -1;
    pthread_mutex_init(&g->mu, NULL);
    int err = ENOMEM;
    g->buf = malloc((size_t) page * COPY_PAGES);
    if (!g->buf) {
        goto fail;
    }
    /* O_NONBLOCK: poll() on a blocking uffd returns POLLERR here and read() would block forever. */
    g->uffd = (int) syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    if (g->uffd < 0) {
        err = errno;
        goto fail;
    }
    struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM | UFFD_FEATURE_WP_UNPOPULATED};
    if (ioctl(g->uffd, UFFDIO_API, &api) != 0) {
        err = errno;
        goto fail;
    }
    g->parent_fd = fcntl(parent_fd, F_DUPFD_CLOEXEC, 0);
    if (g->parent_fd < 0 || pipe2(g->stop, O_CLOEXEC) != 0) {
        err = errno;
        goto fail;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* the JVM's signals are for its own threads */
    err = pthread_create(&g->handler, NULL, handler, g);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        goto fail;
    }
    pthread_setname_np(g->handler, "zxmem-uffd");
    *out = g;
    return 0;
fail:
    if (g->stop[0] >= 0) {
        close(g->stop[0]);
        close(g->stop[1]);
    }
    if (g->parent_fd >= 0) {
        close(g->parent_fd);
    }
    if (g->uffd >= 0) {
        close(g->uffd);
    }
    free(g->buf);
    pthread_mutex_destroy(&g->mu);
    free(g);
    return -err;
}

/* Registers a mapping of the parent file and protects the pages some child still needs. */
int zxu_add_mapping(void *h, uint64_t start, uint64_t len, uint64_t off) {
    struct zxu_guard *g = h;
    pthread_mutex_lock(&g->mu);
    int rc = 0;
    if (g->nmaps == g->capmaps) {
        int cap = g->capmaps ? 2 * g->capmaps : 8;
        struct zxu_map *m = realloc(g->maps, sizeof *m * (size_t) cap);
        if (!m) {
            rc = -ENOMEM;
            goto out;
        }
        g->maps = m;
        g->capmaps = cap;
    }
    struct uffdio_register reg = {.range = {.start = start, .len = len}, .mode = UFFDIO_REGISTER_MODE_WP};
    if (ioctl(g->uffd, UFFDIO_REGISTER, &reg) != 0) {
        rc = -errno;
        goto out;
    }
    g->maps[g->nmaps++] = (struct zxu_map){start, len, off};
    uint64_t p = g->page;
    for (uint64_t i = 0; i < len / p;) {
        if (!needed(g, off + i * p)) {
            i++;
            continue;
        }
        uint64_t j = i;
        while (j < len / p && needed(g, off + j * p)) {
            j++;
        }
        wp(g, start + i * p, (j - i) * p, 1);
        i = j;
    }
out:
    pthread_mutex_unlock(&g->mu);
    return rc;
}

/* Forgets a mapping about to be unmapped (unregistering it wakes any writer blocked in it). */
int zxu_remove_mapping(void *h, uint64_t start) {
    struct zxu_guard *g = h;
    pthread_mutex_lock(&g->mu);
    for (int m = 0; m < g->nmaps; m++) {
        if (g->maps[m].start == start) {
            struct zxu_map mp = g->maps[m];
            g->maps[m] = g->maps[--g->nmaps];
            wp(g, mp.start, mp.len, 0);
            struct uffdio_range r = {.start = mp.start, .len = mp.len};
            (void) ioctl(g->uffd, UFFDIO_UNREGISTER, &r);
            break;
        }
    }
    pthread_mutex_unlock(&g->mu);
    return 0;
}

/* Unprotects and unregisters every mapping: the guard no longer watches them (it is being replaced or ended). */
int zxu_release_maps(void *h) {
    struct zxu_guard *g = h;
    pthread_mutex_lock(&g->mu);
    for (int m = 0; m < g->nmaps; m++) {
        wp(g, g->maps[m].start, g->maps[m].len, 0);
        struct uffdio_range r = {.start = g->maps[m].start, .len = g->maps[m].len};
        (void) ioctl(g->uffd, UFFDIO_UNREGISTER, &r);
    }
    g->nmaps = 0;
    pthread_mutex_unlock(&g->mu);
    return 0;
}

/* A child that needs parent file [off, off+len) as of now; protects that range in every mapping. */
int zxu_add_child(void *h, int child_fd, uint64_t off, uint64_t len) {
    struct zxu_guard *g = h;
    uint64_t pages = len / g->page;
    uint64_t *saved = calloc((size_t) (pages + 63) / 64 + 1, sizeof(uint64_t));
    if (!saved) {
        return -ENOMEM;
    }
    int fd = fcntl(child_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        free(saved);
        return -e;
    }
    pthread_mutex_lock(&g->mu);
    int id = -1;
    for (int k = 0; k < g->nkids; k++) {
        if (g->kids[k].fd < 0) {
            id = k;
            break;
        }
    }
    if (id < 0) {
        struct zxu_child *k = realloc(g->kids, sizeof *k * (size_t) (g->nkids + 1));
        if (!k) {
            pthread_mutex_unlock(&g->mu);
            close(fd);
            free(saved);
            return -ENOMEM;
        }
        g->kids = k;
        id = g->nkids++;
    }
    g->kids[id] = (struct zxu_child){.fd = fd, .off = off, .len = len, .saved = saved, .unsaved = pages};
    for (int m = 0; m < g->nmaps; m++) {
        struct zxu_map *mp = &g->maps[m];
        uint64_t s = off > mp->off ? off : mp->off;
        uint64_t e = off + len < mp->off + mp->len ? off + len : mp->off + mp->len;
        if (s < e) {
            wp(g, mp->start + (s - mp->off), e - s, 1);
        }
    }
    pthread_mutex_unlock(&g->mu);
    return id;
}

/* Drops a child (closed, or complete): its pages no longer need saving. */
int zxu_remove_child(void *h, int id) {
    struct zxu_guard *g = h;
    pthread_mutex_lock(&g->mu);
    if (id >= 0 && id < g->nkids && g->kids[id].fd >= 0) {
        close(g->kids[id].fd);
        free(g->kids[id].saved);
        g->kids[id].fd = -1;
        g->kids[id].saved = NULL;
    }
    pthread_mutex_unlock(&g->mu);
    return 0;
}

/* The parent is about to change file range [off, off+len): save it for every child first. */
int zxu_save(void *h, uint64_t off, uint64_t len) {
    struct zxu_guard *g = h;
    uint64_t p = g->page;
    uint64_t s = off & ~(p - 1);
    uint64_t e = (off + len + p - 1) & ~(p - 1);
    /* In chunks, so that the handler is never kept waiting long. */
    for (uint64_t at = s; at < e; at += COPY_PAGES * p) {
        uint64_t n = e - at < COPY_PAGES * p ? e - at : COPY_PAGES * p;
        pthread_mutex_lock(&g->mu);
        save_locked(g, at, n);
        pthread_mutex_unlock(&g->mu);
    }
    return 0;
}

/*
 * Child `id` is about to be read or written in its range [off, off+len): copy what it has not saved.
 * @return pages the child still lacks afterwards, or -errno if a copy for it ever failed
 */
int64_t zxu_fill(void *h, int id, uint64_t off, uint64_t len) {
    struct zxu_guard *g = h;
    uint64_t p = g->page;
    pthread_mutex_lock(&g->mu);
    struct zxu_child *c = &g->kids[id];
    uint64_t clen = c->len;
    pthread_mutex_unlock(&g->mu);
    uint64_t s = off & ~(p - 1);
    uint64_t e = (off + len + p - 1) & ~(p - 1);
    if (e > clen) {
        e = clen;
    }
    for (uint64_t at = s; at < e; at += COPY_PAGES * p) {
        uint64_t n = e - at < COPY_PAGES * p ? e - at : COPY_PAGES * p;
        pthread_mutex_lock(&g->mu);
        c = &g->kids[id];
        if (c->fd >= 0 && c->unsaved != 0) {
            /* Holes of the parent need no copy: skip to the next data extent. */
            off_t data = lseek(g->parent_fd, (off_t) (c->off + at), SEEK_DATA);
            if (data < 0 || (uint64_t) data >= c->off + at + n) {
                for (uint64_t q = at / p; q < (at + n) / p; q++) {
                    if (!bit(c->saved, q)) {
                        setbit(c->saved, q);
                        c->unsaved--;
                    }
                }
            } else {
                copy_into(g, c, c->off + at, n / p);
            }
        }
        pthread_mutex_unlock(&g->mu);
    }
    pthread_mutex_lock(&g->mu);
    c = &g->kids[id];
    int64_t rc = c->fd < 0 ? 0 : c->error ? -(int64_t) c->error : (int64_t) c->unsaved;
    pthread_mutex_unlock(&g->mu);
    return rc;
}

/* @return pages child `id` still lacks, or -errno if a copy for it failed */
int64_t zxu_unsaved(void *h, int id) {
    struct zxu_guard *g = h;
    pthread_mutex_lock(&g->mu);
    struct zxu_child *c = &g->kids[id];
    int64_t rc = c->fd < 0 ? 0 : c->error ? -(int64_t) c->error : (int64_t) c->unsaved;
    pthread_mutex_unlock(&g->mu);
    return rc;
}

/* @return write-protect faults handled so far (for tests and benchmarks) */
int64_t zxu_faults(void *h) {
    struct zxu_guard *g = h;
    pthread_mutex_lock(&g->mu);
    int64_t n = (int64_t) g->faults;
    pthread_mutex_unlock(&g->mu);
    return n;
}

/*
 * Ends the guard: unprotects and unregisters every mapping (which wakes any writer still waiting),
 * stops and joins the handler, closes every descriptor. The caller made sure no child needs saving.
 */
int zxu_close(void *h) {
    struct zxu_guard *g = h;
    zxu_release_maps(g);
    ssize_t w;
    do {
        w = write(g->stop[1], "x", 1);
    } while (w < 0 && errno == EINTR);
    pthread_join(g->handler, NULL);
    close(g->stop[0]);
    close(g->stop[1]);
    close(g->uffd); /* releases the context: any remaining waiter is woken */
    close(g->parent_fd);
    for (int k = 0; k < g->nkids; k++) {
        if (g->kids[k].fd >= 0) {
            close(g->kids[k].fd);
            free(g->kids[k].saved);
        }
    }
    free(g->kids);
    free(g->maps);
    free(g->buf);
    pthread_mutex_destroy(&g->mu);
    free(g);
    return 0;
}
