package io.zxmem;

import io.zxmem.internal.object.KoidTable;
import io.zxmem.internal.object.VmObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Snapshots of the live VMOs, for this process and for other processes that opted in.
 *
 * <p>Opting in ({@link Zx#enableInspection()}, or {@code -Dzxmem.inspect=true}) starts a daemon
 * thread serving snapshots on a Unix domain socket, {@code zxmem-inspect-PID.sock} in the temporary
 * directory, readable and writable only by the process's user.
 */
final class Inspection {
    private static Path served;

    private Inspection() {}

    static List<VmoSnapshot> self() {
        List<VmoSnapshot> l = new ArrayList<>();
        for (VmObject v : KoidTable.live()) {
            try {
                l.add(v.snapshot());
            } catch (ZxException destroyedMeanwhile) {
                // The VMO went away while we looked: it is simply not in the snapshot.
            }
        }
        return l;
    }

    static Path socketOf(long pid) {
        return Path.of(System.getProperty("java.io.tmpdir"), "zxmem-inspect-" + pid + ".sock");
    }

    static synchronized Path serve() {
        if (served != null) {
            return served;
        }
        Path path = socketOf(ProcessHandle.current().pid());
        try {
            Files.deleteIfExists(path);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // Best effort: a stale socket is skipped by readers (its process is gone).
                }
            }));
            Thread t = new Thread(() -> accept(server), "zxmem-inspect");
            t.setDaemon(true);
            t.start();
        } catch (IOException e) {
            throw new ZxException(Status.ERR_IO, "zx.enable_inspection: cannot serve on " + path, e);
        }
        served = path;
        return path;
    }

    private static void accept(ServerSocketChannel server) {
        while (true) {
            try (SocketChannel c = server.accept()) {
                StringBuilder b = new StringBuilder();
                for (VmoSnapshot s : self()) {
                    b.append(s.encode()).append('\n');
                }
                b.append("end\n");
                c.write(StandardCharsets.UTF_8.encode(b.toString()));
            } catch (IOException e) {
                // One failed client does not stop the service.
            }
        }
    }

    static List<VmoSnapshot> remote(long pid) {
        Path path = socketOf(pid);
        if (ProcessHandle.of(pid).isEmpty()) {
            throw new ZxException(Status.ERR_NOT_FOUND, "zx.inspect(" + pid + "): no such process");
        }
        if (!Files.exists(path)) {
            throw new ZxException(Status.ERR_NOT_FOUND, "zx.inspect(" + pid + "): the process has not opted in "
                    + "(no " + path + "); start it with -Dzxmem.inspect=true or call Zx.enableInspection()");
        }
        List<VmoSnapshot> l = new ArrayList<>();
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path));
             BufferedReader r = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null && !line.equals("end")) {
                l.add(VmoSnapshot.decode(line));
            }
            if (line == null) {
                throw new ZxException(Status.ERR_IO, "zx.inspect(" + pid + "): the answer was cut short");
            }
        } catch (IOException e) {
            throw new ZxException(Status.ERR_IO, "zx.inspect(" + pid + "): cannot read " + path, new UncheckedIOException(e));
        } catch (IllegalArgumentException e) {
            throw new ZxException(Status.ERR_IO, "zx.inspect(" + pid + "): " + e.getMessage());
        }
        return l;
    }

    /** {@return the pids whose inspection socket exists and whose process is alive} */
    static List<Long> optedIn() {
        List<Long> pids = new ArrayList<>();
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("zxmem-inspect-") && n.endsWith(".sock"))
                    .forEach(n -> {
                        try {
                            long pid = Long.parseLong(n.substring("zxmem-inspect-".length(), n.length() - 5));
                            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                                pids.add(pid);
                            }
                        } catch (NumberFormatException ignored) {
                            // Not ours.
                        }
                    });
        } catch (IOException e) {
            throw new ZxException(Status.ERR_IO, "zx.inspect: cannot list " + System.getProperty("java.io.tmpdir"), e);
        }
        pids.sort(Long::compare);
        return pids;
    }
}
