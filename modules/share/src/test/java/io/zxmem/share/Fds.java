package io.zxmem.share;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** Open descriptors of this process, from {@code /proc/self/fd}. */
final class Fds {
    private Fds() {}

    static Set<Integer> open() {
        io.zxmem.Zx.releasePooledMemfds(); // recycled memfds are not leaks
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            Set<Integer> fds = new TreeSet<>();
            s.forEach(p -> {
                try {
                    // Leave out the descriptor of this very listing (it names the directory being listed).
                    if (!Files.readSymbolicLink(p).toString().matches("/proc/\\d+/fd")) {
                        fds.add(Integer.parseInt(p.getFileName().toString()));
                    }
                } catch (IOException closedMeanwhile) {
                    // Not open any more.
                }
            });
            return fds;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A memfd of one page with {@code seals} on it, added to {@code owned} (which the test closes):
     * the file a peer would send.
     */
    static int sealedMemfd(String name, int seals, java.util.Collection<Integer> owned) {
        io.zxmem.linux.sys.LibC c = io.zxmem.linux.sys.LibC.get();
        int fd = c.memfd_create(name, io.zxmem.linux.sys.Linux.MFD_CLOEXEC | io.zxmem.linux.sys.Linux.MFD_ALLOW_SEALING);
        owned.add(fd);
        c.ftruncate(fd, io.zxmem.Zx.pageSize());
        if (seals != 0) {
            c.fcntl(fd, io.zxmem.linux.sys.Linux.F_ADD_SEALS, seals);
        }
        return fd;
    }

    static int count() {
        return open().size();
    }

    /** The one memfd that is open now but was not in {@code before}: what a read just received. */
    static int newMemfd(Set<Integer> before) {
        Set<Integer> now = open();
        now.removeAll(before);
        Integer found = null;
        for (int fd : now) {
            try {
                if (Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString().startsWith("/memfd:")) {
                    if (found != null) {
                        throw new IllegalStateException("more than one new memfd: " + now);
                    }
                    found = fd;
                }
            } catch (IOException gone) {
                // Closed meanwhile (the listing's own directory descriptor): not ours.
            }
        }
        if (found == null) {
            throw new IllegalStateException("no new memfd among " + now);
        }
        return found;
    }
}
