package io.zxmem.internal.object;

import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Discards unlocked discardable VMOs: all of them on {@code Zx.reclaimDiscardable()} and when the
 * kernel reports memory pressure, and the least recently unlocked ones while the unlocked total
 * exceeds the configured budget.
 *
 * <p>Pressure comes from a Linux PSI trigger ({@code /proc/pressure/memory}, or the file named by the
 * {@code zxmem.psi.file} property, such as a cgroup's {@code memory.pressure}), watched by a daemon
 * thread that sleeps in {@code poll}. The trigger is {@code zxmem.psi.trigger}, by default
 * {@code "some 300000 2000000"}: 300 ms of stall within two seconds. The window is a multiple of 2 s
 * because Linux (6.5 and later) refuses any other window, with EINVAL, to a process without
 * CAP_SYS_RESOURCE, which is how nearly every process runs (root in a container included).
 *
 * <p>Lock order: the purger's own monitor is never held while a VMO lock is taken, because a VMO
 * calls into the purger while holding its shared lock.
 */
public final class Purger {
    private static final System.Logger LOG = System.getLogger(Purger.class.getName());
    private static final Purger INSTANCE = new Purger();
    static final String DEFAULT_TRIGGER = "some 300000 2000000";

    /** Unlocked, not yet discarded VMOs, least recently unlocked first. */
    private final LinkedHashSet<VmObjectPaged> unlocked = new LinkedHashSet<>();
    private volatile long budget = Long.MAX_VALUE;
    private final AtomicLong pressureEvents = new AtomicLong();
    private final AtomicLong discards = new AtomicLong();
    private volatile String monitorState = "not started";
    private Thread monitor;

    private Purger() {}

    public static Purger get() {
        return INSTANCE;
    }

    synchronized void track(VmObjectPaged vmo) {
        unlocked.add(vmo);
        startMonitor();
    }

    synchronized void untrack(VmObjectPaged vmo) {
        unlocked.remove(vmo);
    }

    synchronized void locked(VmObjectPaged vmo) {
        unlocked.remove(vmo);
    }

    void unlocked(VmObjectPaged vmo) {
        synchronized (this) {
            unlocked.remove(vmo);
            unlocked.add(vmo);
        }
        if (budget != Long.MAX_VALUE) {
            enforceBudget();
        }
    }

    private synchronized List<VmObjectPaged> candidates() {
        return new ArrayList<>(unlocked);
    }

    /** Discards every unlocked discardable VMO. @return how many were discarded */
    public int reclaimAll() {
        int n = 0;
        for (VmObjectPaged v : candidates()) {
            if (discard(v)) {
                n++;
            }
        }
        return n;
    }

    private boolean discard(VmObjectPaged v) {
        boolean done = v.discardIfUnlocked();
        if (done) {
            discards.incrementAndGet();
        }
        synchronized (this) {
            if (!v.unlockedAndKept()) {
                unlocked.remove(v);
            }
        }
        return done;
    }

    /** Discards least recently unlocked VMOs until the committed bytes of the rest fit the budget. */
    void enforceBudget() {
        List<VmObjectPaged> lru = candidates();
        long total = 0;
        long[] committed = new long[lru.size()];
        for (int i = 0; i < lru.size(); i++) {
            try {
                committed[i] = lru.get(i).committedBytes();
            } catch (RuntimeException gone) {
                committed[i] = 0;
            }
            total += committed[i];
        }
        for (int i = 0; i < lru.size() && total > budget; i++) {
            if (discard(lru.get(i))) {
                total -= committed[i];
            }
        }
    }

    public void setBudget(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("budget must be >= 0: " + bytes);
        }
        budget = bytes;
        enforceBudget();
    }

    public long budget() {
        return budget;
    }

    /** @return how many memory-pressure notifications the PSI monitor received */
    public long pressureEvents() {
        return pressureEvents.get();
    }

    /** @return how many VMOs were discarded since the process started */
    public long discards() {
        return discards.get();
    }

    /** @return what the pressure monitor is doing: {@code watching FILE}, or why it is not */
    public String monitorState() {
        return monitorState;
    }

    private void startMonitor() {
        if (monitor != null) {
            return;
        }
        String file = System.getProperty("zxmem.psi.file", "/proc/pressure/memory");
        String trigger = System.getProperty("zxmem.psi.trigger", DEFAULT_TRIGGER);
        monitor = Thread.ofPlatform().daemon().name("zxmem-purger").unstarted(() -> watch(file, trigger));
        monitor.start();
    }

    private void watch(String file, String trigger) {
        LibC c = LibC.get();
        int fd;
        try (Arena a = Arena.ofConfined()) {
            fd = c.open(file, Linux.O_RDWR | Linux.O_NONBLOCK | Linux.O_CLOEXEC, 0);
            MemorySegment t = a.allocateFrom(trigger);
            // The kernel wants the trigger text including its terminating NUL.
            c.write(fd, t, t.byteSize());
        } catch (LinuxException e) {
            monitorState = "no pressure monitor: " + e.getMessage() + " (file " + file + ", trigger '" + trigger
                    + "'; without CAP_SYS_RESOURCE the window must be a multiple of 2 s)";
            LOG.log(System.Logger.Level.DEBUG, monitorState);
            return;
        }
        monitorState = "watching " + file + " (" + trigger + ")";
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfd = a.allocate(Linux.POLLFD);
            while (true) {
                pfd.set(ValueLayout.JAVA_INT, 0, fd);
                pfd.set(ValueLayout.JAVA_SHORT, 4, Linux.POLLPRI);
                pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                if (c.poll(pfd, 1, -1) == 1) {
                    short rev = pfd.get(ValueLayout.JAVA_SHORT, 6);
                    if ((rev & Linux.POLLPRI) != 0) {
                        pressureEvents.incrementAndGet();
                        int n = reclaimAll();
                        LOG.log(System.Logger.Level.DEBUG, "memory pressure: discarded {0} VMOs", n);
                    } else {
                        monitorState = "pressure monitor stopped: poll revents 0x" + Integer.toHexString(rev);
                        return;
                    }
                }
            }
        } catch (RuntimeException e) {
            monitorState = "pressure monitor failed: " + e;
        } finally {
            c.close(fd);
        }
    }
}
