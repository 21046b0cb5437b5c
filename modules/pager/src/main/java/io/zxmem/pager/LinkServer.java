package io.zxmem.pager;

import io.zxmem.Channel;
import io.zxmem.Handle;
import io.zxmem.Message;
import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.cow.LazyFaults;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The pager's side of one link: answers another process's requests for pages of one pager VMO.
 *
 * <p>Each request is answered on its own virtual thread, which waits for the pager exactly as a local
 * {@code read} would; the other process's faults never wait (it maps a window only after the answer),
 * so no thread of either JVM is ever stuck in a page fault.
 */
final class LinkServer {
    private static final Duration POLL = Duration.ofMillis(500);
    private final PagedStore store;
    private final Channel server;
    /**
     * The sender's copy of the other end, until the message carrying it is sent: {@code Channel.write}
     * closes it then (sent or not), HELLO or the link's end close it here too (closing twice is harmless).
     * Once no copy is left outside a message, the link ends when the receiver's end goes: a message
     * never read dies with its queue, and so does the link, its thread and its hold on the VMO.
     */
    private Channel client;
    private final Runnable onClose;
    /** Writable windows of the other process, by id: their pages stay dirty while they exist. */
    private final Map<Long, long[]> holds = new HashMap<>();
    /** The receiver's fault relay (lazy windows), or null. */
    private Channel faults;
    /** The receiver's direct-fault connection, or null. */
    private DirectServer.Conn direct;
    private boolean gone;

    LinkServer(PagedStore store, Channel server, Channel client, Runnable onClose) {
        this.store = store;
        this.server = server;
        this.client = client;
        this.onClose = onClose;
    }

    void start() {
        Thread t = new Thread(this::run, "zxmem-pager-link");
        t.setDaemon(true);
        t.start();
    }

    /** Closes the link: the reader stops, the other process's requests fail from now on. */
    void close() {
        server.close();
        closeClient();
    }

    private synchronized void closeClient() {
        if (client != null) {
            client.close();
            client = null;
        }
    }

    private void run() {
        try {
            while (true) {
                Message m;
                try {
                    m = server.read(POLL);
                } catch (ZxException e) {
                    if (e.status() == Status.ERR_TIMED_OUT) {
                        continue;
                    }
                    return; // PEER_CLOSED (the other process is gone), BAD_HANDLE (closed here), IO
                }
                Link q = Link.decode(m.data());
                Channel relay = q != null && q.op() == Link.FAULTS && m.handles().size() == 1
                        && m.handles().get(0) instanceof Channel c ? c : null;
                for (Handle h : m.handles()) {
                    if (h != relay) {
                        h.close(); // never keep what a peer pushes, but for a FAULTS relay
                    }
                }
                if (q == null) {
                    continue;
                }
                switch (q.op()) {
                    case Link.HELLO -> closeClient();
                    case Link.FAULTS -> relay(q, relay);
                    case Link.DIRECT -> direct(q, Link.tail(m.data()));
                    case Link.NEED, Link.MAP, Link.PROTECT -> Thread.ofVirtual().name("zxmem-pager-request").start(() -> answer(q));
                    case Link.UNMAP -> release(q.id());
                    default -> { }
                }
            }
        } finally {
            closeClient();
            server.close();
            synchronized (this) {
                gone = true;
                if (faults != null) {
                    faults.close(); // the receiver's handler fails its waiting faults
                }
                if (direct != null) {
                    store.directServer().remove(direct); // the receiver's handler sees the hang-up
                }
                for (long[] h : holds.values()) {
                    store.releaseHold(h);
                }
                holds.clear();
            }
            store.forgetLink(this);
            onClose.run();
        }
    }

    /**
     * The receiver's fault relay: its native handler asks for the pages of lazy windows there. Refused
     * (NOT_SUPPORTED) for a receiver in this very process: its faults would wait for this JVM's Java
     * pager, and a fault holds a safepoint open (see the README).
     */
    private void relay(Link q, Channel relay) {
        int status = 0;
        if (relay == null) {
            status = Status.ERR_INVALID_ARGS.value();
        } else if (q.offset() == ProcessHandle.current().pid()) {
            relay.close();
            status = Status.ERR_NOT_SUPPORTED.value();
        } else {
            synchronized (this) {
                if (gone) {
                    relay.close();
                    status = Status.ERR_BAD_STATE.value();
                } else {
                    if (faults != null) {
                        faults.close();
                    }
                    faults = relay;
                }
            }
            if (status == 0) {
                Thread t = new Thread(() -> serveRelay(relay), "zxmem-pager-relay");
                t.setDaemon(true);
                t.start();
            }
        }
        try {
            server.write(new Link(Link.REPLY, 0, q.id(), 0, 0, status).encode());
        } catch (ZxException ignored) {
            // The other process left; run() cleans up.
        }
    }

    /**
     * Connects to the receiver's direct-fault listener: the receiver decides from this connection's
     * credentials whether to hand over its lazy windows' userfaultfds. Refused for a receiver in this
     * very process, as the relay is.
     */
    private void direct(Link q, byte[] path) {
        int status = 0;
        if (q.offset() == ProcessHandle.current().pid()) {
            status = Status.ERR_NOT_SUPPORTED.value();
        } else {
            int sock;
            try {
                sock = LazyFaults.directConnect(java.nio.file.Path.of(new String(path, java.nio.charset.StandardCharsets.UTF_8)));
            } catch (RuntimeException | LinkageError e) {
                sock = -1; // no library: the receiver keeps its relay
            }
            if (sock < 0) {
                status = Status.ERR_IO.value();
            } else {
                DirectServer.Conn c = store.directServer().add(sock, store);
                synchronized (this) {
                    if (c == null) {
                        status = Status.ERR_NO_RESOURCES.value();
                    } else if (gone) {
                        store.directServer().remove(c);
                        status = Status.ERR_BAD_STATE.value();
                    } else {
                        if (direct != null) {
                            store.directServer().remove(direct);
                        }
                        direct = c;
                    }
                }
            }
        }
        try {
            server.write(new Link(Link.REPLY, 0, q.id(), 0, 0, status).encode());
        } catch (ZxException ignored) {
            // The other process left; run() cleans up.
        }
    }

    private synchronized boolean lazyAllowed() {
        return faults != null && !gone;
    }

    /**
     * Answers the relay's requests (NEED only) until either side closes it. No thread waits per
     * request: the answer goes out from whichever thread settles it (the pager's thread supplying the
     * page, usually), which saves the receiver's fault two thread hand-offs.
     */
    private void serveRelay(Channel relay) {
        try {
            while (true) {
                Link q = Link.next(relay, POLL);
                if (q != null && q.op() == Link.NEED) {
                    store.serveNeedAsync(q.offset(), q.length(), (q.flags() & Link.WRITE) != 0, relay, status -> {
                        try {
                            relay.write(new Link(Link.REPLY, 0, q.id(), 0, 0, status).encode());
                        } catch (ZxException ignored) {
                            // the receiver left: its handler failed the fault by itself
                        }
                    });
                }
            }
        } catch (ZxException gone) {
            // the receiver closed the relay, or this side did (the link is gone)
        } finally {
            relay.close();
            store.forgetAsync(relay);
        }
    }

    private void answer(Link q) {
        int status = 0;
        int flags = 0;
        try {
            boolean write = (q.flags() & Link.WRITE) != 0;
            boolean lazy = (q.flags() & Link.LAZY) != 0 && lazyAllowed();
            switch (q.op()) {
                case Link.NEED -> store.serveNeed(q.offset(), q.length(), write);
                case Link.MAP -> {
                    long[] hold;
                    if (lazy && store.lazyWindowAllowed(write)) {
                        hold = write ? store.lazyHold(q.offset(), q.length()) : null;
                        flags = Link.LAZY;
                    } else {
                        hold = store.serveMap(q.offset(), q.length(), write);
                    }
                    if (hold != null) {
                        keep(q.id(), hold);
                    }
                }
                case Link.PROTECT -> {
                    if (write) {
                        long[] hold = lazy && store.lazyWindowAllowed(true) ? store.lazyHold(q.offset(), q.length())
                                : store.serveMap(q.offset(), q.length(), true);
                        if (hold != null) {
                            keep(q.id(), hold);
                        }
                    } else {
                        release(q.id());
                    }
                }
                default -> status = Status.ERR_NOT_SUPPORTED.value();
            }
        } catch (ZxException e) {
            status = e.status().value();
        } catch (RuntimeException e) {
            status = Status.ERR_INTERNAL.value();
        }
        try {
            server.write(new Link(Link.REPLY, flags, q.id(), 0, 0, status).encode());
        } catch (ZxException ignored) {
            // The other process left; run() cleans up.
        }
    }

    private synchronized void keep(long id, long[] hold) {
        if (gone) {
            store.releaseHold(hold); // answered after the link closed: nobody can unmap it any more
            return;
        }
        long[] old = holds.put(id, hold);
        if (old != null) {
            store.releaseHold(old);
        }
    }

    private void release(long id) {
        long[] h;
        synchronized (this) {
            h = holds.remove(id);
        }
        if (h != null) {
            store.releaseHold(h);
        }
    }
}
