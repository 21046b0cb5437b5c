package io.zxmem.pager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The security boundary of direct faults, end to end: a pager process of <em>another user</em> never
 * gets this process's userfaultfd (which would let it write this process's memory), and a lazy
 * mapping of its VMO still works, through the relay. Needs root (to start the pager as uid 65534 with
 * {@code setpriv}); the unprivileged pass names it as not run.
 */
class PagerOtherUserTest {
    private static final long P = Zx.pageSize();

    @Test
    void aPagerOfAnotherUserGetsTheRelayAndNoUserfaultfd() throws Exception {
        Assumptions.assumeTrue(DirectTrust.ownIds()[0].length > 0 && DirectTrust.ownIds()[0][1] == 0, "needs root");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        Assumptions.assumeTrue(io.zxmem.cow.LazyFaults.mode() > 0, "no userfaultfd engine here: mappings are eager");
        // The build's files may live under /root, which uid 65534 cannot enter: the pager runs from copies.
        Path dir = Files.createTempDirectory("zxmem-other-user");
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            List<String> cp = new ArrayList<>();
            int i = 0;
            for (String part : PagerCrossProcessTest.classPath().split(File.pathSeparator)) {
                Path src = Path.of(part);
                if (!Files.exists(src)) {
                    continue;
                }
                Path dst = dir.resolve("cp" + (i++) + (Files.isDirectory(src) ? "" : ".jar"));
                copy(src, dst);
                cp.add(dst.toString());
            }
            readableByAll(dir);
            PagerProcess.Launched l = PagerProcess.launch(dir,
                    List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
                    String.join(File.pathSeparator, cp), 64, 63);
            Process pager = l.process();
            Vmo vmo = l.vmo();
            try {
                long uffdsBefore = userfaultfds(pager.pid());
                long direct = RemoteStore.DIRECT_WINDOWS.get();
                long relayed = RemoteStore.RELAY_WINDOWS.get();
                try (vmo; Mapping mapping = vmo.map(Vmar.PERM_READ, 0, 64 * P)) {
                    assertEquals(0, RemoteStore.DIRECT_WINDOWS.get() - direct, "direct windows");
                    assertEquals(1, RemoteStore.RELAY_WINDOWS.get() - relayed, "relayed windows");
                    assertArrayEquals(PagerTest.content(3, 1, 1), PagerChild.touch(mapping, 3));
                    assertArrayEquals(PagerTest.content(17, 1, 1), PagerChild.touch(mapping, 17));
                    // The count sees userfaultfds at all: this process holds its engine's and the relay window's.
                    org.junit.jupiter.api.Assertions.assertTrue(userfaultfds(ProcessHandle.current().pid()) > 0);
                    assertEquals(uffdsBefore, userfaultfds(pager.pid()),
                            "userfaultfds the other user's pager process holds after this process mapped and touched");
                }
            } finally {
                pager.destroyForcibly().waitFor();
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** @return how many userfaultfds process {@code pid} holds ({@code /proc/PID/fd}) */
    private static long userfaultfds(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().contains("userfaultfd");
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }

    private static void copy(Path src, Path dst) throws IOException {
        if (!Files.isDirectory(src)) {
            Files.copy(src, dst);
            return;
        }
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path to = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
    }

    private static void readableByAll(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }
}
