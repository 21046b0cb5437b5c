package io.zxmem.examples.lazyfile;

import io.zxmem.Channel;
import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The user's side: receives the lazy VMO from the server's JVM, reads a few pages and maps one, and
 * reports what it saw and how much memory that cost (committed bytes: only the pages touched).
 */
public final class LazyFileClient {
    private LazyFileClient() {}

    /** {@code LazyFileClient SOCKET OFFSET...}: prints one line per offset, then the memory used. */
    public static void main(String[] args) {
        long page = Zx.pageSize();
        try (Channel ch = Channel.connect(Path.of(args[0])); Vmo vmo = ch.read(Duration.ofSeconds(60)).handle(0, Vmo.class)) {
            System.out.println("received a VMO of " + vmo.size() + " bytes");
            for (int i = 1; i < args.length; i++) {
                long at = Long.parseLong(args[i]);
                byte[] b = new byte[16];
                vmo.read(b, at);
                System.out.println("at " + at + ": " + new String(b, StandardCharsets.ISO_8859_1).replace('\0', '.'));
            }
            // A mapping asks the server for its window first; then it reads at memory speed.
            long at = Long.parseLong(args[1]) / page * page;
            try (Mapping m = vmo.map(Vmar.PERM_READ, at, page)) {
                System.out.println("mapped page at " + at + " starts with byte " + m.segment().get(ValueLayout.JAVA_BYTE, 0));
            }
            System.out.println("committed " + vmo.info().committedBytes() + " bytes of " + vmo.size());
        }
    }
}
