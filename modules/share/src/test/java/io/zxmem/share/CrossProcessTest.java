package io.zxmem.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Channel;
import io.zxmem.ChannelServer;
import io.zxmem.Handle;
import io.zxmem.Mapping;
import io.zxmem.Message;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.io.File;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real JVMs: this one and a {@link ShareChild} started with the same java and the same code.
 * Memory moves between them with zero copies, and the child's kernel enforces the rights.
 */
class CrossProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long P = Zx.pageSize();
    private static final int RO = Rights.DEFAULT_VMO & ~Rights.WRITE;

    @TempDir
    Path dir;
    private ChannelServer server;
    private Process child;
    private Channel ch;
    private Path log;

    /** The class path of this test run, as one list for the child (everything on the class path there). */
    static String classPath() throws URISyntaxException {
        List<String> parts = new ArrayList<>();
        parts.add(Path.of(ShareChild.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        for (String prop : new String[] {"jdk.module.path", "java.class.path"}) {
            String v = System.getProperty(prop);
            if (v != null && !v.isBlank()) {
                for (String p : v.split(File.pathSeparator)) {
                    if (!p.isBlank() && !parts.contains(p)) {
                        parts.add(p);
                    }
                }
            }
        }
        return String.join(File.pathSeparator, parts);
    }

    @BeforeEach
    void startChild() throws Exception {
        Path sock = dir.resolve("parent.sock");
        server = Channel.listen(sock);
        String java = ProcessHandle.current().info().command().orElseThrow();
        log = dir.resolve("child.log");
        child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", classPath(),
                ShareChild.class.getName(), sock.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            ch = server.accept(WAIT);
        } catch (ZxException e) {
            throw new AssertionError("the child did not connect: " + childLog(), e);
        }
    }

    @AfterEach
    void stopChild() throws Exception {
        if (ch != null) {
            ch.close();
        }
        server.close();
        if (!child.waitFor(30, TimeUnit.SECONDS)) {
            child.destroyForcibly().waitFor();
        }
    }

    private String childLog() {
        try {
            return Files.readString(log);
        } catch (Exception e) {
            return "(no child log: " + e + ")";
        }
    }

    private String ask(String command, Handle... handles) {
        ch.write(command.getBytes(StandardCharsets.UTF_8), handles);
        try (Message m = ch.read(WAIT)) {
            return new String(m.data(), StandardCharsets.UTF_8);
        } catch (ZxException e) {
            throw new AssertionError(command + ": " + e.getMessage() + "\nchild log:\n" + childLog(), e);
        }
    }

    @Test
    void bytesWrittenInOneProcessAreReadInTheOtherThroughTheSharedMapping() {
        try (Vmo v = Vmo.create(4 * P); Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 4 * P)) {
            assertEquals("ok", ask("write-mapped " + (P + 3) + " written by the child", v.duplicate(Rights.SAME_RIGHTS)));
            byte[] got = new byte["written by the child".length()];
            MemorySegment.copy(m.segment(), ValueLayout.JAVA_BYTE, P + 3, got, 0, got.length);
            assertEquals("written by the child", new String(got, StandardCharsets.UTF_8));

            assertTrue(ask("hold", v.duplicate(RO)).startsWith("held rights=" + RO));
            m.segment().set(ValueLayout.JAVA_BYTE, 2 * P, (byte) 'L');
            v.write("ive".getBytes(StandardCharsets.UTF_8), 2 * P + 1);
            assertEquals("Live", ask("peek " + 2 * P + " 4"));
        }
    }

    @Test
    void aReadOnlyReceiverCannotWriteThroughZxmemNorRawSystemCalls() {
        try (Vmo v = Vmo.create(4 * P)) {
            v.write("sealed".getBytes(StandardCharsets.UTF_8), 0);
            Map<String, String> r = parse(ask("attack", v.duplicate(RO)));
            System.out.println("read-only receiver's attempts: " + r);
            assertEquals(Integer.toString(RO), r.get("rights"));
            assertEquals("ERR_ACCESS_DENIED", r.get("zx-write"), r.toString());
            assertEquals("ERR_ACCESS_DENIED", r.get("zx-map-write"), r.toString());
            assertEquals("ERR_ACCESS_DENIED", r.get("zx-set-size"), r.toString());
            for (String k : List.of("mmap-shared-write", "pwrite", "ftruncate-grow", "ftruncate-shrink", "punch-hole",
                    "add-seal", "reopened-mmap-shared-write", "reopened-pwrite", "reopened-write", "reopened-ftruncate")) {
                assertEquals("EPERM", r.get(k), k + ": " + r);
            }
            assertNotEquals("ok", r.get("mprotect-readonly-mapping"), r.toString());
            assertEquals("ok", r.get("reopen-rdwr"), "the reopen itself works; the seals are what stop it: " + r);
            assertEquals("sealed", r.get("content"));
            byte[] still = new byte[6];
            v.read(still, 0);
            assertEquals("sealed", new String(still, StandardCharsets.UTF_8));
            v.write("mine".getBytes(StandardCharsets.UTF_8), 0);
        }
    }

    @Test
    void noDescriptorLeaksOnEitherSideAfterTenThousandTransfers() {
        try (Vmo v = Vmo.create(P)) {
            for (int i = 0; i < 200; i++) {
                echo(v);
            }
            int parentBefore = Fds.count();
            String childBefore = ask("fds");
            for (int i = 0; i < 10_000; i++) {
                echo(v);
            }
            assertEquals(parentBefore, Fds.count(), "parent descriptors");
            assertEquals(childBefore, ask("fds"), "child descriptors");
        }
    }

    private void echo(Vmo v) {
        ch.write("echo".getBytes(StandardCharsets.UTF_8), v.duplicate(RO));
        try (Message m = ch.read(WAIT)) {
            assertEquals(1, m.handles().size());
            assertEquals(RO, m.handles().get(0).rights());
        }
    }

    @Test
    void peerClosedWhenTheChildExitsOrDies() throws Exception {
        assertEquals("bye", ask("exit"));
        assertEquals(Status.ERR_PEER_CLOSED, assertThrows(ZxException.class, () -> ch.read(WAIT)).status());
        assertEquals(Status.ERR_PEER_CLOSED, assertThrows(ZxException.class, () -> ch.write(new byte[1])).status());
        assertEquals(0, child.waitFor());
        ch.close();

        // A second child, killed while the parent waits for it.
        startAnother();
        assertTrue(Integer.parseInt(ask("fds")) > 0, "the second child answers");
        child.destroyForcibly();
        assertEquals(Status.ERR_PEER_CLOSED, assertThrows(ZxException.class, () -> ch.read(WAIT)).status());
    }

    private void startAnother() throws Exception {
        server.close();
        startChild();
    }

    private static Map<String, String> parse(String reply) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : reply.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                m.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return m;
    }
}
