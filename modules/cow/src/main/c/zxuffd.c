/*
 * zxuffd: the fault side of zxmem's copy-on-write engine (modules/cow). "Save before write".
 *
 * Every VMO is its own memfd. A copy-on-write child is a NODE with its own file, a SOURCE node (the
 * VMO it was cut from), the source range it shows, and a SAVED bitmap: a saved page is authoritative
 * in the child's own file; an unsaved page still reads through to the source (recursively: the
 * source may itself be a child that has not saved the page). Before anything changes a source page
 * that a dependent has not saved, the original is copied into the dependent ("saved"):
 *   - library changes (pwrite, hole punches, truncation) call zxu_save first (from Java);
 *   - writes through mappings of the source are stopped by userfaultfd write-protection on every
 *     window of the source; the handler saves the page, un-protects it, and wakes the writer;
 *   - a child's own mappings are registered MISSING (and WP): touching an unsaved page faults, and
 *     the handler fills the page from the source with UFFDIO_COPY.
 *
 * ONE process-wide userfaultfd and ONE handler pthread serve every node. One mutex protects all
 * state. A cut (zxu_cut) write-protects every window of the source inside one call while holding the
 * mutex, so the handler cannot resolve any fault until every window is protected: every page's
 * saved value is memory at the end of the cut (a point-in-time snapshot). It is one downcall because
 * a Java thread returning to Java between ioctls could stop at a safepoint while a writer waits in a
 * held fault in Java state: the JVM would deadlock.
 *
 * The handler is a plain pthread, never attached to the JVM (a Java handler deadlocks at the first
 * safepoint while another Java thread waits in a fault). Nothing that holds the mutex ever touches
 * user memory that can fault: copies go through the engine's own buffers or buffers Java allocated.
 *
 * Functions return 0 (or a count) on success and -errno on failure. Once the handler has failed
 * (a poll/read error), the engine is DEAD: every window is unregistered (which wakes every blocked
 * writer) and every call returns -EIO (callers turn it into ZxException, never a hang).
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_PAGES 64

#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

struct node {
    int fd;                /* the node's own file (owned by Java; valid until zxu_node_free) */
    struct node *src;      /* source, or NULL (a root, or a child that saved every page) */
    uint64_t soff;         /* node offset 0 shows source offset soff */
    uint64_t shown;        /* node bytes [0, shown) read through to the source while unsaved */
    uint64_t *saved;       /* one bit per page of [0, shown) */
    uint64_t unsaved;      /* pages of [0, shown) not saved yet */
    struct node **deps;    /* dependents: nodes whose src is this node */
    int ndeps, capdeps;
    int refs;              /* 1 while Java holds it, +1 per dependent */
    int error;             /* first errno of a failed save into this node (it is then unusable) */
};

struct win {
    uint64_t start, len, off; /* address, length, offset in the node's file */
    struct node *n;
};

static struct {
    pthread_mutex_t mu;
    int uffd;
    int mode; /* 0 none, 1 full, 2 user-mode only */
    int dead; /* errno that killed the handler, or 0 */
    int stop[2];
    pthread_t handler;
    uint64_t page;
    struct win *wins;
    int nwins, capwins;
    uint64_t faults;
    unsigned char *buf;   /* CHUNK_PAGES pages, used under mu only */
    unsigned char *zero;  /* one zero page */
    int init_err;
} E = {.mu = PTHREAD_MUTEX_INITIALIZER, .uffd = -1, .stop = {-1, -1}};

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;

static int bit(const uint64_t *b, uint64_t i) {
    return (int) ((b[i >> 6] >> (i & 63)) & 1);
}

static void setbit(uint64_t *b, uint64_t i) {
    b[i >> 6] |= 1ULL << (i & 63);
}

/* Whether node n's page pg lives in n's own file (saved, beyond the shown range, or no source). */
static int own(const struct node *n, uint64_t pg) {
    return n->src == NULL || pg * E.page >= n->shown || bit(n->saved, pg);
}

static int pread_all(int fd, unsigned char *b, uint64_t len, uint64_t off) {
    uint64_t done = 0;
    while (done < len) {
        ssize_t r = pread(fd, b + done, len - done, (off_t) (off + done));
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (r == 0) { /* past the end of the file: zeros */
            memset(b + done, 0, len - done);
            return 0;
        }
        done += (uint64_t) r;
    }
    return 0;
}

static int pwrite_all(int fd, const unsigned char *b, uint64_t len, uint64_t off) {
    uint64_t done = 0;
    while (done < len) {
        ssize_t r = pwrite(fd, b + done, len - done, (off_t) (off + done));
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

static int all_zero(const unsigned char *p, uint64_t len) {
    const uint64_t *q = (const uint64_t *) p;
    for (uint64_t i = 0; i < len / 8; i++) {
        if (q[i]) {
            return 0;
        }
    }
    return 1;
}

/* Node n's current content of page-aligned [off, off+len) into buf (through the chain of sources). */
static int read_pages(struct node *n, uint64_t off, uint64_t len, unsigned char *buf) {
    uint64_t p = E.page, first = off / p, count = len / p;
    for (uint64_t i = 0; i < count;) {
        int o = own(n, first + i);
        uint64_t j = i + 1;
        while (j < count && own(n, first + j) == o) {
            j++;
        }
        int rc = o ? pread_all(n->fd, buf + i * p, (j - i) * p, off + i * p)
                   : read_pages(n->src, n->soff + off + i * p, (j - i) * p, buf + i * p);
        if (rc != 0) {
            return rc;
        }
        i = j;
    }
    return 0;
}

/* Whether node n's page-aligned [off, off+len) may hold a non-zero byte (holes are skipped cheaply). */
static int may_have_data(struct node *n, uint64_t off, uint64_t len) {
    uint64_t p = E.page, first = off / p, count = len / p;
    for (uint64_t i = 0; i < count;) {
        int o = own(n, first + i);
        uint64_t j = i + 1;
        while (j < count && own(n, first + j) == o) {
            j++;
        }
        if (o) {
            off_t d = lseek(n->fd, (off_t) (off + i * p), SEEK_DATA);
            if (d >= 0 && (uint64_t) d < off + j * p) {
                return 1;
            }
        } else if (may_have_data(n->src, n->soff + off + i * p, (j - i) * p)) {
            return 1;
        }
        i = j;
    }
    return 0;
}

static void wp_range(uint64_t start, uint64_t len, int protect, int *err) {
    struct uffdio_writeprotect w = {.range = {.start = start, .len = len},
                                    .mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0};
    if (ioctl(E.uffd, UFFDIO_WRITEPROTECT, &w) != 0 && err && *err == 0) {
        *err = errno;
    }
}

/* Whether some dependent of n still needs n's page at file offset fo (not saved it yet). */
static int needed(struct node *n, uint64_t fo) {
    for (int k = 0; k < n->ndeps; k++) {
        struct node *d = n->deps[k];
        if (fo >= d->soff && fo - d->soff < d->shown && !bit(d->saved, (fo - d->soff) / E.page)) {
            return 1;
        }
    }
    return 0;
}

/* Un-protects n's file range [fo, fo+len) in every window of n (nothing needs it protected any more). */
static void unprotect_node(struct node *n, uint64_t fo, uint64_t len) {
    for (int m = 0; m < E.nwins; m++) {
        struct win *w = &E.wins[m];
        if (w->n != n) {
            continue;
        }
        uint64_t s = fo > w->off ? fo : w->off;
        uint64_t e = fo + len < w->off + w->len ? fo + len : w->off + w->len;
        if (s < e) {
            wp_range(w->start + (s - w->off), e - s, 0, NULL);
        }
    }
}

static void detach(struct node *d);

/* Copies d's unsaved pages in d's range [off, off+count pages) from its source into d's file. */
static int fill_locked(struct node *d, uint64_t off, uint64_t count) {
    uint64_t p = E.page;
    for (uint64_t i = 0; i < count;) {
        uint64_t pg = off / p + i;
        if (own(d, pg)) {
            i++;
            continue;
        }
        uint64_t j = i + 1;
        while (j < count && j - i < CHUNK_PAGES && !own(d, off / p + j)) {
            j++;
        }
        uint64_t at = off + i * p, len = (j - i) * p;
        int rc = 0;
        if (may_have_data(d->src, d->soff + at, len)) {
            rc = read_pages(d->src, d->soff + at, len, E.buf);
            for (uint64_t q = 0; rc == 0 && q < j - i; q++) {
                if (!all_zero(E.buf + q * p, p)) {
                    rc = pwrite_all(d->fd, E.buf + q * p, p, at + q * p);
                }
            }
        }
        if (rc != 0) {
            if (d->error == 0) {
                d->error = -rc;
            }
            return rc;
        }
        for (uint64_t q = i; q < j; q++) {
            setbit(d->saved, off / p + q);
        }
        d->unsaved -= j - i;
        i = j;
    }
    return 0;
}

/* Node n's file range [fo, fo+len) (page-aligned) is about to change: save it into every dependent. */
static int save_locked(struct node *n, uint64_t fo, uint64_t len) {
    int rc = 0;
    for (int k = 0; k < n->ndeps; k++) {
        struct node *d = n->deps[k];
        if (d->unsaved == 0) {
            continue;
        }
        uint64_t s = fo > d->soff ? fo : d->soff;
        uint64_t e = fo + len < d->soff + d->shown ? fo + len : d->soff + d->shown;
        if (s < e) {
            int r = fill_locked(d, s - d->soff, (e - s) / E.page);
            if (r != 0 && rc == 0) {
                rc = r;
            }
        }
    }
    if (rc == 0) {
        unprotect_node(n, fo, len);
    }
    /* Dependents that saved everything leave: they no longer read through to n. */
    for (int k = 0; k < n->ndeps;) {
        if (n->deps[k]->unsaved == 0 && n->deps[k]->error == 0) {
            detach(n->deps[k]);
        } else {
            k++;
        }
    }
    return rc;
}

static void unref(struct node *n) {
    if (--n->refs == 0) {
        free(n->saved);
        free(n->deps);
        free(n);
    }
}

/*
 * d stops reading through to its source. Pages of the source that no other dependent needs lose
 * their protection now, so that later writes to them do not fault for nothing.
 */
static void detach(struct node *d) {
    struct node *s = d->src;
    if (!s) {
        return;
    }
    for (int k = 0; k < s->ndeps; k++) {
        if (s->deps[k] == d) {
            s->deps[k] = s->deps[--s->ndeps];
            break;
        }
    }
    uint64_t p = E.page;
    for (int m = 0; m < E.nwins && !E.dead; m++) {
        struct win *w = &E.wins[m];
        if (w->n != s) {
            continue;
        }
        uint64_t a = d->soff > w->off ? d->soff : w->off;
        uint64_t e = d->soff + d->shown < w->off + w->len ? d->soff + d->shown : w->off + w->len;
        for (uint64_t fo = a; fo < e;) {
            if (needed(s, fo)) {
                fo += p;
                continue;
            }
            uint64_t end = fo + p;
            while (end < e && !needed(s, end)) {
                end += p;
            }
            wp_range(w->start + (fo - w->off), end - fo, 0, NULL);
            fo = end;
        }
    }
    d->src = NULL;
    unref(s);
}

static struct win *find_win(uint64_t addr) {
    for (int m = 0; m < E.nwins; m++) {
        if (addr >= E.wins[m].start && addr - E.wins[m].start < E.wins[m].len) {
            return &E.wins[m];
        }
    }
    return NULL;
}

static void wake(uint64_t addr) {
    struct uffdio_range r = {.start = addr, .len = E.page};
    (void) ioctl(E.uffd, UFFDIO_WAKE, &r);
}

static void fault(const struct uffd_msg *msg) {
    uint64_t p = E.page;
    uint64_t addr = msg->arg.pagefault.address & ~(p - 1);
    E.faults++;
    struct win *w = find_win(addr);
    if (!w) {
        /* Not ours any more (unregistered while queued): let the writer retry. */
        wp_range(addr, p, 0, NULL);
        wake(addr);
        return;
    }
    struct node *n = w->n;
    uint64_t fo = w->off + (addr - w->start);
    /* Either kind of fault may precede a change of n's page: dependents save it first. */
    int rc = save_locked(n, fo, p);
    if (msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) {
        if (rc != 0) {
            /* Cannot save: leave the writer blocked? No: never hang. The dependent carries the error. */
            unprotect_node(n, fo, p);
        }
        wake(addr);
        return;
    }
    /* MISSING: n's file has no page there. Fill it from n's content (its source if unsaved). */
    uint64_t pg = fo / p;
    if (!own(n, pg)) {
        rc = read_pages(n->src, n->soff + fo, p, E.buf);
    } else {
        memset(E.buf, 0, p);
    }
    if (rc != 0) {
        memset(E.buf, 0, p);
        if (n->error == 0) {
            n->error = -rc;
        }
    }
    struct uffdio_copy c = {.dst = addr, .src = (uint64_t) (uintptr_t) E.buf, .len = p, .mode = 0};
    if (ioctl(E.uffd, UFFDIO_COPY, &c) != 0) {
        wake(addr); /* EEXIST: the page arrived meanwhile; anything else: the writer retries */
    } else if (!own(n, pg)) {
        setbit(n->saved, pg);
        if (--n->unsaved == 0) {
            detach(n);
        }
    }
}

/* The engine failed: unregister every window (waking every waiter) and refuse all later work. */
static void die(int err) {
    pthread_mutex_lock(&E.mu);
    if (!E.dead) {
        E.dead = err ? err : EIO;
        for (int m = 0; m < E.nwins; m++) {
            struct uffdio_range r = {.start = E.wins[m].start, .len = E.wins[m].len};
            (void) ioctl(E.uffd, UFFDIO_UNREGISTER, &r);
        }
    }
    pthread_mutex_unlock(&E.mu);
}

static void *handler(void *arg) {
    (void) arg;
    struct pollfd fds[2] = {{.fd = E.uffd, .events = POLLIN}, {.fd = E.stop[0], .events = POLLIN}};
    struct uffd_msg msgs[16];
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            die(errno);
            return NULL;
        }
        if (fds[1].revents) {
            char why = 0;
            (void) read(E.stop[0], &why, 1);
            die(EIO); /* only a test asks the handler to fail */
            return NULL;
        }
        if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            die(EBADF);
            return NULL;
        }
        ssize_t n = read(E.uffd, msgs, sizeof msgs);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue; /* another wake-up took the message */
            }
            die(errno);
            return NULL;
        }
        pthread_mutex_lock(&E.mu);
        for (ssize_t i = 0; i < n / (ssize_t) sizeof msgs[0]; i++) {
            if (msgs[i].event == UFFD_EVENT_PAGEFAULT) {
                fault(&msgs[i]);
            }
        }
        pthread_mutex_unlock(&E.mu);
    }
}

static int open_uffd(int flags) {
    int fd = (int) syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | flags);
    if (fd < 0) {
        return -errno;
    }
    struct uffdio_api api = {.api = UFFD_API,
                             .features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM | UFFD_FEATURE_MISSING_SHMEM
                                         | UFFD_FEATURE_WP_UNPOPULATED};
    if (ioctl(fd, UFFDIO_API, &api) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/*
 * Starts the engine (once per process): the userfaultfd (plain, or UFFD_USER_MODE_ONLY where the
 * plain one is refused, e.g. vm.unprivileged_userfaultfd=0) and the handler thread.
 * @return 1 (full mode) or 2 (user-mode-only), or -errno
 */
int zxu_init(long page) {
    pthread_mutex_lock(&init_mu);
    int rc;
    if (E.mode) {
        rc = E.mode;
        goto out;
    }
    if (E.init_err) {
        rc = -E.init_err;
        goto out;
    }
    E.page = (uint64_t) page;
    int mode = 1;
    int fd = open_uffd(0);
    if (fd < 0) {
        mode = 2;
        fd = open_uffd(UFFD_USER_MODE_ONLY);
    }
    if (fd < 0) {
        E.init_err = -fd;
        rc = fd;
        goto out;
    }
    E.buf = aligned_alloc((size_t) page, (size_t) page * CHUNK_PAGES);
    E.zero = calloc(1, (size_t) page);
    if (!E.buf || !E.zero || pipe2(E.stop, O_CLOEXEC) != 0) {
        E.init_err = E.buf && E.zero ? errno : ENOMEM;
        close(fd);
        rc = -E.init_err;
        goto out;
    }
    E.uffd = fd;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* the JVM's signals are for its own threads */
    int err = pthread_create(&E.handler, NULL, handler, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        E.init_err = err;
        close(fd);
        E.uffd = -1;
        rc = -err;
        goto out;
    }
    pthread_setname_np(E.handler, "zxmem-uffd");
    E.mode = mode;
    rc = mode;
out:
    pthread_mutex_unlock(&init_mu);
    return rc;
}

/* @return 0 while the engine works, else the errno that killed it */
int zxu_dead(void) {
    pthread_mutex_lock(&E.mu);
    int d = E.dead;
    pthread_mutex_unlock(&E.mu);
    return d;
}

/* A node for file fd (Java keeps fd open until zxu_node_free). NULL without memory. */
void *zxu_node_new(int fd) {
    struct node *n = calloc(1, sizeof *n);
    if (n) {
        n->fd = fd;
        n->refs = 1;
    }
    return n;
}

/* Java lets go of node n: it leaves its source and its windows; it is freed with its last dependent. */
int zxu_node_free(void *h) {
    struct node *n = h;
    pthread_mutex_lock(&E.mu);
    for (int m = 0; m < E.nwins;) {
        if (E.wins[m].n == n) {
            struct uffdio_range r = {.start = E.wins[m].start, .len = E.wins[m].len};
            if (!E.dead) {
                (void) ioctl(E.uffd, UFFDIO_UNREGISTER, &r);
            }
            E.wins[m] = E.wins[--E.nwins];
        } else {
            m++;
        }
    }
    detach(n);
    n->fd = -1;
    unref(n);
    pthread_mutex_unlock(&E.mu);
    return 0;
}

/* Protects, in window w, the pages some dependent of w's node still needs. */
static void protect_needed(struct win *w, int *err) {
    uint64_t p = E.page, count = w->len / p;
    struct node *n = w->n;
    if (n->ndeps == 0) {
        return;
    }
    for (uint64_t i = 0; i < count;) {
        if (!needed(n, w->off + i * p)) {
            i++;
            continue;
        }
        uint64_t j = i + 1;
        while (j < count && needed(n, w->off + j * p)) {
            j++;
        }
        wp_range(w->start + i * p, (j - i) * p, 1, err);
        i = j;
    }
}

/*
 * A window [start, start+len) mapping node n's file at off: registered for write-protection (and for
 * missing pages when n is a child that reads through), the pages its dependents need protected.
 */
int zxu_add_window(void *h, uint64_t start, uint64_t len, uint64_t off, int missing) {
    struct node *n = h;
    pthread_mutex_lock(&E.mu);
    int rc = 0;
    if (E.dead) {
        /* Nothing to guard on a node without dependents or source; anything else must fail. */
        rc = !missing && n->ndeps == 0 ? 0 : -EIO;
        goto out;
    }
    if (E.nwins == E.capwins) {
        int cap = E.capwins ? 2 * E.capwins : 16;
        struct win *m = realloc(E.wins, sizeof *m * (size_t) cap);
        if (!m) {
            rc = -ENOMEM;
            goto out;
        }
        E.wins = m;
        E.capwins = cap;
    }
    struct uffdio_register reg = {.range = {.start = start, .len = len},
                                  .mode = UFFDIO_REGISTER_MODE_WP | (missing ? UFFDIO_REGISTER_MODE_MISSING : 0)};
    if (ioctl(E.uffd, UFFDIO_REGISTER, &reg) != 0) {
        rc = -errno;
        if (rc == -EPERM && n->src == NULL) {
            /* No VM_MAYWRITE (a read-only mapping of a file sealed against writes): nobody can
             * write through it, so it needs no protection; only a reading-through child would. */
            rc = 0;
        }
        goto out;
    }
    struct win *w = &E.wins[E.nwins];
    *w = (struct win){start, len, off, n};
    int err = 0;
    protect_needed(w, &err);
    if (err != 0) {
        struct uffdio_range r = {.start = start, .len = len};
        (void) ioctl(E.uffd, UFFDIO_UNREGISTER, &r);
        rc = -err;
        goto out;
    }
    E.nwins++;
out:
    pthread_mutex_unlock(&E.mu);
    return rc;
}

/* The window at start is about to be unmapped: unregistering it wakes any writer waiting in it. */
int zxu_remove_window(uint64_t start) {
    pthread_mutex_lock(&E.mu);
    for (int m = 0; m < E.nwins; m++) {
        if (E.wins[m].start == start) {
            struct uffdio_range r = {.start = start, .len = E.wins[m].len};
            if (!E.dead) {
                wp_range(start, E.wins[m].len, 0, NULL);
                (void) ioctl(E.uffd, UFFDIO_UNREGISTER, &r);
            }
            E.wins[m] = E.wins[--E.nwins];
            break;
        }
    }
    pthread_mutex_unlock(&E.mu);
    return 0;
}

/*
 * The cut: child c (a fresh node, empty file) shows src's [off, off+shown) as of now. Every window of
 * src is write-protected over that range before the mutex is released, so no write through any
 * window lands between the first and the last protection: faults arriving meanwhile wait for the
 * mutex. On failure nothing changed (protections made are undone where no other dependent needs them).
 */
int zxu_cut(void *hs, void *hc, uint64_t off, uint64_t shown) {
    struct node *s = hs, *c = hc;
    uint64_t pages = shown / E.page;
    uint64_t *saved = calloc((size_t) (pages + 63) / 64 + 1, sizeof(uint64_t));
    if (!saved) {
        return -ENOMEM;
    }
    pthread_mutex_lock(&E.mu);
    int rc = 0;
    if (E.dead) {
        rc = -EIO;
        goto fail;
    }
    if (s->ndeps == s->capdeps) {
        int cap = s->capdeps ? 2 * s->capdeps : 4;
        struct node **d = realloc(s->deps, sizeof *d * (size_t) cap);
        if (!d) {
            rc = -ENOMEM;
            goto fail;
        }
        s->deps = d;
        s->capdeps = cap;
    }
    c->saved = saved;
    c->unsaved = pages;
    c->soff = off;
    c->shown = shown;
    c->src = s;
    s->refs++;
    s->deps[s->ndeps++] = c;
    int err = 0;
    int done = 0;
    for (; done < E.nwins && err == 0; done++) {
        struct win *w = &E.wins[done];
        if (w->n != s) {
            continue;
        }
        uint64_t a = off > w->off ? off : w->off;
        uint64_t e = off + shown < w->off + w->len ? off + shown : w->off + w->len;
        if (a < e) {
            wp_range(w->start + (a - w->off), e - a, 1, &err);
        }
    }
    if (err == 0) {
        pthread_mutex_unlock(&E.mu);
        return 0;
    }
    /* Undo: c leaves, and pages nobody else needs lose the protection again. */
    s->ndeps--;
    c->src = NULL;
    c->saved = NULL;
    s->refs--;
    for (int m = 0; m < done; m++) {
        struct win *w = &E.wins[m];
        uint64_t p = E.page;
        for (uint64_t i = 0; w->n == s && i < w->len / p;) {
            if (needed(s, w->off + i * p)) {
                i++;
                continue;
            }
            uint64_t j = i + 1;
            while (j < w->len / p && !needed(s, w->off + j * p)) {
                j++;
            }
            wp_range(w->start + i * p, (j - i) * p, 0, NULL);
            i = j;
        }
    }
    rc = -err;
fail:
    pthread_mutex_unlock(&E.mu);
    free(saved);
    return rc;
}

/* Node n's [off, off+len) is about to change (library write, zero, shrink, discard): save it for every dependent. */
int zxu_save(void *h, uint64_t off, uint64_t len) {
    struct node *n = h;
    uint64_t p = E.page;
    uint64_t s = off & ~(p - 1), e = (off + len + p - 1) & ~(p - 1);
    if (e < s) {
        e = UINT64_MAX & ~(p - 1);
    }
    for (uint64_t at = s; at < e;) {
        uint64_t len2 = e - at < CHUNK_PAGES * 64 * p ? e - at : CHUNK_PAGES * 64 * p;
        pthread_mutex_lock(&E.mu);
        if (n->ndeps == 0) {
            pthread_mutex_unlock(&E.mu);
            return 0;
        }
        int rc = E.dead ? -EIO : 0;
        if (rc == 0) {
            rc = save_locked(n, at, len2);
        }
        pthread_mutex_unlock(&E.mu);
        if (rc != 0) {
            return rc;
        }
        at += len2;
    }
    return 0;
}

/*
 * Child n is about to change its bytes [off, off+len): dependents save first, then pages only partly
 * covered are filled from the source, and pages wholly covered are marked saved (their old content
 * is about to be replaced). With whole == 0, every covered page is filled (COMMIT, a full completion).
 * @return pages n still lacks anywhere, or -errno
 */
int64_t zxu_prepare(void *h, uint64_t off, uint64_t len, int whole) {
    struct node *n = h;
    uint64_t p = E.page;
    int rc = zxu_save(h, off, len);
    if (rc != 0) {
        return rc;
    }
    uint64_t s = off & ~(p - 1), e = (off + len + p - 1) & ~(p - 1);
    uint64_t ws = (off + p - 1) & ~(p - 1), we = (off + len) & ~(p - 1); /* wholly covered pages */
    for (uint64_t at = s; at < e;) {
        uint64_t n2 = e - at < CHUNK_PAGES * 64 * p ? e - at : CHUNK_PAGES * 64 * p;
        pthread_mutex_lock(&E.mu);
        if (E.dead) {
            pthread_mutex_unlock(&E.mu);
            return -EIO;
        }
        if (n->error) {
            int err = n->error;
            pthread_mutex_unlock(&E.mu);
            return -err;
        }
        if (n->src == NULL || at >= n->shown) {
            pthread_mutex_unlock(&E.mu);
            break;
        }
        uint64_t end = at + n2 < n->shown ? at + n2 : n->shown;
        for (uint64_t q = at; q < end && rc == 0; q += p) {
            if (own(n, q / p)) {
                continue;
            }
            if (whole && q >= ws && q + p <= we) {
                setbit(n->saved, q / p);
                n->unsaved--;
            } else {
                uint64_t r = q + p;
                while (r < end && r - q < CHUNK_PAGES * p && !own(n, r / p) && !(whole && r >= ws && r + p <= we)) {
                    r += p;
                }
                rc = fill_locked(n, q, (r - q) / p);
                q = r - p;
            }
        }
        if (rc == 0 && n->unsaved == 0) {
            detach(n);
        }
        pthread_mutex_unlock(&E.mu);
        if (rc != 0) {
            return rc;
        }
        at += n2;
    }
    pthread_mutex_lock(&E.mu);
    int64_t left = E.dead ? -EIO : n->error ? -(int64_t) n->error : n->src ? (int64_t) n->unsaved : 0;
    pthread_mutex_unlock(&E.mu);
    return left;
}

/* Node n's content of page-aligned [off, off+len) into buf (Java's own memory, never a mapping). */
int zxu_read(void *h, uint64_t off, uint64_t len, void *buf) {
    struct node *n = h;
    pthread_mutex_lock(&E.mu);
    int rc = E.dead ? -EIO : n->error ? -n->error : read_pages(n, off, len, buf);
    pthread_mutex_unlock(&E.mu);
    return rc;
}

/* Child n shrinks to size: pages past it never read through again (a regrown tail reads zero). */
int zxu_clip(void *h, uint64_t size) {
    struct node *n = h;
    pthread_mutex_lock(&E.mu);
    if (n->src && size < n->shown) {
        uint64_t p = E.page;
        for (uint64_t q = size / p; q < n->shown / p; q++) {
            if (!bit(n->saved, q)) {
                setbit(n->saved, q);
                n->unsaved--;
            }
        }
        n->shown = size;
        if (n->unsaved == 0) {
            detach(n);
        }
    }
    pthread_mutex_unlock(&E.mu);
    return 0;
}

/* Every dependent of n saves all it still needs and leaves (before n's file leaves the process). */
int zxu_complete_deps(void *h) {
    struct node *n = h;
    pthread_mutex_lock(&E.mu);
    int rc = E.dead ? -EIO : 0;
    while (rc == 0 && n->ndeps > 0) {
        struct node *d = n->deps[0];
        rc = fill_locked(d, 0, d->shown / E.page);
        if (rc == 0) {
            detach(d);
        }
    }
    if (rc == 0) {
        unprotect_node(n, 0, UINT64_MAX & ~(E.page - 1));
    }
    pthread_mutex_unlock(&E.mu);
    return rc;
}

/* @return pages n still reads through to a source, or -errno */
int64_t zxu_unsaved(void *h) {
    struct node *n = h;
    pthread_mutex_lock(&E.mu);
    int64_t rc = E.dead ? -EIO : n->error ? -(int64_t) n->error : n->src ? (int64_t) n->unsaved : 0;
    pthread_mutex_unlock(&E.mu);
    return rc;
}

/* @return faults handled so far, for tests and benchmarks */
int64_t zxu_faults(void) {
    pthread_mutex_lock(&E.mu);
    int64_t n = (int64_t) E.faults;
    pthread_mutex_unlock(&E.mu);
    return n;
}

/* @return windows registered right now, for tests */
int zxu_windows(void) {
    pthread_mutex_lock(&E.mu);
    int n = E.nwins;
    pthread_mutex_unlock(&E.mu);
    return n;
}

/* Tests only: makes the handler fail as on a poll error. */
int zxu_debug_kill(void) {
    if (E.stop[1] < 0) {
        return -EBADF;
    }
    ssize_t w;
    do {
        w = write(E.stop[1], "k", 1);
    } while (w < 0 && errno == EINTR);
    pthread_join(E.handler, NULL);
    return 0;
}

/*
 * Tests only: fork()s a child process that sleeps ms milliseconds and _exit(0)s, never returning to
 * the JVM (only async-signal-safe calls run in it). @return its pid, or -errno
 */
int zxu_debug_fork_sleep(int ms) {
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L};
        while (nanosleep(&t, &t) != 0 && errno == EINTR) {
        }
        _exit(0);
    }
    return pid < 0 ? -errno : pid;
}

/* Tests only: waits for a process made by zxu_debug_fork_sleep. @return its exit status, or -errno */
int zxu_debug_reap(int pid) {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            return -errno;
        }
    }
    return st;
}
