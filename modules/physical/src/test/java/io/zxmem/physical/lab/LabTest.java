package io.zxmem.physical.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * Physical VMOs on real (emulated) PCI devices: boots the lab's QEMU guest ONCE ({@code lab/lab.sh}),
 * runs {@link LabHarness} in one JVM there, and turns each of its cases into a test; then checks, after
 * the guest powered off, the replies the guest wrote into the ivshmem memory the host shares with it.
 *
 * <p>It fails, never skips, when the lab cannot run: {@code lab.sh} installs QEMU and the guest kernel
 * itself (apt), so a machine that cannot do that is a broken CI machine.
 */
@Tag("lab")
class LabTest {
    static final long MAGIC = LabHarness.MAGIC;
    static final long IVSHMEM_SIZE = 1 << 20;

    /** Every case the harness must report as passed. */
    static final List<String> CASES = List.of(
            "bind.none", "pci.enumerate",
            "sysfs.edu.registers", "sysfs.ivshmem.pattern", "sysfs.ivshmem.write-combining",
            "devmem.edu.registers", "devmem.ivshmem.pattern", "devmem.window",
            "bind.uio", "uio.edu.registers", "uio.edu.by-name", "uio.edu.interrupt", "uio.ivshmem.falls-back-to-sysfs",
            "hugepage.dma.address",
            "bind.vfio", "vfio.edu.registers", "vfio.edu.interrupt.msi", "vfio.edu.interrupt.intx", "vfio.edu.dma",
            "vfio.interrupt.close-wakes-waiter", "vfio.ivshmem.pattern", "vfio.released");
    /** What each backend must have written into ivshmem, read by the host after power-off. */
    static final List<String> REPLIES = List.of("sysfs", "sysfs-wc", "devmem", "uio-then-sysfs", "vfio");

    @TestFactory
    Stream<DynamicTest> physicalVmosOnRealDevices() throws Exception {
        Path root = Path.of(System.getProperty("zx.root", "../..")).toAbsolutePath().normalize();
        Path lab = root.resolve("lab/lab.sh");
        Path work = root.resolve("modules/physical/target/lab");
        Files.createDirectories(work);
        Path ivshmem = work.resolve("ivshmem.bin");
        writePattern(ivshmem);
        String cp = Stream.of("linux/target/classes", "core/target/classes", "physical/target/classes",
                "physical/target/test-classes").map(p -> root.resolve("modules").resolve(p).toString())
                .reduce((a, b) -> a + ":" + b).orElseThrow();
        // C1 only, serial GC, no perf data: the guest JVM runs under TCG (20-40x slower than the host)
        String guest = "java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "
                + "-XX:-UsePerfData -cp " + cp + " " + LabHarness.class.getName();
        ProcessBuilder pb = new ProcessBuilder(lab.toString(), "run", "--ivshmem-file", ivshmem.toString(),
                "--timeout", "480", "--", guest).redirectErrorStream(true);
        pb.environment().put("ZXMEM_LAB_VERBOSE", "1");
        Process p = pb.start();
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(540, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("lab.sh did not return in 540 s");
            }
        } finally {
            p.destroyForcibly();
        }
        Files.writeString(work.resolve("guest-output.txt"), out);
        int rc = p.exitValue();
        Map<String, String> results = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.split(" ", 4);
            if (f.length >= 3 && f[0].equals("CASE")) {
                results.put(f[1], line);
            }
        }
        List<String> replies = replies(ivshmem);
        String tail = out.length() > 4000 ? out.substring(out.length() - 4000) : out;

        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("lab run", () -> {
            assertTrue(out.contains("HARNESS DONE"), "the harness did not finish (lab.sh exit " + rc + "):\n" + tail);
            assertEquals(0, rc, "lab.sh exit status; output:\n" + tail);
        }));
        for (String c : CASES) {
            tests.add(DynamicTest.dynamicTest(c, () -> {
                String line = results.get(c);
                assertTrue(line != null, c + " did not run (lab.sh exit " + rc + "):\n" + tail);
                assertTrue(line.contains(" PASS "), line);
            }));
        }
        tests.add(DynamicTest.dynamicTest("no unexpected cases", () ->
                assertEquals(List.of(), results.keySet().stream().filter(k -> !CASES.contains(k)).sorted().toList())));
        for (String r : REPLIES) {
            tests.add(DynamicTest.dynamicTest("ivshmem reply from " + r + " seen by the host", () ->
                    assertTrue(replies.contains("ZXMEM-PHYS " + r), "replies found: " + replies)));
        }
        return tests.stream();
    }

    /** The host's side of ivshmem: a magic word, then a known pattern, then 64 empty reply slots. */
    static void writePattern(Path file) throws IOException {
        Files.deleteIfExists(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE); Arena a = Arena.ofConfined()) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, IVSHMEM_SIZE, a);
            m.set(ValueLayout.JAVA_LONG, 0, MAGIC);
            for (long i = 1; i < (IVSHMEM_SIZE - 4096) / 8; i++) {
                m.setAtIndex(ValueLayout.JAVA_LONG, i, LabHarness.pattern(i));
            }
            m.force();
        }
    }

    static List<String> replies(Path file) throws IOException {
        byte[] d = Files.readAllBytes(file);
        List<String> found = new ArrayList<>();
        for (int s = 0; s < 64 && d.length >= 4096; s++) {
            int off = d.length - 4096 + 64 * s;
            int end = off;
            while (end < off + 64 && d[end] != 0) {
                end++;
            }
            if (end > off) {
                found.add(new String(d, off, end - off, StandardCharsets.US_ASCII));
            }
        }
        return found;
    }
}
