package io.zxmem;

import io.zxmem.internal.ChannelObject;
import io.zxmem.internal.KernelObject;
import io.zxmem.internal.Pages;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.VmoObject;
import io.zxmem.internal.SliceStore;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import io.zxmem.spi.ChannelTransport;
import io.zxmem.spi.MemfdStore;
import io.zxmem.spi.SharedFile;
import io.zxmem.spi.TransferredHandle;

/**
 * Turns handles into what travels between processes and back: the core half of a channel transfer.
 * What may travel: paged VMOs whose bytes are one file right now, and channel endpoints.
 */
final class Transfers {
    private Transfers() {}

    /** A handle taken out of the sender's hands by {@link Handle#consume}: one object reference and its rights. */
    record Taken(KernelObject object, int rights) {}

    static TransferredHandle export(String op, int index, Taken t) {
        if (t.object() instanceof VmoObject v) {
            return exportVmo(op, index, v, t.rights());
        }
        if (t.object() instanceof ChannelObject c) {
            return TransferredHandle.channel(t.rights(), c.endpoint().fd());
        }
        throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "handle " + index + " is a "
                + t.object().getClass().getSimpleName() + ", which cannot leave the process");
    }

    private static TransferredHandle exportVmo(String op, int index, VmoObject v, int rights) {
        String what = "handle " + index + " (VMO " + v.koid() + ")";
        if (v.kind() != VmoObject.KIND_PAGED) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, what + " is a physical VMO, which cannot be shared");
        }
        if (v.isDiscardable()) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, what + " is discardable; its lock state cannot be shared");
        }
        // A slice travels as a window of the file of the VMO whose pages it shows.
        VmoObject base = v;
        while (base.isSlice()) {
            base = base.parent();
        }
        long window = v.chainOffset() - base.chainOffset();
        // Under the exclusive lock: a copy-on-write cut of the same VMO is either wholly before the
        // export (its child then takes its pages first) or wholly after (it sees a shared file).
        int fd = base.withStoreExclusive(s -> new Exported(s instanceof SharedFile f ? f.sharedFd() : -1)).fd;
        if (fd < 0) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, what + ": its bytes are not one file that another"
                    + " process can map (a VMO larger than 2^62 bytes)");
        }
        SharedFile f = (SharedFile) base.store();
        return new TransferredHandle(TransferredHandle.TYPE_VMO, rights, fd, f.sharedOffset() + window,
                v.size(), v.contentSize(), v.options() & Vmo.RESIZABLE, v.name(), f);
    }

    /**
     * Makes a handle of this process from a received one. Takes ownership of its descriptor: on
     * failure the descriptor is closed.
     */
    static Handle adopt(ChannelTransport transport, TransferredHandle t) {
        switch (t.type()) {
            case TransferredHandle.TYPE_VMO -> {
                return adoptVmo(t);
            }
            case TransferredHandle.TYPE_CHANNEL -> {
                return new Channel(new ChannelObject(transport.adopt(t.fd())), t.rights());
            }
            default -> {
                closeQuietly(t.fd());
                throw new ZxException(Status.ERR_IO, "channel.read: received a handle of unknown type " + t.type());
            }
        }
    }

    /**
     * A received VMO: the memfd adopted as a store. A window of a larger file (a slice on the sending
     * side) becomes a slice of a VMO over the whole file, which no handle of this process names.
     */
    private static Vmo adoptVmo(TransferredHandle t) {
        boolean writable = (t.rights() & Rights.WRITE) != 0;
        long page = Pages.size();
        long fileSize = t.size();
        MemfdStore store;
        try {
            if (t.fileOffset() != 0) {
                fileSize = Ranges.ceil(fileSize(t.fd()), page);
            }
            store = new MemfdStore("zxmem-vmo", t.fd(), fileSize, page, writable);
        } catch (RuntimeException e) {
            closeQuietly(t.fd());
            throw e;
        }
        // From here the store owns the descriptor.
        if (t.fileOffset() == 0) {
            VmoObject obj = new VmoObject(store, VmoObject.KIND_PAGED, t.options() & Vmo.RESIZABLE, t.size(),
                    t.contentSize(), Vmo.CACHE_CACHED, null);
            obj.setName(t.name());
            return new Vmo(obj, t.rights());
        }
        VmoObject whole = new VmoObject(store, VmoObject.KIND_PAGED, 0, fileSize, fileSize, Vmo.CACHE_CACHED, null);
        try {
            whole.setName(t.name());
            VmoObject slice = new VmoObject(new SliceStore(whole, t.fileOffset()), VmoObject.KIND_PAGED, 0, t.size(),
                    t.contentSize(), Vmo.CACHE_CACHED, whole);
            slice.markChild(Vmo.CHILD_SLICE, t.fileOffset());
            slice.setName(t.name());
            return new Vmo(slice, t.rights());
        } finally {
            whole.release(); // the slice holds the whole-file VMO alive
        }
    }

    private static long fileSize(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Linux.STAT);
            LibC.get().fstat(fd, st);
            return st.get(ValueLayout.JAVA_LONG, Linux.STAT.byteOffset(MemoryLayout.PathElement.groupElement("st_size")));
        }
    }

    static void closeQuietly(int fd) {
        try {
            LibC.get().close(fd);
        } catch (RuntimeException ignored) {
            // Already closed, or EIO on close: the descriptor is gone either way.
        }
    }

    private record Exported(int fd) implements VmoObject.StoreSwap {
        @Override
        public io.zxmem.spi.PageStore replacement() {
            return null;
        }
    }
}
