package io.zxmem.examples.lazyfile;

import io.zxmem.Channel;
import io.zxmem.ChannelServer;
import io.zxmem.PageRequest;
import io.zxmem.Pager;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * The pager's side of a file-backed lazy VMO: a VMO as large as the file whose pages are read from
 * the file only when someone touches them, here or in the process it was sent to. Pages past the end
 * of the file read zero; a read error fails the request with IO, which the accessor gets as a
 * {@code ZxException}.
 */
public final class LazyFileServer implements AutoCloseable {
    private static final int CHUNK = 1 << 20;
    private final FileChannel file;
    private final Pager pager = Pager.create();
    private final Vmo vmo;
    /**
     * Where the file's bytes land before they are supplied: native memory, which
     * {@link Pager#supplyPages(Vmo, long, MemorySegment)} copies once into the VMO (or straight into
     * the faulting process's mapping), where an aux VMO would cost a write, a copy and a decommit.
     */
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf = arena.allocate(CHUNK, Zx.pageSize());
    private final long page = Zx.pageSize();
    private long pagesServed;

    public LazyFileServer(Path path) throws IOException {
        this.file = FileChannel.open(path, StandardOpenOption.READ);
        this.vmo = pager.createVmo(0, file.size());
        vmo.setName("lazy " + path.getFileName());
    }

    /** @return the pager VMO (this server's handle) */
    public Vmo vmo() {
        return vmo;
    }

    /** @return pages read from the file so far */
    public long pagesServed() {
        return pagesServed;
    }

    /** Sends a read-only handle to the VMO over {@code channel}. */
    public void give(Channel channel) {
        channel.write(new byte[0], vmo.duplicate(Rights.DEFAULT_VMO & ~Rights.WRITE));
    }

    /**
     * Answers one page request if one comes within {@code timeout}.
     *
     * @return whether one came
     */
    public boolean serveOne(Duration timeout) throws IOException {
        PageRequest r;
        try {
            r = pager.next(timeout);
        } catch (ZxException e) {
            if (e.status() == Status.ERR_TIMED_OUT) {
                return false;
            }
            throw e;
        }
        if (r.command() == PageRequest.READ) {
            supply(r);
        }
        return true;
    }

    private void supply(PageRequest r) throws IOException {
        for (long done = 0; done < r.length(); done += CHUNK) {
            int n = (int) Math.min(CHUNK, r.length() - done);
            long at = r.offset() + done;
            ByteBuffer bb = buf.asSlice(0, n).asByteBuffer();
            try {
                while (bb.hasRemaining() && file.read(bb, at + bb.position()) >= 0) {
                    // read on: a short read is not the end of the file
                }
            } catch (IOException e) {
                pager.opRange(Pager.OP_FAIL, vmo, at, r.length() - done, Status.ERR_IO.value());
                return;
            }
            buf.asSlice(bb.position(), n - bb.position()).fill((byte) 0); // past the end of the file
            pager.supplyPages(vmo, at, buf.asSlice(0, n));
        }
        pagesServed += r.length() / page;
    }

    @Override
    public void close() throws IOException {
        vmo.close();
        pager.close();
        file.close();
        arena.close();
    }

    /**
     * {@code LazyFileServer FILE SOCKET}: serves FILE to one client that connects to SOCKET, until
     * the client goes away.
     */
    public static void main(String[] args) throws Exception {
        try (LazyFileServer s = new LazyFileServer(Path.of(args[0]));
                ChannelServer server = Channel.listen(Path.of(args[1]));
                Channel ch = server.accept(Duration.ofSeconds(60))) {
            s.give(ch);
            while (true) {
                s.serveOne(Duration.ofMillis(200));
                try {
                    ch.read(Duration.ZERO).close();
                } catch (ZxException e) {
                    if (e.status() != Status.ERR_TIMED_OUT) {
                        break; // PEER_CLOSED: the client is done
                    }
                }
            }
            System.out.println("served " + s.pagesServed() + " pages of " + s.vmo().size() / s.page);
        }
    }
}
