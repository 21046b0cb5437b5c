package io.zxmem.pager;

import io.zxmem.Channel;
import io.zxmem.PageRequest;
import io.zxmem.Pager;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.ZxException;
import io.zxmem.ChannelServer;
import io.zxmem.Message;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A pager in its own JVM, for the tests where this JVM receives a pager VMO ({@link #launch}): connects to {@code args[0]}, sends a
 * pager VMO of {@code args[1]} pages, and serves READ requests with {@link PagerTest#supply} (seed
 * 1) until the first request for page {@code args[2]}, at which it dies at once (no cleanup).
 */
public final class PagerProcess {
    private PagerProcess() {}

    /** A started pager process and the VMO it sent. */
    record Launched(Process process, Vmo vmo) {}

    /**
     * Starts a pager process and receives its VMO.
     *
     * @param dir       where the socket and the process's log go
     * @param prefix    what runs the JVM (empty, or {@code setpriv ...} for another user, who can then
     *                  connect: the socket is made writable by all)
     * @param classPath the process's class path
     * @param pages     the VMO's size in pages
     * @param dieAt     the page whose first request kills the process
     */
    static Launched launch(Path dir, List<String> prefix, String classPath, long pages, long dieAt) throws Exception {
        Path sock = dir.resolve("pager.sock");
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", classPath, PagerProcess.class.getName(), sock.toString(), Long.toString(pages), Long.toString(dieAt)));
        try (ChannelServer server = Channel.listen(sock)) {
            if (!prefix.isEmpty()) {
                Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("pager.log").toFile()).start();
            try (Channel ch = server.accept(Duration.ofSeconds(60))) {
                Message m = ch.read(Duration.ofSeconds(60)); // closing it would close the handle it carries
                return new Launched(p, m.handle(0, Vmo.class));
            } catch (RuntimeException | Error e) {
                p.destroyForcibly().waitFor();
                throw e;
            }
        }
    }

    public static void main(String[] args) {
        long pages = Long.parseLong(args[1]);
        long dieAt = Long.parseLong(args[2]) * io.zxmem.Zx.pageSize();
        try (Channel ch = Channel.connect(Path.of(args[0])); Pager pager = Pager.create();
                Vmo vmo = pager.createVmo(0, pages * io.zxmem.Zx.pageSize())) {
            ch.write(new byte[0], vmo.duplicate(Rights.SAME_RIGHTS));
            while (true) {
                PageRequest r;
                try {
                    r = pager.next(Duration.ofSeconds(60));
                } catch (ZxException e) {
                    if (e.status() == Status.ERR_TIMED_OUT) {
                        continue;
                    }
                    return;
                }
                if (r.command() != PageRequest.READ) {
                    continue;
                }
                if (r.offset() <= dieAt && dieAt < r.offset() + r.length()) {
                    Runtime.getRuntime().halt(3);
                }
                long p = io.zxmem.Zx.pageSize();
                PagerTest.supply(pager, vmo, r.offset() / p, r.length() / p, 1);
            }
        }
    }
}
