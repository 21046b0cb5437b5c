/*
 * The C side of the sharing benchmarks (ChannelBench, RingBench).
 *
 *  - zxb_fd_roundtrip / zxb_msg_roundtrip: what Channel.write + Channel.read do twice (there and
 *    back), with bare sendmsg/recvmsg on the same kind of socket (AF_UNIX SOCK_SEQPACKET) and the
 *    same message size, without zxmem's wire format, seal checks and receiver checks.
 *  - zxb_ring_run: the examples' SharedRing (same layout, same algorithm with cached indexes, same
 *    back-off) driven by
 *    a producer (the caller) and a consumer pthread, over the memory the caller passes.
 *  - zxb_socket_run: the copying alternative: the same records through an AF_UNIX SOCK_STREAM
 *    socketpair, written and read in 64 KiB chunks.
 *
 * Functions return 0 (or a checksum) on success and -errno on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int zxb_seqpacket_pair(int *sv) {
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0 ? 0 : -errno;
}

int zxb_close(int fd) {
    return close(fd) == 0 ? 0 : -errno;
}

static int send_msg(int sock, void *data, size_t len, int fd) {
    struct iovec iov = {.iov_base = data, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t) len ? 0 : -errno;
}

/* Receives one message; *fd gets the descriptor that came with it, or -1. */
static int recv_msg(int sock, void *buf, size_t cap, int *fd) {
    struct iovec iov = {.iov_base = buf, .iov_len = cap};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
    ssize_t r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (r < 0) {
        return -errno;
    }
    *fd = -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        memcpy(fd, CMSG_DATA(c), sizeof(int));
    }
    return 0;
}

/* memfd a -> b, then the received descriptor b -> a; both received descriptors closed. */
int zxb_fd_roundtrip(int a, int b, int memfd, void *buf, size_t len) {
    int got, back, rc;
    if ((rc = send_msg(a, buf, len, memfd)) != 0 || (rc = recv_msg(b, buf, len, &got)) != 0) {
        return rc;
    }
    if (got < 0) {
        return -EBADMSG;
    }
    rc = send_msg(b, buf, len, got);
    close(got);
    if (rc != 0 || (rc = recv_msg(a, buf, len, &back)) != 0) {
        return rc;
    }
    if (back < 0) {
        return -EBADMSG;
    }
    return close(back) == 0 ? 0 : -errno;
}

/* A message without descriptors a -> b -> a. */
int zxb_msg_roundtrip(int a, int b, void *buf, size_t len) {
    int fd, rc;
    if ((rc = send_msg(a, buf, len, -1)) != 0 || (rc = recv_msg(b, buf, len, &fd)) != 0
            || (rc = send_msg(b, buf, len, -1)) != 0 || (rc = recv_msg(a, buf, len, &fd)) != 0) {
        return rc;
    }
    return 0;
}

/* ---- the ring: SharedRing's layout ---- */
#define HEADER 4096
#define OFF_CAPACITY 0
#define OFF_WRITE 64
#define OFF_READ 128
#define OFF_CLOSED 192
#define WRAP (-1)

static inline uint64_t *word(uint8_t *ring, size_t off) {
    return (uint64_t *) (ring + off);
}

static inline uint64_t footprint(int32_t length) {
    return (4 + (uint64_t) length + 7) & ~7ULL;
}

/* SharedRing.backOff: spin, then yield, then sleep 50 us. */
static void back_off(int idle) {
    if (idle < 100) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ volatile("yield");
#endif
    } else if (idle < 200) {
        sched_yield();
    } else {
        struct timespec ts = {0, 50000};
        nanosleep(&ts, NULL);
    }
}

struct consumer {
    uint8_t *ring;
    long records;
    uint64_t sum;
};

static void *consume(void *arg) {
    struct consumer *c = arg;
    uint8_t *ring = c->ring;
    uint64_t cap = *word(ring, OFF_CAPACITY);
    uint8_t *data = ring + HEADER;
    uint64_t read = __atomic_load_n(word(ring, OFF_READ), __ATOMIC_ACQUIRE);
    uint64_t write_seen = read;
    uint64_t sum = 0;
    int idle = 0;
    for (long n = 0; n < c->records;) {
        if (read == write_seen) {
            write_seen = __atomic_load_n(word(ring, OFF_WRITE), __ATOMIC_ACQUIRE);
            if (read == write_seen) {
                back_off(idle++);
                continue;
            }
        }
        idle = 0;
        uint64_t at = read & (cap - 1);
        int32_t length;
        memcpy(&length, data + at, 4);
        if (length == WRAP) {
            read += cap - at;
            at = 0;
            memcpy(&length, data, 4);
        }
        uint64_t seq;
        memcpy(&seq, data + at + 4, 8);
        sum += seq;
        read += footprint(length);
        __atomic_store_n(word(ring, OFF_READ), read, __ATOMIC_RELEASE);
        n++;
    }
    c->sum = sum;
    return NULL;
}

/*
 * Lays out an empty ring of `capacity` bytes at `producer_view` (HEADER + capacity bytes), runs a
 * consumer thread over `consumer_view` (another mapping of the same memory) and produces `records`
 * records of `bytes` bytes (each starting with its sequence number). Returns the consumer's sum of
 * sequence numbers, or -errno.
 */
int64_t zxb_ring_run(uint8_t *producer_view, uint8_t *consumer_view, uint64_t capacity, long records, int32_t bytes) {
    uint8_t *ring = producer_view;
    memset(ring, 0, HEADER);
    *word(ring, OFF_CAPACITY) = capacity;
    uint8_t *data = ring + HEADER;
    struct consumer c = {.ring = consumer_view, .records = records};
    pthread_t t;
    int rc = pthread_create(&t, NULL, consume, &c);
    if (rc != 0) {
        return -rc;
    }
    uint8_t record[65536];
    memset(record, 0, sizeof(record));
    uint64_t write = 0;
    uint64_t read_seen = 0;
    uint64_t need = footprint(bytes);
    for (long seq = 0; seq < records; seq++) {
        memcpy(record, &seq, 8);
        int idle = 0;
        for (;;) {
            uint64_t at = write & (capacity - 1);
            uint64_t pad = capacity - at < need ? capacity - at : 0;
            if (write + pad + need - read_seen > capacity) {
                read_seen = __atomic_load_n(word(ring, OFF_READ), __ATOMIC_ACQUIRE);
                if (write + pad + need - read_seen > capacity) {
                    back_off(idle++);
                    continue;
                }
            }
            if (pad != 0) {
                int32_t wrap = WRAP;
                memcpy(data + at, &wrap, 4);
                at = 0;
            }
            memcpy(data + at, &bytes, 4);
            memcpy(data + at + 4, record, (size_t) bytes);
            write += pad + need;
            __atomic_store_n(word(ring, OFF_WRITE), write, __ATOMIC_RELEASE);
            break;
        }
    }
    __atomic_store_n(word(ring, OFF_CLOSED), 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    return (int64_t) c.sum;
}

/* ---- the copying transport: a stream socket ---- */
#define CHUNK 65536

struct reader {
    int sock;
    long records;
    int32_t bytes;
    uint64_t sum;
    int err;
};

static void *read_records(void *arg) {
    struct reader *r = arg;
    static __thread uint8_t buf[CHUNK + 8];
    uint64_t need = footprint(r->bytes);
    uint64_t total = need * (uint64_t) r->records;
    uint64_t got = 0, parsed = 0;
    size_t have = 0;
    while (got < total) {
        ssize_t n = read(r->sock, buf + have, CHUNK - have);
        if (n <= 0) {
            r->err = n == 0 ? EPIPE : errno;
            return NULL;
        }
        got += (uint64_t) n;
        have += (size_t) n;
        size_t at = 0;
        while (have - at >= need) {
            uint64_t seq;
            memcpy(&seq, buf + at + 4, 8);
            r->sum += seq;
            at += need;
            parsed++;
        }
        memmove(buf, buf + at, have - at);
        have -= at;
    }
    return NULL;
}

static int64_t write_all(int sock, const uint8_t *buf, size_t len) {
    for (size_t off = 0; off < len;) {
        ssize_t n = write(sock, buf + off, len - off);
        if (n < 0) {
            return -errno;
        }
        off += (size_t) n;
    }
    return 0;
}

/* `records` records of `bytes` bytes through a SOCK_STREAM socketpair; returns the reader's checksum. */
int64_t zxb_socket_run(long records, int32_t bytes) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        return -errno;
    }
    struct reader r = {.sock = sv[1], .records = records, .bytes = bytes};
    pthread_t t;
    int rc = pthread_create(&t, NULL, read_records, &r);
    if (rc != 0) {
        close(sv[0]);
        close(sv[1]);
        return -rc;
    }
    static __thread uint8_t buf[CHUNK];
    uint64_t need = footprint(bytes);
    size_t fill = 0;
    int64_t result = 0;
    for (long seq = 0; seq < records; seq++) {
        if (fill + need > CHUNK) {
            if ((result = write_all(sv[0], buf, fill)) != 0) {
                goto done;
            }
            fill = 0;
        }
        memcpy(buf + fill, &bytes, 4);
        memcpy(buf + fill + 4, &seq, 8);
        memset(buf + fill + 12, 0, need - 12);
        fill += need;
    }
    result = write_all(sv[0], buf, fill);
done:
    if (result < 0) {
        shutdown(sv[0], SHUT_RDWR);
    }
    pthread_join(t, NULL);
    close(sv[0]);
    close(sv[1]);
    if (result == 0) {
        result = r.err != 0 ? -r.err : (int64_t) r.sum;
    }
    return result;
}
