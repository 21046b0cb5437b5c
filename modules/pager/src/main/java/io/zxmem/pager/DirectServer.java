package io.zxmem.pager;

import io.zxmem.Status;
import io.zxmem.Zx;
import io.zxmem.cow.LazyFaults;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The pager's side of direct lazy windows: receivers that trust this process handed it the
 * userfaultfds of their lazy windows (one per window, over a connection per received VMO), and one
 * reader thread per pager reads their faults and turns each into a page request, as a relayed NEED
 * would be ({@link PagedStore#serveNeedAsync}). Whoever settles the request (the pager's thread in
 * {@code supplyPages}, usually) resolves the fault itself: the toucher in the other process wakes
 * straight from that thread, with no hand-off back through the receiver's handler.
 *
 * <p>The faulting threads are in another JVM, so a Java thread here may wait for the pager without any
 * safepoint hazard. A fault that waits longer than the receiver's fault timeout is failed here (the
 * receiver cannot: it never reads its userfaultfds while this process serves them).
 *
 * <p>Pager threads in {@code next} wait on one epoll set per pager ({@link #pollFaults}): every window's
 * userfaultfd joins it when it comes and leaves it before it is closed, and the set's wake-up eventfd
 * is in it too, so a wait costs the descriptors that are ready, not one per window, and builds nothing.
 * Entries carry tokens (a slot and a generation), never descriptor numbers, so an event read just as
 * its window closes, or after its number went to another window, finds no window or the closed one.
 */
final class DirectServer {
    private static final int MAX_FAULTS = 64;
    /** Ready entries one wait of a pager thread takes at most (the rest stay ready for the next). */
    private static final int MAX_EVENTS = 32;
    /** The token of the wake-up eventfd in the epoll set (a window's token is a slot and a generation). */
    private static final long WAKE = -1;
    /** epoll's error and hang-up bits: a userfaultfd that reports them can never be read. */
    private static final int EPOLLERR_OR_HUP = 0x8 | 0x10;
    /**
     * Direct windows a receiver made by zxmem keeps at once per received VMO; its windows beyond go
     * through the relay ({@code RemoteStore}). Each costs the pager's process a descriptor and an
     * entry in its pager's epoll set.
     */
    static final int MAX_WINDOWS_PER_CONNECTION = 256;
    /**
     * What this process holds for one connection before it ends it: without a bound, a receiver could
     * take all of this process's descriptors. Four times the receiver's own bound, so that a zxmem
     * receiver whose unmap notices still wait in its socket (sent without blocking, the rest later) never
     * reaches it; a receiver that does is not one zxmem made.
     *
     * <p>This process cannot tell by itself that a receiver's window is gone, so it relies on those
     * notices: a userfaultfd reports nothing to poll when the range registered on it is unmapped, and
     * probing the receiver's address space through it (UFFDIO_REGISTER of the range again) would
     * register whatever the receiver mapped there since.
     */
    static final int MAX_WINDOWS_HELD = 4 * MAX_WINDOWS_PER_CONNECTION;
    /**
     * How often the reader looks at every window without being woken: faults nobody took yet (no
     * pager thread in {@code next}) become requests, and faults past their timeout fail.
     */
    private static final int TICK_MILLIS = 500;
    private final long page = Zx.pageSize();
    private final Engine engine;
    /** Wakes the pager threads polling in {@link #pollFaults}; valid while {@link #users} is positive. */
    private int pollWake = -1;
    /** Connections present (1) plus pager threads in {@link #pollFaults}: {@link #pollWake} and {@link #ep} live while positive. */
    private int users;
    /**
     * The pager threads' epoll set: {@link #pollWake} and every window's userfaultfd (but one that
     * epoll refused, which the reader's sweep still serves); made by the first pager thread to poll.
     */
    private int ep = -1;
    /** Counts the sets made, so that a window armed in a set now closed is not removed from the next. */
    private int epEpoch;
    /** The windows in {@link #ep}, by the slot of their token. */
    private Win[] slots = new Win[8];
    private int[] freeSlots = new int[8];
    private int freeCount;
    private int slotTop;
    /**
     * Windows held over every connection, kept with the connections' maps (under this object's lock):
     * {@link #hasWindows} runs on every loop of {@code next()} and must not walk every received VMO's
     * connection to answer.
     */
    private volatile int held;
    private int tokenGeneration;
    /**
     * The wake-up protocol of several pager threads in one set: {@link #pollWake} stays readable until
     * every thread that was waiting when it was signalled has returned ({@link #stale} of the
     * {@link #waiting} ones), and only then is drained, so no waiter misses a wake-up meant for it (its
     * interrupt, a request another thread took, the pager's close).
     */
    private int waiting;
    private int stale;
    private boolean signaled;
    private long wakeSeq;
    /** Turns an interrupt of a pager thread waiting in {@link #pollFaults} into a wake-up. */
    private final Interrupts interrupts = new Interrupts();
    private long dropped;
    private final List<Conn> conns = new ArrayList<>();
    /** Wakes the reader when a connection comes; valid while the reader runs. */
    private int event = -1;
    private Thread reader;

    DirectServer(Engine engine) {
        this.engine = engine;
    }

    /** A pager thread's wait buffers, kept between its calls of {@code next} (freed with the thread's last use by the GC). */
    private static final class Buffers {
        final MemorySegment events;
        final MemorySegment faults;
        final Win[] ready = new Win[MAX_EVENTS];
        final int[] bits = new int[MAX_EVENTS];

        Buffers() {
            Arena a = Arena.ofAuto();
            events = a.allocate(ValueLayout.JAVA_LONG, 2L * MAX_EVENTS);
            faults = a.allocate(ValueLayout.JAVA_LONG, MAX_FAULTS);
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * An interrupt of a thread blocked in a native wait is not seen until the wait ends; the JDK's own
     * hook for that (a selector's {@code begin}/{@code end}, which {@link Thread#interrupt} calls back)
     * signals the set's wake-up instead, so an interrupted pager thread leaves {@code next} at once.
     * Nothing else of the selector is used.
     */
    private final class Interrupts extends AbstractSelector {
        Interrupts() {
            super(SelectorProvider.provider());
        }

        /** Before a wait, without any lock a waker takes: an interrupt from now on wakes the set. */
        void enter() {
            begin();
        }

        void leave() {
            end();
        }

        @Override
        public Selector wakeup() {
            wakePollers();
            return this;
        }

        @Override
        protected void implCloseSelector() {}

        @Override
        protected SelectionKey register(AbstractSelectableChannel ch, int ops, Object att) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Set<SelectionKey> keys() {
            return Set.of();
        }

        @Override
        public Set<SelectionKey> selectedKeys() {
            return Set.of();
        }

        @Override
        public int selectNow() {
            return 0;
        }

        @Override
        public int select(long timeout) {
            return 0;
        }

        @Override
        public int select() {
            return 0;
        }
    }

    /** A receiver's connection, for the VMO of {@code store}. */
    final class Conn {
        final int sock;
        final PagedStore store;
        final Map<Long, Win> wins = new HashMap<>();
        /**
         * The VMO's file (the receiver maps it), to tell a page that is there from a hole when a fault is
         * resolved; open while the store is, which outlives the link and so this connection (a descriptor
         * closed and reused in a race at worst costs the toucher a second fault).
         */
        final int file;
        final long fileOffset;
        boolean closed;

        Conn(int sock, PagedStore store) {
            this.sock = sock;
            this.store = store;
            this.file = store.sharedFd();
            this.fileOffset = store.sharedOffset();
        }
    }

    /** One direct window: its userfaultfd (this process's copy) and where it shows the VMO. */
    static final class Win {
        final Conn conn;
        final long id;
        final int ufd;
        final long start;
        final long length;
        final long offset;
        final boolean write;
        final boolean poison;
        final long timeoutMillis;
        final Set<Fault> faults = ConcurrentHashMap.newKeySet();
        boolean closed;
        /** Its slot in the epoll set, or -1 (not in it); guarded by the server. */
        int slot = -1;
        long token;
        int epoch;

        /** @return where the page at {@code address} of this window is in the VMO's file */
        long fileOffset(long address) {
            return conn.fileOffset + offset + (address - start);
        }

        Win(Conn conn, long[] m) {
            this.conn = conn;
            this.id = m[2];
            this.start = m[3];
            this.length = m[4];
            this.offset = m[5];
            this.timeoutMillis = Math.max(0, m[6]);
            this.ufd = (int) m[7];
            this.write = (m[1] & 1) != 0;
            this.poison = (m[1] & 2) != 0;
        }
    }

    /** One fault read from a window, until it is resolved. */
    static final class Fault {
        final Win win;
        final long address;
        final long deadline;
        final AtomicBoolean done = new AtomicBoolean();

        Fault(Win win, long address, long deadline) {
            this.win = win;
            this.address = address;
            this.deadline = deadline;
        }
    }

    /**
     * Serves a receiver's connection from now on.
     *
     * @return the connection, for {@link #remove}; null when the reader cannot run (the socket is closed)
     */
    Conn add(int sock, PagedStore store) {
        Conn c = new Conn(sock, store);
        synchronized (this) {
            if (reader == null) {
                int e = LazyFaults.eventfd();
                if (e < 0) {
                    LazyFaults.close(sock);
                    return null;
                }
                event = e;
                use(1);
                conns.add(c);
                reader = new Thread(this::run, "zxmem-pager-direct");
                reader.setDaemon(true);
                reader.start();
            } else {
                conns.add(c);
                LazyFaults.event(event, false);
            }
        }
        return c;
    }

    /** The link ended: the connection closes, with this process's copies of its windows' userfaultfds. */
    void remove(Conn c) {
        List<Win> wins;
        synchronized (this) {
            if (c.closed) {
                return;
            }
            c.closed = true;
            LazyFaults.close(c.sock);
            wins = new ArrayList<>(c.wins.values());
            held -= c.wins.size();
            c.wins.clear();
            conns.remove(c);
            if (event >= 0) {
                LazyFaults.event(event, false);
            }
        }
        for (Win w : wins) {
            closeWin(w);
        }
    }

    private void closeWin(Win w) {
        synchronized (this) {
            synchronized (w) {
                if (w.closed) {
                    return;
                }
                w.closed = true;
                // Out of the set before the number is free for another descriptor: the set holds the
                // open file, which the receiver's copy keeps alive, so closing alone would leave the
                // entry in it, reporting under a number a later window may take.
                disarm(w);
                LazyFaults.close(w.ufd);
            }
        }
        for (Fault f : w.faults) {
            f.done.set(true);
            w.conn.store.forgetAsync(f);
        }
        w.faults.clear();
    }

    /** A window whose userfaultfd reports an error (not a working one: never initialized, or blocking) goes. */
    private void drop(Win w) {
        synchronized (this) {
            if (w.conn.wins.get(w.id) == w) {
                w.conn.wins.remove(w.id);
                held--;
                dropped++;
            }
        }
        closeWin(w);
    }

    /** Puts a window in the epoll set, when there is one. Caller holds this server's lock. */
    private void arm(Win w) {
        if (ep < 0 || w.closed || w.slot >= 0) {
            return;
        }
        int slot = freeCount > 0 ? freeSlots[--freeCount] : slotTop;
        if (slot >= slots.length) {
            slots = java.util.Arrays.copyOf(slots, 2 * slots.length);
        }
        long token = (long) ++tokenGeneration << 32 | slot;
        if (token == WAKE || LazyFaults.epollCtl(ep, true, w.ufd, token) != 0) {
            // No room in the set (ENOMEM, ENOSPC: the user's epoll watches): the reader's sweep serves it.
            if (slot < slotTop) {
                freeSlots[freeCount++] = slot;
            }
            return;
        }
        if (slot == slotTop) {
            slotTop++;
        }
        slots[slot] = w;
        w.slot = slot;
        w.token = token;
        w.epoch = epEpoch;
    }

    /** Takes a window out of the epoll set, before its descriptor closes. Caller holds this server's lock. */
    private void disarm(Win w) {
        if (w.slot < 0) {
            return;
        }
        if (ep >= 0 && w.epoch == epEpoch) {
            LazyFaults.epollCtl(ep, false, w.ufd, 0);
        }
        slots[w.slot] = null;
        if (freeCount == freeSlots.length) {
            freeSlots = java.util.Arrays.copyOf(freeSlots, 2 * freeSlots.length);
        }
        freeSlots[freeCount++] = w.slot;
        w.slot = -1;
    }

    private void run() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 1);
            MemorySegment revents = a.allocate(ValueLayout.JAVA_SHORT, 1);
            MemorySegment msg = a.allocate(ValueLayout.JAVA_LONG, 8);
            MemorySegment faults = a.allocate(ValueLayout.JAVA_LONG, MAX_FAULTS);
            List<Object> polled = new ArrayList<>();
            long lastSweep = System.nanoTime();
            while (true) {
                int ev;
                boolean windows = false;
                polled.clear();
                synchronized (this) {
                    if (conns.isEmpty()) {
                        LazyFaults.close(event);
                        event = -1;
                        reader = null;
                        use(-1);
                        return;
                    }
                    ev = event;
                    for (Conn c : conns) {
                        polled.add(c);
                        windows |= !c.wins.isEmpty();
                    }
                }
                int n = 1 + polled.size();
                if (fds.byteSize() < 4L * n) {
                    fds = a.allocate(ValueLayout.JAVA_INT, 2L * n);
                    revents = a.allocate(ValueLayout.JAVA_SHORT, 2L * n);
                }
                fds.setAtIndex(ValueLayout.JAVA_INT, 0, ev);
                for (int i = 0; i < polled.size(); i++) {
                    fds.setAtIndex(ValueLayout.JAVA_INT, i + 1, ((Conn) polled.get(i)).sock);
                }
                // A descriptor closed meanwhile by remove() reads as POLLNVAL (or another's): each entry is
                // checked against its owner's state before it is used.
                int rc = LazyFaults.poll(fds, n, windows ? TICK_MILLIS : -1, revents);
                if (rc < 0 && rc != -4) {
                    // Out of memory for the poll set, most likely: try again shortly.
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    continue;
                }
                if (rc > 0 && revents.getAtIndex(ValueLayout.JAVA_SHORT, 0) != 0) {
                    LazyFaults.event(ev, true);
                }
                for (int i = 0; rc > 0 && i < polled.size(); i++) {
                    if (revents.getAtIndex(ValueLayout.JAVA_SHORT, i + 1) != 0) {
                        receive((Conn) polled.get(i), msg);
                    }
                }
                if (windows && System.nanoTime() - lastSweep >= TICK_MILLIS * 1_000_000L) {
                    lastSweep = System.nanoTime();
                    for (Win w : windows()) {
                        read(w, faults);
                    }
                }
                expire();
            }
        }
    }

    /** Reads a connection's messages: new windows, unmapped ones, or its end. */
    private void receive(Conn c, MemorySegment msg) {
        while (true) {
            int rc;
            synchronized (this) {
                if (c.closed) {
                    return;
                }
                rc = LazyFaults.directReceive(c.sock, msg);
            }
            if (rc == 0) {
                return;
            }
            if (rc < 0) {
                remove(c);
                return;
            }
            long[] m = msg.toArray(ValueLayout.JAVA_LONG);
            if (m[0] == 1) {
                Win w = new Win(c, m);
                Win old;
                boolean over = false;
                synchronized (this) {
                    if (c.closed) {
                        LazyFaults.close(w.ufd);
                        return;
                    }
                    if (c.wins.size() >= MAX_WINDOWS_HELD && !c.wins.containsKey(w.id)) {
                        over = true;
                        old = null;
                    } else {
                        old = c.wins.put(w.id, w);
                        if (old == null) {
                            held++;
                        }
                        arm(w); // pager threads waiting in next() see its faults from now on
                    }
                }
                if (over) {
                    // Past the bound no zxmem receiver crosses: as for a malformed message, the connection
                    // ends, and the receiver's handler fails its direct windows' touches.
                    LazyFaults.close(w.ufd);
                    remove(c);
                    return;
                }
                if (old != null) {
                    closeWin(old);
                }
                engine.directChanged(); // a pager thread waiting without windows polls them now
            } else if (m[0] == 2) {
                Win w;
                synchronized (this) {
                    w = c.wins.remove(m[2]);
                    if (w != null) {
                        held--;
                    }
                }
                if (w != null) {
                    closeWin(w);
                }
            } else {
                // Malformed (a window without its userfaultfd, say): nobody here would serve that window,
                // so the connection ends; the receiver's handler then fails its touches instead of
                // leaving them waiting.
                remove(c);
                return;
            }
        }
    }

    /** Reads a window's faults; each becomes a page request settled by whoever supplies or fails it. */
    private void read(Win w, MemorySegment buf) {
        int n;
        synchronized (w) {
            if (w.closed) {
                return;
            }
            n = LazyFaults.directFaults(w.ufd, buf, MAX_FAULTS);
        }
        long now = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long at = buf.getAtIndex(ValueLayout.JAVA_LONG, i);
            long address = at & -page;
            if (Long.compareUnsigned(address - w.start, w.length) >= 0) {
                continue; // not the window's: a receiver's mistake, nothing to resolve here
            }
            Fault f = new Fault(w, address, w.timeoutMillis == 0 ? 0 : now + w.timeoutMillis * 1_000_000L);
            w.faults.add(f);
            w.conn.store.serveNeedAsync(w.offset + (address - w.start), page, w.write && (at & 1) != 0, f,
                    status -> settle(f, status));
        }
    }

    /** Fails the faults that waited longer than their receiver's timeout. */
    private void expire() {
        long now = System.nanoTime();
        List<Fault> late = new ArrayList<>();
        synchronized (this) {
            for (Conn c : conns) {
                for (Win w : c.wins.values()) {
                    for (Fault f : w.faults) {
                        if (f.deadline != 0 && now - f.deadline >= 0) {
                            late.add(f);
                        }
                    }
                }
            }
        }
        for (Fault f : late) {
            f.win.conn.store.forgetAsync(f);
            settle(f, Status.ERR_TIMED_OUT.value());
        }
    }

    /**
     * Supplies fault {@code f}'s page with {@code src} (one page) straight into the receiver's window:
     * one {@code UFFDIO_COPY} fills the shared file, maps the page there and wakes the toucher, where
     * writing the file and then {@link #settle settling} costs a page fault in each process and two more
     * system calls. The fault is then resolved: its later settling does nothing.
     *
     * @return whether the VMO's file has the page now (else the caller writes it: the fault may still be
     *         resolved, by a copy the receiver kept for itself, and is settled as usual)
     */
    boolean copy(Fault f, MemorySegment src) {
        Win w = f.win;
        int rc;
        synchronized (w) {
            if (w.closed || f.done.get()) {
                return false;
            }
            rc = LazyFaults.directCopy(w.ufd, f.address, src, w.conn.file,
                    w.fileOffset(f.address));
        }
        if (rc < 0) {
            return false; // a page was there, or the receiver is going: the usual way resolves it
        }
        // Woken: whoever settles the fault later (a timeout, this supply's own answer) finds it done.
        if (f.done.compareAndSet(false, true)) {
            w.faults.remove(f);
        }
        return rc == 0;
    }

    /**
     * Resolves a fault once: the page is in the shared file (status 0), or the access fails (SIGBUS
     * there) by UFFDIO_POISON, or by the receiver's own handler where the kernel has no POISON.
     */
    private void settle(Fault f, int status) {
        if (!f.done.compareAndSet(false, true)) {
            return;
        }
        Win w = f.win;
        w.faults.remove(f);
        boolean failHere;
        synchronized (w) {
            if (w.closed) {
                return;
            }
            if (status == 0) {
                LazyFaults.directResolve(w.ufd, f.address, page, false, w.conn.file,
                        w.fileOffset(f.address));
                return;
            }
            failHere = !w.poison || LazyFaults.directResolve(w.ufd, f.address, page, true, -1, 0) != 0;
        }
        if (failHere) {
            synchronized (this) {
                if (!w.conn.closed) {
                    LazyFaults.directFail(w.conn.sock, w.id, f.address, page);
                }
            }
        }
    }

    private void use(int delta) {
        users += delta;
        if (users == 0) {
            closeSet();
        }
    }

    /** Closes the epoll set (its entries go with it) and the wake-up. Caller holds this server's lock. */
    private void closeSet() {
        if (ep >= 0) {
            LazyFaults.close(ep);
            ep = -1;
            for (int i = 0; i < slotTop; i++) {
                if (slots[i] != null) {
                    slots[i].slot = -1;
                    slots[i] = null;
                }
            }
            slotTop = 0;
            freeCount = 0;
        }
        if (pollWake >= 0) {
            LazyFaults.close(pollWake);
            pollWake = -1;
        }
        signaled = false;
        stale = 0;
    }

    /**
     * Makes the wake-up and the epoll set if there are none, the set with every window in it. Caller
     * holds this server's lock. @return false when a descriptor is missing (none left: EMFILE)
     */
    private boolean openSet() {
        if (ep >= 0) {
            return true;
        }
        if (pollWake < 0) {
            int e = LazyFaults.eventfd();
            if (e < 0) {
                return false;
            }
            pollWake = e;
        }
        int set = LazyFaults.epoll();
        if (set >= 0 && LazyFaults.epollCtl(set, true, pollWake, WAKE) != 0) {
            LazyFaults.close(set);
            set = -1;
        }
        if (set < 0) {
            if (users == 0) {
                LazyFaults.close(pollWake);
                pollWake = -1;
            }
            return false;
        }
        ep = set;
        epEpoch++;
        for (Conn c : conns) {
            for (Win w : c.wins.values()) {
                arm(w);
            }
        }
        return true;
    }

    /** @return every window, a snapshot */
    private synchronized List<Win> windows() {
        List<Win> all = new ArrayList<>();
        for (Conn c : conns) {
            all.addAll(c.wins.values());
        }
        return all;
    }

    /** @return whether some receiver's window is served here (a pager thread then polls in next()) */
    boolean hasWindows() {
        return held > 0;
    }

    /** Wakes the pager threads polling in {@link #pollFaults} (a request was queued, the pager closed, an interrupt). */
    synchronized void wakePollers() {
        if (pollWake >= 0) {
            LazyFaults.event(pollWake, false);
            signaled = true;
            wakeSeq++;
            stale = waiting;
        }
    }

    /** @return the windows held now (tests) */
    synchronized int windowCount() {
        int n = 0;
        for (Conn c : conns) {
            n += c.wins.size();
        }
        if (n != held) {
            throw new AssertionError("windows held " + n + ", counted " + held);
        }
        return n;
    }

    /** @return the windows dropped so far because their userfaultfd reported an error (tests) */
    synchronized long droppedWindows() {
        return dropped;
    }

    /** @return the pager threads waiting in {@link #pollFaults} now (tests wait for one) */
    synchronized int waiting() {
        return waiting;
    }

    /**
     * A pager thread waiting in {@code next} waits here instead of on the engine's condition: on the
     * windows' userfaultfds and a wake-up for locally queued requests. A fault wakes this very thread,
     * which turns it into the request it is about to return, so a first touch costs two wake-ups (the
     * pager thread's, then the toucher's when {@code supplyPages} resolves it), as a C pager's does.
     * An interrupt of the thread ends the wait. Called without the engine's lock.
     *
     * @param millis how long to wait at most
     * @param polled runs once the wait returned, before the faults are read
     * @return false when this thread cannot poll (no descriptor left for the set or its wake-up)
     */
    boolean pollFaults(int millis, Runnable polled) {
        int set;
        long seq;
        synchronized (this) {
            if (!openSet()) {
                return false;
            }
            set = ep;
            use(1);
            waiting++;
            seq = wakeSeq;
        }
        Buffers b = BUFFERS.get();
        int n;
        int k = 0;
        boolean left = false;
        try {
            interrupts.enter();
            try {
                n = LazyFaults.epollWait(set, b.events, MAX_EVENTS, millis);
            } finally {
                interrupts.leave();
            }
            polled.run();
            synchronized (this) {
                leave(seq);
                left = true;
                for (int i = 0; i < n; i++) {
                    long token = b.events.getAtIndex(ValueLayout.JAVA_LONG, 2L * i);
                    int slot = (int) token;
                    if (token == WAKE || slot < 0 || slot >= slotTop) {
                        continue;
                    }
                    Win w = slots[slot];
                    if (w != null && w.token == token) {
                        b.ready[k] = w;
                        b.bits[k++] = (int) b.events.getAtIndex(ValueLayout.JAVA_LONG, 2L * i + 1);
                    }
                }
                use(-1);
            }
            for (int i = 0; i < k; i++) {
                Win w = b.ready[i];
                b.ready[i] = null;
                if ((b.bits[i] & EPOLLERR_OR_HUP) != 0) {
                    // Level-triggered, such a window would wake every waiter at once, for ever.
                    drop(w);
                } else {
                    read(w, b.faults);
                }
            }
            return n >= 0;
        } finally {
            if (!left) {
                synchronized (this) {
                    leave(seq);
                    use(-1);
                }
            }
            for (int i = 0; i < k; i++) {
                b.ready[i] = null;
            }
        }
    }

    /** A pager thread's wait ended: the wake-up drains once no waiter it was meant for is left. Caller holds the lock. */
    private void leave(long seq) {
        waiting--;
        if (seq != wakeSeq) {
            stale--;
        }
        if (signaled && stale == 0) {
            LazyFaults.event(pollWake, true);
            signaled = false;
        }
    }
}
