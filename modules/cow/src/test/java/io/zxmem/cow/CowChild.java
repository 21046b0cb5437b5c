package io.zxmem.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Mapping;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Scenarios that change the whole process (its mapping slots exhausted, its fault handler killed),
 * run in a child JVM started by {@link #run}: the same java, module path and class path as the
 * tests (the test classes patched into io.zxmem.cow, as surefire does).
 */
public final class CowChild {
    static final long P = Zx.pageSize();

    record Result(int exit, String output) {}

    static Result run(Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ProcessHandle.current().info().arguments().orElse(new String[0])) {
            if (a.startsWith("--enable-native-access")) {
                cmd.add(a);
            }
        }
        String modulePath = System.getProperty("jdk.module.path");
        String classPath = System.getProperty("java.class.path");
        if (modulePath != null && !modulePath.isEmpty()) {
            Path testClasses;
            try {
                testClasses = Path.of(CowChild.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
            cmd.addAll(List.of("-p", modulePath, "--patch-module", "io.zxmem.cow=" + testClasses, "--add-modules",
                    "io.zxmem.cow", "--add-reads", "io.zxmem.cow=ALL-UNNAMED", "-cp", classPath, "-m",
                    "io.zxmem.cow/" + CowChild.class.getName()));
        } else {
            cmd.addAll(List.of("-cp", classPath, CowChild.class.getName()));
        }
        if (args[0].equals("mapcount")) {
            // With every mapping slot taken, the JVM itself must not need one: heap committed and
            // touched up front, no JIT code to install, one GC thread.
            cmd.addAll(1, List.of("-Xint", "-XX:+UseSerialGC", "-Xms48m", "-Xmx48m", "-XX:+AlwaysPreTouch"));
        }
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out;
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor();
            return new Result(-1, new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8) + "\n[killed]");
        }
        out = p.getInputStream().readAllBytes();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "mapcount" -> mapCount();
            case "dead" -> dead();
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    /** Fills vm.max_map_count with one-page mappings (alternating protections, so none merge), then cuts. */
    static void mapCount() throws IOException {
        LibC c = LibC.get();
        try (Vmo v = Vmo.create(16 * P); Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 16 * P)) {
            m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 0x34);
            v.write(new byte[] {0x12}, P);
            Vmo earlier = v.createChild(Vmo.CHILD_SNAPSHOT, 0, 16 * P);
            // Warm up every path below (classes loaded, metaspace committed) while slots are left.
            try (Vmo w = v.createChild(Vmo.CHILD_SNAPSHOT, 0, 16 * P); Mapping wm = w.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 16 * P)) {
                wm.segment().get(ValueLayout.JAVA_BYTE, 0);
                w.read(new byte[1], 0);
                v.write(new byte[] {0x12}, P);
            }
            new ZxException(Status.ERR_NO_MEMORY, "warm-up").getMessage();
            String.valueOf(new LinuxException("mmap", 12));
            try {
                throw new ZxException(Status.ERR_NO_MEMORY, "warm-up");
            } catch (ZxException e) {
                e.status();
            }
            long max = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/vm/max_map_count")).get(0).trim());
            // A refused map names the call in a string of several parts: the JDK loads the classes that
            // join such strings at the first one, which a map that succeeds no longer builds.
            String.valueOf(new ZxException(Status.ERR_NO_MEMORY, "vmar.map(vmo_offset=" + Long.toHexString(max)
                    + ", len=" + Long.toHexString(P) + ")", new LinuxException("mmap", 12)));
            MemorySegment[] filler = new MemorySegment[(int) max];
            int filled = 0;
            Vmo child = null;
            Mapping cm = null;
            // Inside the window, no class may load (metaspace would need a slot: the JVM aborts), so
            // outcomes are only recorded there and checked afterwards.
            Status cutStatus = null;
            Status mapStatus = null;
            Status writeStatus = null;
            assertEquals(1, 1);
            assertTrue(true);
            try {
                for (; filled < max; filled++) {
                    try {
                        filler[filled] = c.mmap(MemorySegment.NULL, P, (filled & 1) == 0 ? Linux.PROT_READ : Linux.PROT_NONE,
                                Linux.MAP_PRIVATE | Linux.MAP_ANONYMOUS, -1, 0);
                    } catch (LinuxException e) {
                        break; // ENOMEM: every slot is taken
                    }
                }
                try {
                    child = v.createChild(Vmo.CHILD_SNAPSHOT, 0, 16 * P);
                } catch (ZxException e) {
                    cutStatus = e.status();
                }
                if (child != null) {
                    try {
                        cm = child.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 16 * P);
                    } catch (ZxException e) {
                        mapStatus = e.status();
                    }
                }
                try {
                    v.write(new byte[] {0x56}, 2 * P);
                } catch (ZxException e) {
                    writeStatus = e.status();
                }
            } finally {
                for (int i = 0; i < filled; i++) {
                    c.munmap(filler[i], P);
                }
            }
            System.out.println("filled " + filled + " slots; cut: " + cutStatus + ", map: " + mapStatus + ", write: " + writeStatus);
            for (Status st : new Status[] {cutStatus, mapStatus, writeStatus}) {
                assertTrue(st == null || st == Status.ERR_NO_MEMORY, "a failure other than NO_MEMORY: " + st);
            }
            assertTrue(filled > 1000, "slots filled: " + filled);
            // The parent is intact and keeps working; the earlier child is intact.
            byte[] b = new byte[1];
            v.read(b, 0);
            assertEquals(0x34, b[0]);
            v.read(b, P);
            assertEquals(0x12, b[0]);
            m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 0x78);
            earlier.read(b, 0);
            assertEquals(0x34, b[0]);
            if (child != null) {
                child.read(b, 0);
                assertEquals(0x34, b[0]);
                child.read(b, P);
                assertEquals(0x12, b[0]);
                if (cm != null) {
                    assertEquals(0x34, cm.segment().get(ValueLayout.JAVA_BYTE, 0));
                    cm.close();
                }
                child.close();
            }
            earlier.close();
            v.write(new byte[] {1}, 0);
        }
        System.out.println("MAPCOUNT OK");
    }

    /** Kills the native handler while writers fault: they must be released, and later work must throw. */
    static void dead() throws Exception {
        try (Vmo v = Vmo.create(64 * P); Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 64 * P)) {
            MemorySegment s = m.segment();
            for (int i = 0; i < 64; i++) {
                s.set(ValueLayout.JAVA_BYTE, i * P, (byte) 1);
            }
            Vmo snap = v.createChild(Vmo.CHILD_SNAPSHOT, 0, 64 * P);
            assertEquals(0, Zxuffd.debugKill());
            AtomicBoolean done = new AtomicBoolean();
            Thread writer = new Thread(() -> {
                for (int i = 0; i < 64; i++) {
                    s.set(ValueLayout.JAVA_BYTE, i * P, (byte) 2); // protected pages: faults nobody serves
                }
                done.set(true);
            });
            writer.start();
            writer.join(20_000);
            assertTrue(done.get(), "a writer stayed blocked in a fault after the handler died");
            ZxException e = assertThrows(ZxException.class, () -> snap.read(new byte[1], 0));
            assertEquals(Status.ERR_BAD_STATE, e.status(), e.getMessage());
            e = assertThrows(ZxException.class, () -> v.createChild(Vmo.CHILD_SNAPSHOT, 0, P));
            assertEquals(Status.ERR_BAD_STATE, e.status(), e.getMessage());
            snap.close();
        }
        System.out.println("DEAD OK");
    }
}
