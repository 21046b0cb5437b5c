package io.zxmem;

import io.zxmem.internal.object.Purger;
import io.zxmem.linux.LinuxException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The program that tests run in a child JVM (see {@link ChildJvm}), for what cannot happen inside the
 * test JVM: refused native access, a low file descriptor limit, a purger watching another PSI file.
 * It prints one line per fact; the test reads them. It uses no JUnit.
 */
public final class TestChild {
    private TestChild() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "native-access" -> nativeAccess();
            case "fd-exhaustion" -> fdExhaustion();
            case "psi" -> psi(Long.parseLong(args[1]), Integer.parseInt(args[2]));
            case "commit" -> commit(args);
            case "late-fault-entry" -> lateFaultEntry(Integer.parseInt(args[1]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static String describe(Throwable t) {
        return t.getClass().getName() + " :: " + t.getMessage();
    }

    /**
     * Runs {@code rounds} of {@link LateFaultRound}; prints the first failures, then one line:
     * {@code ROUNDS n FAILED f AT_CALL a SYNCHRONOUS s LEAKED vmos MAPS m FDS memfds}.
     */
    private static void lateFaultEntry(int rounds) {
        int vmos = Zx.liveVmoCount();
        int fds = memfdCount();
        int maps = TestSupport.vmoMapCount();
        long[] sink = new long[3];
        int failed = 0;
        for (int i = 0; i < rounds; i++) {
            Throwable t = LateFaultRound.round((i & 1) == 0, sink);
            if (t != null && failed++ < 3) {
                System.out.println("FAILURE round " + i + ": " + LateFaultRound.describe(t));
            }
        }
        System.out.println("ROUNDS " + rounds + " FAILED " + failed + " AT_CALL " + sink[LateFaultRound.AT_CALL]
                + " SYNCHRONOUS " + sink[LateFaultRound.SYNCHRONOUS] + " LEAKED " + (Zx.liveVmoCount() - vmos)
                + " MAPS " + (TestSupport.vmoMapCount() - maps) + " FDS " + (memfdCount() - fds));
    }

    /** Descriptors of zxmem memfds (the JVM of a fresh child opens other descriptors lazily, jars among them). */
    private static int memfdCount() {
        Zx.releasePooledMemfds();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().contains("memfd:zxmem");
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Tries zxmem entry points twice each; prints what each attempt threw. */
    private static void nativeAccess() {
        Runnable[] entries = {
            () -> Vmo.create(4096).close(),
            () -> Zx.pageSize(),
            () -> Vmo.create(4096).close(),
        };
        for (int i = 0; i < entries.length; i++) {
            try {
                entries[i].run();
                System.out.println("ATTEMPT " + i + " OK");
            } catch (Throwable t) {
                System.out.println("ATTEMPT " + i + " " + describe(t));
            }
        }
        System.out.println("DONE");
    }

    /** Creates VMOs until the process runs out of descriptors; reports the failure, then recovers. */
    private static void fdExhaustion() {
        // Load the error path's classes now: from a class directory (not a jar) every class load
        // needs a descriptor of its own, and there will be none left when the error happens.
        try (Vmo v = Vmo.create(4096)) {
            v.map(Vmar.PERM_READ, 0, 1L << 60);
        } catch (ZxException warmUp) {
            describe(warmUp.getCause());
            if (warmUp.getCause() instanceof LinuxException le) {
                describe(new IllegalStateException(le.call() + le.errnoName() + le.osMessage()));
            }
        }
        int liveBefore = Zx.liveVmoCount();
        List<Vmo> vmos = new ArrayList<>();
        try {
            for (int i = 0; i < 100_000; i++) {
                vmos.add(Vmo.create(4096));
            }
            System.out.println("NO FAILURE");
        } catch (ZxException e) {
            System.out.println("FAILED after " + vmos.size() + " status=" + e.status());
            System.out.println("MESSAGE " + e.getMessage());
            if (e.getCause() instanceof LinuxException le) {
                System.out.println("CAUSE call=" + le.call() + " errno=" + le.errnoName() + " os=" + le.osMessage());
            } else {
                System.out.println("CAUSE " + e.getCause());
            }
        }
        int live = Zx.liveVmoCount();
        vmos.forEach(Vmo::close);
        try (Vmo v = Vmo.create(4096)) {
            v.write(new byte[] {1}, 0);
            System.out.println("RECOVERED before=" + liveBefore + " live=" + live + " after=" + Zx.liveVmoCount());
        }
    }

    /**
     * Holds an unlocked discardable VMO of {@code bytes} and waits up to {@code seconds} for the
     * purger, watching the PSI file named by {@code zxmem.psi.file}, to discard it.
     */
    private static void psi(long bytes, int seconds) throws InterruptedException {
        try (Vmo v = Vmo.create(bytes, Vmo.DISCARDABLE)) {
            v.lock();
            byte[] ones = new byte[(int) bytes];
            java.util.Arrays.fill(ones, (byte) 1);
            v.write(ones, 0);
            v.unlock();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (Zx.pressureMonitor().equals("not started") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            System.out.println("READY committed=" + v.info().committedBytes() + " monitor=" + Zx.pressureMonitor());
            if (!Zx.pressureMonitor().startsWith("watching")) {
                System.out.println("NO MONITOR");
                return;
            }
            deadline = System.nanoTime() + seconds * 1_000_000_000L;
            while (v.info().committedBytes() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            long committed = v.info().committedBytes();
            System.out.println("EVENTS " + Purger.get().pressureEvents() + " discards=" + Purger.get().discards()
                    + " committed=" + committed);
            if (committed == 0) {
                LockState s = v.lock();
                byte[] back = new byte[(int) bytes];
                v.read(back, 0);
                boolean zero = true;
                for (byte b : back) {
                    zero &= b == 0;
                }
                System.out.println("DISCARDED lock=" + s + " zero=" + zero);
                v.unlock();
            } else {
                System.out.println("NOT DISCARDED monitor=" + Zx.pressureMonitor());
            }
        }
    }

    /** Commits each size of {@code args[1..]} at the start of a fresh 1 GiB VMO; prints what happened. */
    private static void commit(String[] args) {
        for (int i = 1; i < args.length; i++) {
            long size = Long.parseLong(args[i]);
            try (Vmo v = Vmo.create(1L << 30)) {
                try {
                    v.commit(0, size);
                    System.out.println("COMMIT " + size + " OK committed=" + v.info().committedBytes());
                } catch (ZxException e) {
                    System.out.println("COMMIT " + size + " " + e.status() + " committed=" + v.info().committedBytes()
                            + " :: " + e.getMessage());
                }
            }
        }
    }
}
