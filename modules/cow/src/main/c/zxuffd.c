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
 * The same handler serves LAZY windows of pager VMOs received from another process (modules/pager,
 * see "lazy pager windows" below): a missing page is asked of the pager's process over a relay socket
 * and the fault is resolved when the answer comes, without blocking the handler meanwhile. DIRECT lazy
 * windows (a pager process this process trusts with its memory) each get a userfaultfd of their own,
 * handed to the pager's process, which resolves their faults itself; the handler only watches the
 * connection and takes the windows over if it hangs up. The pager's process uses the zxu_dp_*
 * functions at the end of this file.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_PAGES 64

#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
/* Kernel 6.6+; the build's headers may be older. */
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON (1 << 14)
struct uffdio_poison {
    struct uffdio_range range;
    __u64 mode;
    __s64 updated;
};
#define UFFDIO_POISON _IOWR(UFFDIO, 0x08, struct uffdio_poison)
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

struct relay;
struct direct;

struct win {
    uint64_t start, len, off; /* address, length, offset in the node's file */
    struct node *n;           /* a copy-on-write window's node, or NULL for a lazy pager window */
    struct relay *r;          /* a lazy pager window's relay, or NULL */
    struct direct *d;         /* a direct lazy window's connection to the pager's process, or NULL */
    int ufd;                  /* a direct window's own userfaultfd (this process's copy), else -1 */
    uint64_t id;              /* a direct window's id, as the pager's process knows it */
};

/*
 * A direct connection: the socket over which this process handed the pager's process the
 * userfaultfds of direct lazy windows (one per window, registered MISSING on it), so that the pager's
 * process reads and resolves their faults itself. This process never reads those userfaultfds while
 * the connection works; once it hangs up (the pager's process died or closed the link), the handler
 * takes them over and fails every missing page touched from then on.
 */
struct direct {
    int lfd;     /* the listening socket until the pager's process connected, else -1 */
    int fd;      /* the connection; -1 once closed */
    int status;  /* 0 while it works */
    int java;    /* Java still holds it */
    int started; /* polled by the handler */
    int wins;
    /*
     * Ids of unmapped windows whose DUNMAP did not fit in the socket (sent without blocking, under mu):
     * the handler sends them once the socket takes more (POLLOUT), so the pager's process does not keep
     * their userfaultfds until the connection ends.
     */
    uint64_t *unsent;
    int nunsent, capunsent;
};

/*
 * A relay: the socket over which this process asks a pager in another process for pages of one
 * pager VMO (one relay per received pager VMO; its windows share it). Messages are channel records
 * of modules/share's WireFormat without handles: a 16-byte header and a 40-byte pager Link message
 * (modules/pager's Link: u32 op, u32 flags, u64 id, u64 offset, u64 length, i32 status, u32 0).
 */
struct relay {
    int fd;           /* the socket; -1 once closed */
    int status;       /* 0 while it works; else the Zircon status that failed it (its faults fail) */
    int java;         /* Java still holds it */
    int wins;         /* lazy windows that use it */
    uint64_t next_id;
    uint64_t needs;   /* requests sent */
    uint64_t failed;  /* faults failed */
};

/* A fault waiting for the pager's answer. */
struct pend {
    uint64_t id, addr, fo;
    struct relay *r;
    int64_t deadline; /* CLOCK_MONOTONIC ms, 0: none */
    int sent, write;
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
    /* lazy pager windows */
    int efd;              /* an empty sealed memfd: a failed page maps it and raises SIGBUS when touched */
    struct relay **relays;
    int nrelays, caprelays;
    struct pend *pends;
    int npends, cappends;
    struct direct **directs;
    int ndirects, capdirects;
    int64_t timeout_ms;   /* a fault fails after this long without an answer; 0: never */
} E = {.mu = PTHREAD_MUTEX_INITIALIZER, .uffd = -1, .stop = {-1, -1}, .efd = -1};

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

static void lazy_fault(struct win *w, uint64_t addr, int write);

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
    if (w->r) {
        lazy_fault(w, addr, (msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE) != 0);
        return;
    }
    if (w->d) {
        wake(addr); /* a direct window faults on its own userfaultfd, never here */
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


/* ---- lazy pager windows: faults asked of a pager in another process ---- */

#define WIRE_MAGIC 0x3143585Au
#define WIRE_HEADER 16
#define LINK_BYTES 40
#define LINK_NEED 2
#define LINK_REPLY 6
#define LINK_WRITE 1
#define ZX_ERR_BAD_STATE (-20)
#define ZX_ERR_TIMED_OUT (-21)
#define ZX_ERR_CANCELED (-23)

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t) t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void put32(unsigned char *b, uint32_t v) {
    for (int i = 0; i < 4; i++) {
        b[i] = (unsigned char) (v >> (8 * i));
    }
}

static void put64(unsigned char *b, uint64_t v) {
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char) (v >> (8 * i));
    }
}

static uint32_t get32(const unsigned char *b) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) {
        v = (v << 8) | b[i];
    }
    return v;
}

static uint64_t get64(const unsigned char *b) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | b[i];
    }
    return v;
}

/* Makes the handler rebuild its poll set (a relay came or went). The pipe's other byte, 'k', kills. */
static void kick(void) {
    if (E.stop[1] >= 0) {
        ssize_t w;
        do {
            w = write(E.stop[1], "w", 1);
        } while (w < 0 && errno == EINTR);
    }
}

/*
 * The page at addr of lazy window w cannot be had (the pager failed it, the pager's process is gone,
 * no answer in time, the window is going away): the empty file is mapped over it, so the access that
 * waits raises SIGBUS once woken. The JVM turns SIGBUS in a memory access of Java code into an
 * InternalError, as for a mapping past a VMO's end; a PROT_NONE page would raise SIGSEGV and kill the
 * JVM. Called under mu with w still registered: Java removes a window (under mu) before it unmaps
 * it, so the address cannot belong to anything else yet. A failed page stays failed in this window.
 */
static void fail_range(struct win *w, uint64_t addr, uint64_t len) {
    void *m = mmap((void *) (uintptr_t) addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, E.efd, 0);
    if (m == MAP_FAILED && len != w->len) {
        /* Out of mappings (each failed page splits the window): fail the whole window instead. */
        addr = w->start;
        len = w->len;
        (void) mmap((void *) (uintptr_t) addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, E.efd, 0);
    }
    struct uffdio_range r = {.start = addr, .len = len};
    (void) ioctl(w->d ? w->ufd : E.uffd, UFFDIO_WAKE, &r);
}

static void drop_pend(int i) {
    E.pends[i] = E.pends[--E.npends];
}

/* Fails pending fault i (the caller removes it). */
static void fail_pend(int i) {
    struct pend *p = &E.pends[i];
    struct win *w = find_win(p->addr);
    if (w && w->r == p->r) {
        p->r->failed++;
        fail_range(w, p->addr, E.page);
    }
}

/* The relay no longer works: every fault waiting on it fails, and so will every later one. */
static void relay_fail(struct relay *r, int status) {
    if (r->status == 0) {
        r->status = status;
    }
    for (int i = 0; i < E.npends;) {
        if (E.pends[i].r == r) {
            fail_pend(i);
            drop_pend(i);
        } else {
            i++;
        }
    }
}

/* Sends pending fault p's NEED request. */
static void send_pend(struct pend *p) {
    unsigned char b[WIRE_HEADER + LINK_BYTES];
    memset(b, 0, sizeof b);
    put32(b, WIRE_MAGIC);
    b[4] = 1; /* version */
    /* b[6..7]: no handles */
    put32(b + 8, LINK_BYTES);
    put32(b + 12, WIRE_HEADER);
    unsigned char *l = b + WIRE_HEADER;
    put32(l, LINK_NEED);
    put32(l + 4, p->write ? LINK_WRITE : 0);
    put64(l + 8, p->id);
    put64(l + 16, p->fo);
    put64(l + 24, E.page);
    ssize_t n = send(p->r->fd, b, sizeof b, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == (ssize_t) sizeof b) {
        p->sent = 1;
        p->r->needs++;
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        /* The socket is full: the handler tries again shortly. */
    } else {
        relay_fail(p->r, ZX_ERR_BAD_STATE);
    }
}

/*
 * A missing page of lazy window w: ask the pager's process (once per page; another thread's fault on
 * a page already asked for waits for the same answer). Never blocks: the answer arrives on the relay.
 */
static void lazy_fault(struct win *w, uint64_t addr, int write) {
    struct relay *r = w->r;
    for (int i = 0; i < E.npends; i++) {
        if (E.pends[i].addr == addr && E.pends[i].r == r) {
            return;
        }
    }
    if (r->status != 0 || r->fd < 0) {
        r->failed++;
        fail_range(w, addr, E.page);
        return;
    }
    if (E.npends == E.cappends) {
        int cap = E.cappends ? 2 * E.cappends : 16;
        struct pend *m = realloc(E.pends, sizeof *m * (size_t) cap);
        if (!m) {
            r->failed++;
            fail_range(w, addr, E.page);
            return;
        }
        E.pends = m;
        E.cappends = cap;
    }
    struct pend *p = &E.pends[E.npends++];
    *p = (struct pend){.id = r->next_id++, .addr = addr, .fo = w->off + (addr - w->start), .r = r,
                       .deadline = E.timeout_ms > 0 ? now_ms() + E.timeout_ms : 0, .write = write};
    send_pend(p);
}

/* The pager answered request id of relay r with a Zircon status. */
static void answered(struct relay *r, uint64_t id, int status) {
    for (int i = 0; i < E.npends; i++) {
        struct pend *p = &E.pends[i];
        if (p->r != r || p->id != id) {
            continue;
        }
        struct win *w = find_win(p->addr);
        if (w && w->r == r) {
            if (status != 0) {
                r->failed++;
                fail_range(w, p->addr, E.page);
            } else {
                /*
                 * The pager's process wrote the page into the shared file, so the page cache holds it
                 * and a retry of the fault maps it: UFFDIO_COPY answers EEXIST, and waking is enough.
                 * A page supplied as a hole (zeros; ZERO punches holes) has no page to map: the copy
                 * of a zero page puts one there instead of faulting again forever.
                 */
                struct uffdio_copy c = {.dst = p->addr, .src = (uint64_t) (uintptr_t) E.zero, .len = E.page, .mode = 0};
                if (ioctl(E.uffd, UFFDIO_COPY, &c) != 0) {
                    wake(p->addr);
                }
            }
        }
        drop_pend(i);
        return;
    }
}

/* Reads every answer waiting on relay r. */
static void relay_read(struct relay *r) {
    unsigned char b[WIRE_HEADER + LINK_BYTES + 8];
    for (;;) {
        /* recv, not recvmsg: descriptors a peer might push are never installed here. */
        ssize_t n = recv(r->fd, b, sizeof b, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                relay_fail(r, ZX_ERR_BAD_STATE);
            }
            return;
        }
        if (n == 0) {
            relay_fail(r, ZX_ERR_BAD_STATE); /* the pager's process closed the relay or died */
            return;
        }
        if (n != WIRE_HEADER + LINK_BYTES || get32(b) != WIRE_MAGIC || b[4] != 1 || b[5] != 0 || b[6] != 0
            || b[7] != 0 || get32(b + 8) != LINK_BYTES || get32(b + 12) != WIRE_HEADER) {
            continue; /* not an answer of ours */
        }
        const unsigned char *l = b + WIRE_HEADER;
        if (get32(l) == LINK_REPLY) {
            answered(r, get64(l + 8), (int) get32(l + 32));
        }
    }
}

static int relay_index(struct relay *r) {
    for (int i = 0; i < E.nrelays; i++) {
        if (E.relays[i] == r) {
            return i;
        }
    }
    return -1;
}

/* Closes and frees relay r (no window uses it, Java let go of it). Caller holds mu. */
static void relay_free_locked(struct relay *r) {
    int i = relay_index(r);
    if (i >= 0) {
        E.relays[i] = E.relays[--E.nrelays];
    }
    relay_fail(r, ZX_ERR_CANCELED);
    if (r->fd >= 0) {
        close(r->fd);
    }
    free(r);
    kick(); /* the handler may be polling the socket: it must let go of it for the peer to see it close */
}

/* ---- direct lazy windows: the pager's process reads their userfaultfds itself ---- */

/*
 * Messages of a direct connection, fixed 56 bytes, native byte order (both ends are this library on
 * one machine): u32 op, u32 flags, u64 id, u64 a, u64 b, u64 c, i64 d, u64 0.
 *   DWIN   receiver -> pager, with the window's userfaultfd (SCM_RIGHTS): id, a = start, b = length,
 *          c = file offset, d = fault timeout in ms (0: none); flags DF_WRITE, DF_POISON (the
 *          userfaultfd has UFFD_FEATURE_POISON: failures are UFFDIO_POISON)
 *   DUNMAP receiver -> pager: window id is gone, close its userfaultfd
 *   DFAIL  pager -> receiver, without POISON: fail page(s) a = address, b = length of window id
 */
#define DMSG_BYTES 56
#define DWIN 1
#define DUNMAP 2
#define DFAIL 3
#define DF_WRITE 1
#define DF_POISON 2

struct dmsg {
    uint32_t op, flags;
    uint64_t id, a, b, c;
    int64_t d;
    uint64_t pad;
};

static int direct_index(struct direct *d) {
    for (int i = 0; i < E.ndirects; i++) {
        if (E.directs[i] == d) {
            return i;
        }
    }
    return -1;
}

/*
 * The connection hung up (the pager's process died or closed the link), or the engine stops: its
 * windows' threads that wait (their fault read by the pager's process, or not yet) are woken; the
 * handler reads those windows' userfaultfds from now on and fails each fault (see direct_fault).
 */
static void direct_fail(struct direct *d) {
    if (d->status != 0) {
        return;
    }
    d->status = ZX_ERR_BAD_STATE;
    for (int m = 0; m < E.nwins; m++) {
        if (E.wins[m].d == d) {
            struct uffdio_range r = {.start = E.wins[m].start, .len = E.wins[m].len};
            (void) ioctl(E.wins[m].ufd, UFFDIO_WAKE, &r);
        }
    }
}

/* Reads what the pager's process sent on connection d: DFAIL requests, or the hang-up. */
static void direct_read(struct direct *d) {
    struct dmsg msg;
    for (;;) {
        /* recv, not recvmsg: descriptors a peer might push are never installed here. */
        ssize_t n = recv(d->fd, &msg, sizeof msg, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                direct_fail(d);
            }
            return;
        }
        if (n == 0) {
            direct_fail(d);
            return;
        }
        if (n != DMSG_BYTES || msg.op != DFAIL) {
            continue;
        }
        for (int m = 0; m < E.nwins; m++) {
            struct win *w = &E.wins[m];
            if (w->d == d && w->id == msg.id) {
                uint64_t a = msg.a & ~(E.page - 1);
                if (a >= w->start && a - w->start < w->len) {
                    uint64_t len = msg.b < E.page || msg.b > w->len - (a - w->start) ? E.page : msg.b & ~(E.page - 1);
                    fail_range(w, a, len);
                }
                break;
            }
        }
    }
}

/* Reads the faults of a direct window whose pager's process is gone: each fails (SIGBUS). */
static void direct_fault(struct win *w) {
    struct uffd_msg msgs[16];
    for (;;) {
        ssize_t n = read(w->ufd, msgs, sizeof msgs);
        if (n <= 0) {
            return; /* EAGAIN: nothing more */
        }
        for (ssize_t i = 0; i < n / (ssize_t) sizeof msgs[0]; i++) {
            if (msgs[i].event == UFFD_EVENT_PAGEFAULT) {
                uint64_t a = msgs[i].arg.pagefault.address & ~(E.page - 1);
                if (a >= w->start && a - w->start < w->len) {
                    fail_range(w, a, E.page);
                }
            }
        }
    }
}

/*
 * Sends the DUNMAP notices that did not fit before, in order, until the socket is full again. A notice
 * that failed otherwise (the connection broke) is dropped: the pager's process closes everything when
 * the connection ends. Caller holds mu.
 */
static void direct_flush(struct direct *d) {
    int sent = 0;
    while (sent < d->nunsent && d->fd >= 0 && d->status == 0) {
        struct dmsg msg = {.op = DUNMAP, .id = d->unsent[sent]};
        ssize_t n = send(d->fd, &msg, sizeof msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == ENOMEM)) {
            break;
        }
        sent++;
    }
    if (d->fd < 0 || d->status != 0) {
        sent = d->nunsent;
    }
    memmove(d->unsent, d->unsent + sent, sizeof *d->unsent * (size_t) (d->nunsent - sent));
    d->nunsent -= sent;
}

/*
 * Tells the pager's process that window id is gone, without blocking (the caller holds mu): when the
 * socket is full, the notice waits in d->unsent and the handler sends it later. Caller holds mu.
 */
static void direct_unmap(struct direct *d, uint64_t id) {
    if (d->fd < 0 || d->status != 0) {
        return;
    }
    if (d->nunsent == d->capunsent) {
        int cap = d->capunsent ? 2 * d->capunsent : 8;
        uint64_t *u = realloc(d->unsent, sizeof *u * (size_t) cap);
        if (!u) {
            return; /* the notice is lost: the pager's process keeps the descriptor until the connection ends */
        }
        d->unsent = u;
        d->capunsent = cap;
    }
    d->unsent[d->nunsent++] = id;
    direct_flush(d);
    if (d->nunsent > 0) {
        kick(); /* the handler polls the socket for room from now on */
    }
}

/* Closes and frees connection d (no window uses it, Java let go of it). Caller holds mu. */
static void direct_free_locked(struct direct *d) {
    int i = direct_index(d);
    if (i >= 0) {
        E.directs[i] = E.directs[--E.ndirects];
    }
    if (d->fd >= 0) {
        close(d->fd);
    }
    if (d->lfd >= 0) {
        close(d->lfd);
    }
    free(d->unsent);
    free(d);
    kick();
}

/* Bytes of the userfaultfd's wait queues: faults not read yet plus faults read and not answered. */
static long uffd_waiting(int ufd) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", ufd);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) {
        return 1; /* cannot tell: assume an access waits */
    }
    ssize_t n = read(f, buf, sizeof buf - 1);
    close(f);
    if (n <= 0) {
        return 1;
    }
    buf[n] = 0;
    char *t = strstr(buf, "total:");
    return t ? strtol(t + 6, NULL, 10) : 1;
}

/* Fails expired faults and sends requests a full socket held back. @return the poll timeout in ms (-1: none) */
static int lazy_tick(void) {
    if (E.npends == 0) {
        return -1;
    }
    int64_t now = now_ms();
    for (int i = 0; i < E.npends;) {
        if (E.pends[i].deadline != 0 && now >= E.pends[i].deadline) {
            fail_pend(i);
            drop_pend(i);
        } else {
            i++;
        }
    }
    for (int again = 1; again;) {
        again = 0;
        for (int i = 0; i < E.npends; i++) {
            if (!E.pends[i].sent) {
                int before = E.npends;
                send_pend(&E.pends[i]);
                if (E.npends != before) {
                    again = 1; /* its relay failed and took its faults out of the table */
                    break;
                }
            }
        }
    }
    int64_t next = -1;
    for (int i = 0; i < E.npends; i++) {
        int64_t left = !E.pends[i].sent ? 2 : E.pends[i].deadline != 0 ? E.pends[i].deadline - now : -1;
        if (left >= 0 && (next < 0 || left < next)) {
            next = left;
        }
    }
    return next < 0 ? -1 : (int) (next > 60000 ? 60000 : next);
}

/* The engine failed: unregister every window (waking every waiter) and refuse all later work. */
static void die(int err) {
    pthread_mutex_lock(&E.mu);
    if (!E.dead) {
        E.dead = err ? err : EIO;
        for (int m = 0; m < E.nwins; m++) {
            struct uffdio_range r = {.start = E.wins[m].start, .len = E.wins[m].len};
            if (E.wins[m].r || E.wins[m].d) {
                /* Unregistered, a lazy window would fill its missing pages with zeros: it fails instead. */
                fail_range(&E.wins[m], E.wins[m].start, E.wins[m].len);
            }
            if (!E.wins[m].d) {
                (void) ioctl(E.uffd, UFFDIO_UNREGISTER, &r);
            }
        }
        for (int i = 0; i < E.nrelays; i++) {
            relay_fail(E.relays[i], ZX_ERR_BAD_STATE);
        }
    }
    pthread_mutex_unlock(&E.mu);
}

/* What one entry of the handler's poll set is, past the userfaultfd and the stop pipe. */
enum { P_RELAY, P_DIRECT, P_DWIN };

static void *handler(void *arg) {
    (void) arg;
    struct uffd_msg msgs[16];
    struct pollfd *fds = NULL;
    void **polled = NULL;
    int *kinds = NULL;
    int cap = 0;
    for (;;) {
        /*
         * The poll set: the userfaultfd, the stop pipe, every working relay and direct connection, and
         * the userfaultfds of direct windows whose connection hung up.
         */
        pthread_mutex_lock(&E.mu);
        int timeout = lazy_tick();
        int nfds = 2 + E.nrelays + E.ndirects + E.nwins;
        if (nfds > cap) {
            struct pollfd *f = realloc(fds, sizeof *f * (size_t) nfds);
            void **q = f ? realloc(polled, sizeof *q * (size_t) nfds) : NULL;
            int *k = q ? realloc(kinds, sizeof *k * (size_t) nfds) : NULL;
            if (f) {
                fds = f;
            }
            if (q) {
                polled = q;
            }
            if (k) {
                kinds = k;
            }
            if (!f || !q || !k) {
                pthread_mutex_unlock(&E.mu);
                die(ENOMEM);
                return NULL;
            }
            cap = nfds;
        }
        fds[0] = (struct pollfd){.fd = E.uffd, .events = POLLIN};
        fds[1] = (struct pollfd){.fd = E.stop[0], .events = POLLIN};
        nfds = 2;
        for (int i = 0; i < E.nrelays; i++) {
            if (E.relays[i]->fd >= 0 && E.relays[i]->status == 0) {
                polled[nfds] = E.relays[i];
                kinds[nfds] = P_RELAY;
                fds[nfds++] = (struct pollfd){.fd = E.relays[i]->fd, .events = POLLIN};
            }
        }
        for (int i = 0; i < E.ndirects; i++) {
            if (E.directs[i]->started && E.directs[i]->fd >= 0 && E.directs[i]->status == 0) {
                polled[nfds] = E.directs[i];
                kinds[nfds] = P_DIRECT;
                fds[nfds++] = (struct pollfd){.fd = E.directs[i]->fd,
                                              .events = POLLIN | (E.directs[i]->nunsent > 0 ? POLLOUT : 0)};
            }
        }
        for (int m = 0; m < E.nwins; m++) {
            if (E.wins[m].d && E.wins[m].d->status != 0) {
                polled[nfds] = (void *) (uintptr_t) E.wins[m].start;
                kinds[nfds] = P_DWIN;
                fds[nfds++] = (struct pollfd){.fd = E.wins[m].ufd, .events = POLLIN};
            }
        }
        pthread_mutex_unlock(&E.mu);
        if (poll(fds, (nfds_t) nfds, timeout) < 0) {
            if (errno == EINTR) {
                continue;
            }
            die(errno);
            return NULL;
        }
        if (fds[1].revents) {
            char why[64];
            ssize_t got = read(E.stop[0], why, sizeof why);
            int killed = got <= 0;
            for (ssize_t i = 0; i < got; i++) {
                killed |= why[i] != 'w';
            }
            if (killed) {
                die(EIO); /* only a test asks the handler to fail */
                return NULL;
            }
        }
        if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            die(EBADF);
            return NULL;
        }
        if (nfds > 2) {
            pthread_mutex_lock(&E.mu);
            for (int i = 2; i < nfds; i++) {
                if (!fds[i].revents) {
                    continue;
                }
                /* Freed meanwhile: no longer listed (its descriptor may be another's now). */
                if (kinds[i] == P_RELAY) {
                    struct relay *r = polled[i];
                    if (relay_index(r) >= 0 && r->fd == fds[i].fd) {
                        relay_read(r);
                    }
                } else if (kinds[i] == P_DIRECT) {
                    struct direct *d = polled[i];
                    if (direct_index(d) >= 0 && d->fd == fds[i].fd) {
                        if (fds[i].revents & POLLOUT) {
                            direct_flush(d);
                        }
                        direct_read(d);
                    }
                } else {
                    struct win *w = find_win((uint64_t) (uintptr_t) polled[i]);
                    if (w && w->d && w->ufd == fds[i].fd && w->start == (uint64_t) (uintptr_t) polled[i]) {
                        direct_fault(w);
                    }
                }
            }
            pthread_mutex_unlock(&E.mu);
        }
        if (!(fds[0].revents & POLLIN)) {
            continue;
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
    /* The empty file failed lazy pages map: sealed at size 0, so touching it always raises SIGBUS. */
    E.efd = (int) syscall(SYS_memfd_create, "zxmem-failed-page", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (E.efd >= 0 && fcntl(E.efd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0) {
        close(E.efd);
        E.efd = -1;
    }
    E.uffd = fd;
    /* kick() must never block, even when the handler is gone and nobody drains the pipe. */
    (void) fcntl(E.stop[1], F_SETFL, fcntl(E.stop[1], F_GETFL) | O_NONBLOCK);
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

/*
 * @return the engine's descriptors (0: the userfaultfd, 1 and 2: its stop pipe, 3: the empty file of
 * failed lazy pages), or -1; they live as long as the process
 */
int zxu_engine_fd(int which) {
    pthread_mutex_lock(&init_mu);
    int fd = !E.mode ? -1 : which == 0 ? E.uffd : which == 1 ? E.stop[0] : which == 2 ? E.stop[1] : which == 3 ? E.efd : -1;
    pthread_mutex_unlock(&init_mu);
    return fd;
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

/* Room for one more window. Caller holds mu. @return 0, or -1 without memory */
static int grow_wins(void) {
    if (E.nwins == E.capwins) {
        int cap = E.capwins ? 2 * E.capwins : 16;
        struct win *m = realloc(E.wins, sizeof *m * (size_t) cap);
        if (!m) {
            return -1;
        }
        E.wins = m;
        E.capwins = cap;
    }
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
    for (int m = 0; m < E.nwins; m++) {
        if ((E.wins[m].r || E.wins[m].d) && start < E.wins[m].start + E.wins[m].len && E.wins[m].start < start + len) {
            rc = -EBUSY; /* a lazy pager window: one registration per range */
            goto out;
        }
    }
    if (grow_wins() != 0) {
        rc = -ENOMEM;
        goto out;
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
    *w = (struct win){.start = start, .len = len, .off = off, .n = n, .r = NULL, .d = NULL, .ufd = -1};
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

/*
 * The window at start is about to be unmapped: unregistering it wakes any writer waiting in it.
 * @return 1 when the caller must NOT unmap it (a lazy window in which an access may still wait: the
 *         range now maps the empty file and stays reserved), else 0
 */
int zxu_remove_window(uint64_t start) {
    int rc = 0;
    pthread_mutex_lock(&E.mu);
    for (int m = 0; m < E.nwins; m++) {
        if (E.wins[m].start == start) {
            struct uffdio_range r = {.start = start, .len = E.wins[m].len};
            struct relay *lr = E.wins[m].r;
            struct direct *ld = E.wins[m].d;
            if (ld) {
                /*
                 * A direct window: as a relayed one below, but whether an access waits is in the
                 * userfaultfd's queues (unread faults, and faults the pager's process read and has not
                 * answered), which this process can count without reading them.
                 */
                struct win *w = &E.wins[m];
                rc = uffd_waiting(w->ufd) > 0;
                fail_range(w, start, w->len);
                close(w->ufd);
                direct_unmap(ld, w->id);
                E.wins[m] = E.wins[--E.nwins];
                if (--ld->wins == 0 && !ld->java) {
                    direct_free_locked(ld);
                }
                break;
            }
            if (lr) {
                /*
                 * A lazy window. An access still waiting in it (its fault read or still queued) would,
                 * once the window is unregistered, fill its missing page with zeros in the shared file;
                 * once woken after the unmap, it would touch unmapped memory: SIGSEGV, which kills the
                 * JVM. So the window becomes the empty file first (a woken access raises SIGBUS, an
                 * InternalError in Java), and when an access may still be waiting, the caller must leave
                 * that mapping in place instead of unmapping: the range stays reserved, costing no memory.
                 */
                int waiting = 0;
                for (int i = 0; i < E.npends;) {
                    if (E.pends[i].addr >= start && E.pends[i].addr - start < r.len) {
                        waiting = 1;
                        drop_pend(i);
                    } else {
                        i++;
                    }
                }
                if (!E.dead) {
                    struct pollfd q = {.fd = E.uffd, .events = POLLIN};
                    waiting |= poll(&q, 1, 0) > 0; /* faults not read yet: maybe one of this window */
                    fail_range(&E.wins[m], start, E.wins[m].len);
                    (void) ioctl(E.uffd, UFFDIO_UNREGISTER, &r);
                }
                rc = waiting;
                E.wins[m] = E.wins[--E.nwins];
                if (--lr->wins == 0 && !lr->java) {
                    relay_free_locked(lr);
                }
                break;
            }
            if (!E.dead) {
                wp_range(start, E.wins[m].len, 0, NULL);
                (void) ioctl(E.uffd, UFFDIO_UNREGISTER, &r);
            }
            E.wins[m] = E.wins[--E.nwins];
            break;
        }
    }
    pthread_mutex_unlock(&E.mu);
    return rc;
}


/*
 * A relay to a pager's process: connects to the SOCK_SEQPACKET socket at path (a channel listener
 * that Java opened in a private directory; Java then sends the accepted end to the pager's process).
 * @return the relay, or NULL (errno-like detail in *err)
 */
void *zxu_relay_connect(const char *path, int *err) {
    *err = 0;
    if (!E.mode || E.efd < 0) {
        *err = ENOSYS;
        return NULL;
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        *err = ENAMETOOLONG;
        return NULL;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err = errno;
        return NULL;
    }
    if (connect(fd, (struct sockaddr *) &a, sizeof a) != 0) {
        *err = errno;
        close(fd);
        return NULL;
    }
    struct relay *r = calloc(1, sizeof *r);
    pthread_mutex_lock(&E.mu);
    if (r && E.nrelays == E.caprelays) {
        int cap = E.caprelays ? 2 * E.caprelays : 8;
        struct relay **m = realloc(E.relays, sizeof *m * (size_t) cap);
        if (m) {
            E.relays = m;
            E.caprelays = cap;
        } else {
            free(r);
            r = NULL;
        }
    }
    if (!r || E.dead) {
        pthread_mutex_unlock(&E.mu);
        free(r);
        close(fd);
        *err = r ? EIO : ENOMEM;
        return NULL;
    }
    r->fd = fd;
    r->java = 1;
    r->next_id = 1;
    E.relays[E.nrelays++] = r;
    pthread_mutex_unlock(&E.mu);
    kick();
    return r;
}

/* Java lets go of relay r: it closes now, or with its last window. */
int zxu_relay_free(void *h) {
    struct relay *r = h;
    pthread_mutex_lock(&E.mu);
    r->java = 0;
    if (r->wins == 0) {
        relay_free_locked(r);
    }
    pthread_mutex_unlock(&E.mu);
    return 0;
}

/* @return 0 while relay r works, else the Zircon status that failed it */
int zxu_relay_status(void *h) {
    struct relay *r = h;
    pthread_mutex_lock(&E.mu);
    int s = E.dead ? ZX_ERR_BAD_STATE : r->status;
    pthread_mutex_unlock(&E.mu);
    return s;
}

/* @return requests sent (which = 0) or faults failed (which = 1) over relay r, for tests and benchmarks */
int64_t zxu_relay_count(void *h, int which) {
    struct relay *r = h;
    pthread_mutex_lock(&E.mu);
    int64_t n = (int64_t) (which == 0 ? r->needs : r->failed);
    pthread_mutex_unlock(&E.mu);
    return n;
}

/* A fault waiting longer than ms for the pager fails (0: waits as long as the pager takes). */
int zxu_set_fault_timeout(int64_t ms) {
    pthread_mutex_lock(&E.mu);
    E.timeout_ms = ms < 0 ? 0 : ms;
    pthread_mutex_unlock(&E.mu);
    kick();
    return 0;
}

/*
 * A lazy window [start, start+len) mapping the pager VMO's file at off: registered for missing pages,
 * which are asked of the pager's process over relay r. Why MISSING and not MINOR: a page the pager
 * has not supplied is a hole in the shared file, and shmem reports holes as MISSING faults; MINOR
 * faults come for pages that ARE in the page cache, which here are exactly the pages that need no
 * pager (a MINOR-only window would fill holes with zeros silently). Once the pager's process wrote a
 * page, a woken fault finds it in the page cache and maps it: the kernel's own minor fault.
 * EBUSY when the range overlaps another window of the engine (a copy-on-write watch).
 */
int zxu_add_lazy_window(void *h, uint64_t start, uint64_t len, uint64_t off) {
    struct relay *r = h;
    pthread_mutex_lock(&E.mu);
    int rc = 0;
    if (E.dead || r->status != 0 || r->fd < 0) {
        rc = -EIO;
        goto out;
    }
    for (int m = 0; m < E.nwins; m++) {
        if (start < E.wins[m].start + E.wins[m].len && E.wins[m].start < start + len) {
            rc = -EBUSY;
            goto out;
        }
    }
    if (grow_wins() != 0) {
        rc = -ENOMEM;
        goto out;
    }
    struct uffdio_register reg = {.range = {.start = start, .len = len}, .mode = UFFDIO_REGISTER_MODE_MISSING};
    if (ioctl(E.uffd, UFFDIO_REGISTER, &reg) != 0) {
        rc = -errno;
        goto out;
    }
    E.wins[E.nwins++] = (struct win){.start = start, .len = len, .off = off, .n = NULL, .r = r, .d = NULL, .ufd = -1};
    r->wins++;
out:
    pthread_mutex_unlock(&E.mu);
    return rc;
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

/* ---- direct lazy windows, the receiver's side ---- */

/*
 * Listens at path (in a private directory) for the pager's process, which connects to it natively.
 * @return the connection-to-be, or NULL (errno-like detail in *err)
 */
void *zxu_direct_listen(const char *path, int *err) {
    *err = 0;
    if (!E.mode || E.efd < 0) {
        *err = ENOSYS;
        return NULL;
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        *err = ENAMETOOLONG;
        return NULL;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *err = errno;
        return NULL;
    }
    if (bind(fd, (struct sockaddr *) &a, sizeof a) != 0 || listen(fd, 1) != 0) {
        *err = errno;
        close(fd);
        return NULL;
    }
    struct direct *d = calloc(1, sizeof *d);
    if (!d) {
        *err = ENOMEM;
        close(fd);
        return NULL;
    }
    d->lfd = fd;
    d->fd = -1;
    d->java = 1;
    pthread_mutex_lock(&E.mu);
    if (E.ndirects == E.capdirects) {
        int cap = E.capdirects ? 2 * E.capdirects : 8;
        struct direct **m = realloc(E.directs, sizeof *m * (size_t) cap);
        if (!m) {
            pthread_mutex_unlock(&E.mu);
            close(fd);
            free(d);
            *err = ENOMEM;
            return NULL;
        }
        E.directs = m;
        E.capdirects = cap;
    }
    E.directs[E.ndirects++] = d;
    pthread_mutex_unlock(&E.mu);
    return d;
}

/*
 * Takes the pager's process's connection (waiting at most timeout_ms) and the credentials the kernel
 * recorded for it when it connected: cred[0] pid, cred[1] uid, cred[2] gid. The listening socket closes.
 * @return 0 or -errno (-ETIMEDOUT: nobody connected)
 */
int zxu_direct_accept(void *h, int timeout_ms, int *cred) {
    struct direct *d = h;
    if (d->lfd < 0) {
        return -EINVAL;
    }
    struct pollfd q = {.fd = d->lfd, .events = POLLIN};
    int rc;
    do {
        rc = poll(&q, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc <= 0) {
        return rc == 0 ? -ETIMEDOUT : -errno;
    }
    int fd = accept4(d->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        return -errno;
    }
    struct ucred uc;
    socklen_t len = sizeof uc;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    cred[0] = uc.pid;
    cred[1] = (int) uc.uid;
    cred[2] = (int) uc.gid;
    pthread_mutex_lock(&E.mu);
    close(d->lfd);
    d->lfd = -1;
    d->fd = fd;
    pthread_mutex_unlock(&E.mu);
    return 0;
}

/* The pager's process is trusted with this process's memory: the handler watches the connection. */
int zxu_direct_start(void *h) {
    struct direct *d = h;
    pthread_mutex_lock(&E.mu);
    int rc = d->fd >= 0 && !E.dead ? 0 : -EIO;
    if (rc == 0) {
        d->started = 1;
    }
    pthread_mutex_unlock(&E.mu);
    kick();
    return rc;
}

/* Java lets go of connection d: it closes now, or with its last window. */
int zxu_direct_free(void *h) {
    struct direct *d = h;
    pthread_mutex_lock(&E.mu);
    d->java = 0;
    if (d->wins == 0) {
        direct_free_locked(d);
    }
    pthread_mutex_unlock(&E.mu);
    return 0;
}

/* @return 0 while connection d works, else the Zircon status that failed it */
int zxu_direct_status(void *h) {
    struct direct *d = h;
    pthread_mutex_lock(&E.mu);
    int s = E.dead ? ZX_ERR_BAD_STATE : d->status != 0 ? d->status : d->fd < 0 || !d->started ? ZX_ERR_BAD_STATE : 0;
    pthread_mutex_unlock(&E.mu);
    return s;
}

/* @return PR_GET_DUMPABLE of this process (1: ptrace by the same user allowed), or -errno */
int zxu_dumpable(void) {
    int r = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    return r < 0 ? -errno : r;
}

/*
 * A direct lazy window [start, start+len) mapping the pager VMO's file at off: a new userfaultfd
 * (flags as the engine's own: user-mode-only where the engine needed it), MISSING registration, and the
 * userfaultfd handed to the pager's process over connection d (DWIN), which resolves the window's
 * faults itself. This process keeps its own copy: closing the pager's copy (or dying) must not let
 * a woken access fill a missing page with zeros, and a hang-up lets the handler fail later faults.
 * poison 0: the userfaultfd goes without UFFD_FEATURE_POISON even where the kernel has it (the pager's
 * process then asks this handler to fail pages with DFAIL, as on older kernels; tests take that path).
 * @return 0, or -errno (nothing registered; the caller falls back to the relay or fetches the window)
 */
int zxu_add_direct_window(void *h, uint64_t id, uint64_t start, uint64_t len, uint64_t off, int write, int64_t timeout_ms,
                          int poison) {
    struct direct *d = h;
    pthread_mutex_lock(&E.mu);
    int rc = 0, ufd = -1;
    if (E.dead || !d->started || d->status != 0 || d->fd < 0) {
        rc = -EIO;
        goto out;
    }
    for (int m = 0; m < E.nwins; m++) {
        if (start < E.wins[m].start + E.wins[m].len && E.wins[m].start < start + len) {
            rc = -EBUSY;
            goto out;
        }
    }
    if (grow_wins() != 0) {
        rc = -ENOMEM;
        goto out;
    }
    ufd = (int) syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | (E.mode == 2 ? UFFD_USER_MODE_ONLY : 0));
    if (ufd < 0) {
        rc = -errno;
        goto out;
    }
    struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_MISSING_SHMEM | (poison ? UFFD_FEATURE_POISON : 0)};
    if (ioctl(ufd, UFFDIO_API, &api) != 0) {
        /* A kernel without POISON refuses the feature (and the handshake is then spent): again without. */
        close(ufd);
        poison = 0;
        ufd = (int) syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | (E.mode == 2 ? UFFD_USER_MODE_ONLY : 0));
        struct uffdio_api plain = {.api = UFFD_API, .features = UFFD_FEATURE_MISSING_SHMEM};
        if (ufd < 0 || ioctl(ufd, UFFDIO_API, &plain) != 0) {
            rc = -errno;
            goto out;
        }
    }
    struct uffdio_register reg = {.range = {.start = start, .len = len}, .mode = UFFDIO_REGISTER_MODE_MISSING};
    if (ioctl(ufd, UFFDIO_REGISTER, &reg) != 0) {
        rc = -errno;
        goto out;
    }
    struct dmsg msg = {.op = DWIN, .flags = (write ? DF_WRITE : 0) | (poison ? DF_POISON : 0), .id = id,
                       .a = start, .b = len, .c = off, .d = timeout_ms};
    char ctl[CMSG_SPACE(sizeof(int))];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {.iov_base = &msg, .iov_len = sizeof msg};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &ufd, sizeof ufd);
    ssize_t n;
    do {
        n = sendmsg(d->fd, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t) sizeof msg) {
        rc = n < 0 ? -errno : -EIO;
        struct uffdio_range r = {.start = start, .len = len};
        (void) ioctl(ufd, UFFDIO_UNREGISTER, &r);
        goto out;
    }
    E.wins[E.nwins++] = (struct win){.start = start, .len = len, .off = off, .n = NULL, .r = NULL, .d = d, .ufd = ufd, .id = id};
    d->wins++;
    ufd = -1;
out:
    if (ufd >= 0) {
        close(ufd);
    }
    pthread_mutex_unlock(&E.mu);
    return rc;
}

/* ---- direct lazy windows, the pager's side (the process that serves them) ---- */

/* Connects to a receiver's direct listener at path. @return the socket (non-blocking) or -errno */
int zxu_dp_connect(const char *path) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        return -ENAMETOOLONG;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (connect(fd, (struct sockaddr *) &a, sizeof a) != 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* Whether fd is a userfaultfd (what a receiver must hand over, nothing else). */
static int is_uffd(int fd) {
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n <= 0) {
        return 0;
    }
    link[n] = 0;
    return strcmp(link, "anon_inode:[userfaultfd]") == 0;
}

/*
 * Reads one message of a receiver's connection: out[0] op, out[1] flags, out[2] id, out[3..5] a, b,
 * c, out[6] d, out[7] the userfaultfd that came with a DWIN (else -1). Anything malformed is dropped
 * (descriptors closed) and reads as op 0.
 * @return 1 with a message, 0 when none is queued, -EPIPE on hang-up, -errno
 */
int zxu_dp_recv(int sock, int64_t *out) {
    struct dmsg msg;
    char ctl[CMSG_SPACE(sizeof(int) * 8)];
    struct iovec iov = {.iov_base = &msg, .iov_len = sizeof msg};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    ssize_t n;
    do {
        n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno == EAGAIN ? 0 : -errno;
    }
    if (n == 0) {
        return -EPIPE;
    }
    int fd = -1, extra = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int count = (int) ((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < count; i++) {
                int f;
                memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
                if (fd < 0) {
                    fd = f;
                } else {
                    close(f);
                    extra = 1;
                }
            }
        }
    }
    int ok = n == DMSG_BYTES && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) && !extra
             && ((msg.op == DWIN && fd >= 0 && is_uffd(fd)) || (msg.op == DUNMAP && fd < 0));
    if (!ok) {
        if (fd >= 0) {
            close(fd);
        }
        memset(&msg, 0, sizeof msg);
        fd = -1;
    }
    out[0] = msg.op;
    out[1] = msg.flags;
    out[2] = (int64_t) msg.id;
    out[3] = (int64_t) msg.a;
    out[4] = (int64_t) msg.b;
    out[5] = (int64_t) msg.c;
    out[6] = msg.d;
    out[7] = fd;
    return 1;
}

/*
 * Reads the faults queued on userfaultfd ufd: at most max addresses into out, bit 0 set for a write.
 * @return the count, 0 when none, or -errno
 */
int zxu_dp_faults(int ufd, uint64_t *out, int max) {
    struct uffd_msg msgs[16];
    int count = 0;
    while (count + 16 <= max) {
        ssize_t n = read(ufd, msgs, sizeof msgs);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return count > 0 || errno == EAGAIN ? count : -errno;
        }
        for (ssize_t i = 0; i < n / (ssize_t) sizeof msgs[0]; i++) {
            if (msgs[i].event == UFFD_EVENT_PAGEFAULT) {
                out[count++] = (msgs[i].arg.pagefault.address & ~(uint64_t) (sysconf(_SC_PAGESIZE) - 1))
                               | ((msgs[i].arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE) ? 1 : 0);
            }
        }
        if (n < (ssize_t) sizeof msgs) {
            break;
        }
    }
    return count;
}

static void *dp_zero;
static pthread_once_t dp_once = PTHREAD_ONCE_INIT;

static void dp_zero_init(void) {
    long p = sysconf(_SC_PAGESIZE);
    dp_zero = aligned_alloc((size_t) p, (size_t) p);
    if (dp_zero) {
        memset(dp_zero, 0, (size_t) p);
    }
}

/*
 * Resolves the fault at addr (page-aligned, len bytes) of another process's userfaultfd ufd. how 0:
 * the page is in the shared file now: UFFDIO_COPY of a zero page answers EEXIST (the page cache holds
 * it; for a page supplied as a hole the zero page fills it), then the thread wakes and maps the page.
 * how 1: UFFDIO_POISON, the access raises SIGBUS (an InternalError in Java). With the file (fd >= 0,
 * the page at offset fo), a page that is data there only needs the wake-up: SEEK_DATA is cheaper than
 * a copy the kernel refuses.
 * @return 0, or -errno (-EINVAL for POISON on a kernel without it)
 */
int zxu_dp_resolve(int ufd, uint64_t addr, uint64_t len, int how, int fd, int64_t fo) {
    struct uffdio_range r = {.start = addr, .len = len};
    if (how == 0 && fd >= 0 && len == (uint64_t) sysconf(_SC_PAGESIZE) && lseek(fd, fo, SEEK_DATA) == fo) {
        /* The page is in the file (or its swap): the woken access maps it, no copy needed to tell. */
        return ioctl(ufd, UFFDIO_WAKE, &r) == 0 ? 0 : -errno;
    }
    if (how == 1) {
        struct uffdio_poison q = {.range = r, .mode = 0};
        if (ioctl(ufd, UFFDIO_POISON, &q) == 0) {
            return 0;
        }
        int e = errno;
        (void) ioctl(ufd, UFFDIO_WAKE, &r);
        return e == EEXIST ? 0 : -e;
    }
    pthread_once(&dp_once, dp_zero_init);
    if (!dp_zero) {
        return -ENOMEM;
    }
    long p = sysconf(_SC_PAGESIZE);
    for (uint64_t at = addr; at < addr + len; at += (uint64_t) p) {
        struct uffdio_copy c = {.dst = at, .src = (uint64_t) (uintptr_t) dp_zero, .len = (uint64_t) p, .mode = 0};
        if (ioctl(ufd, UFFDIO_COPY, &c) == 0) {
            continue;
        }
        struct uffdio_range one = {.start = at, .len = (uint64_t) p};
        (void) ioctl(ufd, UFFDIO_WAKE, &one);
    }
    return 0;
}

/*
 * Supplies the faulting page at addr (one page) of another process's userfaultfd ufd with the page at
 * src of this process: UFFDIO_COPY puts it in the page cache of the file the receiver's window maps,
 * maps it there and wakes the receiver's thread, in one call, as a C pager does. Writing the shared
 * file and waking instead costs a page fault here, a lseek, a UFFDIO_WAKE, and a second fault there.
 * The file is then asked (SEEK_DATA at fo of fd) whether the page reached it: a receiver's window that
 * is not a shared mapping of fd (a hostile receiver's, say) got its own copy, and the file none.
 * @return 0: the page is in the file and the receiver's thread woke; 1: the receiver's thread woke but
 *         the file lacks the page (the caller writes it); -errno: nothing done (-EEXIST: a page was there
 *         already), the caller writes the file and wakes as usual
 */
int zxu_dp_copy(int ufd, uint64_t addr, const void *src, int fd, int64_t fo) {
    long p = sysconf(_SC_PAGESIZE);
    struct uffdio_copy c = {.dst = addr, .src = (uint64_t) (uintptr_t) src, .len = (uint64_t) p, .mode = 0};
    if (ioctl(ufd, UFFDIO_COPY, &c) != 0) {
        return -errno;
    }
    return lseek(fd, fo, SEEK_DATA) == fo ? 0 : 1;
}

/* Asks the receiver to fail page(s) [addr, addr+len) of window id itself (a kernel without POISON). */
int zxu_dp_fail(int sock, uint64_t id, uint64_t addr, uint64_t len) {
    struct dmsg msg = {.op = DFAIL, .id = id, .a = addr, .b = len};
    ssize_t n = send(sock, &msg, sizeof msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    return n == (ssize_t) sizeof msg ? 0 : n < 0 ? -errno : -EIO;
}

/*
 * Polls fds[0..n) for input (events POLLIN) for at most timeout_ms (-1: no limit); revents[i] gets
 * each one's poll bits. @return the number ready, or -errno
 */
int zxu_dp_poll(const int *fds, int n, int timeout_ms, short *revents) {
    struct pollfd stack[64];
    struct pollfd *p = n <= 64 ? stack : malloc(sizeof *p * (size_t) n);
    if (!p) {
        return -ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    }
    int rc = poll(p, (nfds_t) n, timeout_ms);
    int e = errno;
    for (int i = 0; i < n; i++) {
        revents[i] = rc > 0 ? p[i].revents : 0;
    }
    if (p != stack) {
        free(p);
    }
    return rc < 0 ? -e : rc;
}

/* @return a non-blocking eventfd (the reader's wake-up), or -errno */
int zxu_dp_eventfd(void) {
    int fd = (int) syscall(SYS_eventfd2, 0, O_CLOEXEC | O_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

/* Writes 1 to eventfd fd (signal), or drains it (drain != 0). */
int zxu_dp_event(int fd, int drain) {
    uint64_t v = 1;
    ssize_t n = drain ? read(fd, &v, sizeof v) : write(fd, &v, sizeof v);
    return n == (ssize_t) sizeof v ? 0 : -errno;
}

int zxu_dp_close(int fd) {
    return close(fd) == 0 ? 0 : -errno;
}

/*
 * The pager's side keeps one epoll set per pager over its direct windows' userfaultfds and a wake-up
 * eventfd, so a pager thread waiting for faults pays for the descriptors that are ready, not for every
 * window, and rebuilds nothing per wait. Each entry carries a token (never a descriptor number, which
 * may be reused once closed): the caller maps it back to its window.
 */

/* @return a new epoll set, or -errno */
int zxu_dp_epoll(void) {
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/*
 * Adds fd to set ep for input, reported with token (add != 0), or removes it (add == 0). A descriptor
 * must leave the set before it is closed: the set holds the open file, which the receiver's copy keeps
 * alive, so closing this process's copy alone would leave the entry reporting under a number that a
 * later descriptor may take.
 * @return 0 or -errno
 */
int zxu_dp_epoll_ctl(int ep, int add, int fd, int64_t token) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t) token};
    return epoll_ctl(ep, add ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd, &ev) == 0 ? 0 : -errno;
}

/*
 * Waits at most timeout_ms (-1: no limit) for entries of set ep: out[2i] the token, out[2i+1] the
 * event bits (EPOLLIN 1, EPOLLERR 8, EPOLLHUP 16), for at most max entries (64 or fewer).
 * @return the count, 0 on timeout or a signal, or -errno
 */
int zxu_dp_epoll_wait(int ep, int64_t *out, int max, int timeout_ms) {
    struct epoll_event evs[64];
    int n = epoll_wait(ep, evs, max < 64 ? max : 64, timeout_ms);
    if (n < 0) {
        return errno == EINTR ? 0 : -errno;
    }
    for (int i = 0; i < n; i++) {
        out[2 * i] = (int64_t) evs[i].data.u64;
        out[2 * i + 1] = (int64_t) evs[i].events;
    }
    return n;
}
