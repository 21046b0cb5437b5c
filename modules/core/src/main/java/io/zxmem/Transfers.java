package io.zxmem;

import io.zxmem.internal.object.ChannelObject;
import io.zxmem.internal.object.KernelObject;
import io.zxmem.internal.Os;
import io.zxmem.internal.Pages;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.object.VmObject;
import io.zxmem.internal.object.VmObjectPaged;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import io.zxmem.spi.ChannelTransport;
import io.zxmem.internal.store.MemfdStore;
import io.zxmem.spi.SharedFile;
import io.zxmem.spi.TransferredHandle;

/**
 * Turns handles into what travels between processes and back: the core half of a channel transfer.
 * What may travel: paged VMOs whose bytes are one file right now, and channel endpoints.
 */
final class Transfers {
    private Transfers() {}

    /** The name of a {@code Channel.write} of {@code bytes} bytes and {@code handles} handles, for its failures. */
    static String writeOp(int bytes, int handles) {
        return "channel.write(" + bytes + " bytes, " + handles + " handles)";
    }

    /**
     * Makes the record of one outgoing handle, taken out of the sender's hands by {@link Handle#consume}
     * (one reference to {@code object}) with {@code rights}, handle {@code index} of a write of
     * {@code bytes} bytes and {@code count} handles.
     *
     * @param afterSend gets what the caller must close once the message was sent or the send failed:
     *                  the sender's copy of each pager link's far end. Once the message left, the
     *                  copy in flight is the receiver's; if it never leaves, closing the copy is what
     *                  ends the link (the pager then hears COMPLETE when nothing else holds the VMO)
     */
    static TransferredHandle export(int bytes, int count, int index, KernelObject object, int rights,
            List<Handle> afterSend) {
        if (object instanceof VmObject v) {
            return exportVmo(bytes, count, index, v, rights, afterSend);
        }
        if (object instanceof ChannelObject c) {
            return TransferredHandle.channel(rights, c.endpoint().fd());
        }
        throw Ranges.fail(Status.ERR_NOT_SUPPORTED, writeOp(bytes, count), "handle " + index + " is a "
                + object.getClass().getSimpleName() + ", which cannot leave the process");
    }

    private static TransferredHandle exportVmo(int bytes, int count, int index, VmObject v, int rights,
            List<Handle> afterSend) {
        if (!(v instanceof VmObjectPaged)) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, writeOp(bytes, count), what(index, v) + " is a physical VMO, which cannot be shared");
        }
        if (v.isDiscardable()) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, writeOp(bytes, count), what(index, v) + " is discardable; its lock state cannot be shared");
        }
        // A slice travels as a window of the file of the VMO whose pages it shows.
        VmObject base = v.base();
        long window = v.chainOffset() - base.chainOffset();
        // Under the exclusive lock: a copy-on-write cut of the same VMO is either wholly before the
        // export (its child then takes its pages first) or wholly after (it sees a shared file).
        int fd = base.withStoreExclusive(s -> new Exported(s instanceof SharedFile f ? f.sharedFd() : -1)).fd;
        if (fd < 0) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, writeOp(bytes, count), what(index, v) + ": its bytes are not one file that another"
                    + " process can map (a VMO larger than 2^62 bytes)");
        }
        SharedFile f = (SharedFile) base.store();
        int link = -1;
        if (base.store() instanceof io.zxmem.spi.PagerStore p) {
            // The store exists, so its provider does: find cannot return null here.
            io.zxmem.spi.PagerProvider<Channel> provider = io.zxmem.spi.PagerProvider.find(Channel.class);
            // The memfd alone would show pages not yet supplied as zeros: the receiver also gets a
            // link over which it asks this process's pager for pages (io.zxmem.pager README).
            // The VMO lives while the other process holds the link, as it would while holding a handle.
            Channel[] pair = Channel.createPair();
            link = ((ChannelObject) pair[1].object).endpoint().fd();
            afterSend.add(pair[1]);
            base.retain();
            VmObject held = base;
            provider.serve(p, pair[0], pair[1], held::release);
        }
        return new TransferredHandle(TransferredHandle.TYPE_VMO, rights, fd, f.sharedOffset() + window,
                v.currentSize(), v.contentSize(), v.options() & Vmo.RESIZABLE, v.name(), f, link);
    }

    /** How a failure names the handle; built only when something failed. */
    private static String what(int index, VmObject v) {
        return "handle " + index + " (VMO " + v.koid() + ")";
    }

    /**
     * Makes a handle of this process from a received one. Takes ownership of its descriptor: on
     * failure the descriptor is closed.
     */
    static Handle adopt(ChannelTransport transport, TransferredHandle t) {
        switch (t.type()) {
            case TransferredHandle.TYPE_VMO -> {
                return adoptVmo(transport, t);
            }
            case TransferredHandle.TYPE_CHANNEL -> {
                return new Channel(new ChannelObject(transport.adopt(t.fd())), t.rights());
            }
            default -> {
                closeQuietly(t);
                throw new ZxException(Status.ERR_IO, "channel.read: received a handle of unknown type " + t.type());
            }
        }
    }

    /**
     * A received VMO: the memfd adopted as a store. A window of a larger file (a slice on the sending
     * side) becomes a slice of a VMO over the whole file, which no handle of this process names.
     */
    private static Vmo adoptVmo(ChannelTransport transport, TransferredHandle t) {
        boolean writable = (t.rights() & Rights.WRITE) != 0;
        long page = Pages.size();
        long fileSize = t.size();
        io.zxmem.spi.PageStore store;
        try {
            if (t.fileOffset() != 0) {
                fileSize = Ranges.ceil(t.fileSize() >= 0 ? t.fileSize() : fileSize(t.fd()), page);
            }
            if (t.linkFd() < 0) {
                MemfdStore m = new MemfdStore("zxmem-vmo", t.fd(), fileSize, page, writable);
                transport.adopted(t, m);
                store = m;
            } else {
                store = adoptPagerVmo(transport, t, fileSize, page, writable);
            }
        } catch (RuntimeException e) {
            closeQuietly(t);
            throw e;
        }
        // From here the store owns the descriptor.
        if (t.fileOffset() == 0) {
            return Vmo.own(VmObjectPaged.adopt(store, t.options() & Vmo.RESIZABLE, t.size(), t.contentSize(), t.name()),
                    t.rights());
        }
        VmObject whole = VmObjectPaged.adopt(store, 0, fileSize, fileSize, t.name());
        try {
            return Vmo.own(whole.slice(t.fileOffset(), t.size(), t.contentSize()), t.rights());
        } finally {
            whole.release(); // the slice holds the whole-file VMO alive
        }
    }

    /**
     * A VMO whose pages come from a pager in the sending process: the memfd, and the link over which
     * the pager supplies pages on request. On failure nothing has taken the descriptors: the caller
     * closes both.
     */
    private static io.zxmem.spi.PageStore adoptPagerVmo(ChannelTransport transport, TransferredHandle t, long fileSize,
            long page, boolean writable) {
        io.zxmem.spi.PagerProvider<Channel> pager = io.zxmem.spi.PagerProvider.find(Channel.class);
        if (pager == null) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, "channel.read", "received a pager-backed VMO, which needs the"
                    + " io.zxmem.pager module");
        }
        // Neither constructor below does anything a failure would have to undo: on failure the caller
        // closes both descriptors. The provider's remote store takes both and never fails.
        MemfdStore bytes = new MemfdStore("zxmem-vmo", t.fd(), fileSize, page, writable);
        Channel link = new Channel(new ChannelObject(transport.adopt(t.linkFd())), Channel.DEFAULT_RIGHTS);
        return pager.remote(bytes, link);
    }

    private static long fileSize(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Linux.STAT);
            LibC.get().fstat(fd, st);
            return st.get(ValueLayout.JAVA_LONG, Linux.STAT.byteOffset(MemoryLayout.PathElement.groupElement("st_size")));
        }
    }

    /** Closes the descriptors of a received handle that was not turned into a handle (a closed one is harmless). */
    static void closeQuietly(TransferredHandle t) {
        Os.closeQuietly(t.fd());
        Os.closeQuietly(t.linkFd());
    }

    private record Exported(int fd) implements VmObject.StoreSwap {
        @Override
        public io.zxmem.spi.PageStore replacement() {
            return null;
        }
    }
}
