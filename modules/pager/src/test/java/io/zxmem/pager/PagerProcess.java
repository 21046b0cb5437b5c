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

    /**
     * A started pager process and the VMO it sent.
     *
     * @param link with {@code rawLink}: a bare link to another VMO of the same pager, on which a test
     *             speaks the link's protocol itself (a receiver zxmem did not make); else null
     */
    record Launched(Process process, Vmo vmo, Channel link) {}

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
        return launch(dir, prefix, classPath, pages, dieAt, false);
    }

    /** As above; {@code rawLink}: the process also sends a bare link ({@link Launched#link}). */
    static Launched launch(Path dir, List<String> prefix, String classPath, long pages, long dieAt, boolean rawLink)
            throws Exception {
        Path sock = dir.resolve("pager.sock");
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", classPath, PagerProcess.class.getName(), sock.toString(), Long.toString(pages), Long.toString(dieAt)));
        if (rawLink) {
            cmd.add("rawlink");
        }
        try (ChannelServer server = Channel.listen(sock)) {
            if (!prefix.isEmpty()) {
                Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("pager.log").toFile()).start();
            try (Channel ch = server.accept(Duration.ofSeconds(60))) {
                Message m = ch.read(Duration.ofSeconds(60)); // closing it would close the handle it carries
                Channel link = rawLink ? ch.read(Duration.ofSeconds(60)).handle(0, Channel.class) : null;
                return new Launched(p, m.handle(0, Vmo.class), link);
            } catch (RuntimeException | Error e) {
                p.destroyForcibly().waitFor();
                throw e;
            }
        }
    }

    /**
     * A bare link to a new VMO of {@code pager}'s engine, served as a sent VMO's link is (this process
     * runs on the class path, so the engine is reachable by reflection): the test that receives it is
     * a receiver zxmem did not make.
     */
    private static Channel rawLink(Pager pager, long pages) {
        try {
            java.lang.reflect.Field f = Pager.class.getDeclaredField("pager");
            f.setAccessible(true);
            Object object = f.get(pager);
            java.lang.reflect.Field g = object.getClass().getDeclaredField("engine");
            g.setAccessible(true);
            Engine engine = (Engine) g.get(object);
            PagedStore store = (PagedStore) engine.createStore(0, pages * io.zxmem.Zx.pageSize());
            Channel[] link = Channel.createPair();
            Channel[] spare = Channel.createPair();
            store.serve(link[0], spare[0], () -> {});
            spare[1].close();
            return link[1];
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) {
        long pages = Long.parseLong(args[1]);
        long dieAt = Long.parseLong(args[2]) * io.zxmem.Zx.pageSize();
        try (Channel ch = Channel.connect(Path.of(args[0])); Pager pager = Pager.create();
                Vmo vmo = pager.createVmo(0, pages * io.zxmem.Zx.pageSize())) {
            ch.write(new byte[0], vmo.duplicate(Rights.SAME_RIGHTS));
            if (args.length > 3 && args[3].equals("rawlink")) {
                ch.write(new byte[0], rawLink(pager, pages));
            }
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
