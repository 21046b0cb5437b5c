package io.zxmem.cow;

import static io.zxmem.linux.sys.Linux.FALLOC_FL_KEEP_SIZE;
import static io.zxmem.linux.sys.Linux.FALLOC_FL_PUNCH_HOLE;
import static io.zxmem.linux.sys.Linux.MAP_ANONYMOUS;
import static io.zxmem.linux.sys.Linux.MAP_FIXED;
import static io.zxmem.linux.sys.Linux.MAP_NORESERVE;
import static io.zxmem.linux.sys.Linux.MAP_PRIVATE;
import static io.zxmem.linux.sys.Linux.MFD_ALLOW_SEALING;
import static io.zxmem.linux.sys.Linux.MFD_CLOEXEC;
import static io.zxmem.linux.sys.Linux.PROT_READ;
import static io.zxmem.linux.sys.Linux.PROT_WRITE;

import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.linux.sys.NativeAccess;
import io.zxmem.spi.PageBitmap;
import io.zxmem.spi.PageStore;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The store of a VMO in a copy-on-write tree: one canonical region of the address space that maps a
 * {@link HiddenNode} {@code MAP_PRIVATE}. The kernel does the copy-on-write: the first write to a page
 * copies it into an anonymous page private to this region (~2.6 us), the node's file never changes.
 *
 * <p>Layout of the region, {@code [0, reserved)}:
 * <ul>
 *   <li>{@code [0, nodeLen)}: the node's file at {@code nodeOff}, {@code MAP_PRIVATE}, except pages in
 *       {@link #detached} (zeroed or decommitted: replaced by anonymous memory, so that they read zero
 *       and never show the node again);</li>
 *   <li>{@code [nodeLen, size)}: anonymous private memory (reads zero, the part past the parent's end
 *       or grown later);</li>
 *   <li>{@code [size, reserved)}: a private mapping of an empty file, so that a touch past the VMO's
 *       end raises SIGBUS (an {@code InternalError} in Java), never SIGSEGV (a JVM crash).</li>
 * </ul>
 * Private pages belong to one mapping only, so every user mapping of this VMO is a view of the
 * canonical region (a {@link View}): all mappings and {@code read}/{@code write} see the same bytes.
 * The region is reserved larger than the VMO so that views past the end and growth fit in place.
 *
 * <p>Locking: as for every {@link PageStore}; the node fields change only under the VMO's exclusive
 * lock (resize, and the cut of a child, which runs under the parent's exclusive lock).
 */
final class CowStore implements PageStore {
    private static final LibC C = LibC.get();
    private static final long PAGE = io.zxmem.Zx.pageSize();
    private static final long SLACK = 64L << 20;
    private static final int MAP_FLAGS = MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE;
    private static volatile int emptyFd = -1;

    private HiddenNode node;
    private long nodeOff;
    private long nodeLen;
    private PageBitmap detached;
    private volatile long size;
    private volatile MemorySegment region;
    private long reserved;
    private final AtomicInteger views = new AtomicInteger();
    /**
     * False while the region is exactly the node's file from {@code nodeOff} (no private page, nothing
     * detached, no anonymous tail): then a cut needs no fold and no copy. Set before anything that
     * could change a page: write, commit, zero, resize, and any view (its writes are invisible to us).
     */
    private volatile boolean dirty;

    /** A store of {@code size} bytes showing {@code node} from {@code nodeOff} for {@code nodeLen} bytes; takes over one node reference. */
    CowStore(HiddenNode node, long nodeOff, long nodeLen, long size) {
        this.node = node;
        this.nodeOff = nodeOff;
        this.nodeLen = nodeLen;
        this.size = size;
        this.detached = new PageBitmap(nodeLen / PAGE);
        this.reserved = reservationFor(size);
        MemorySegment base = C.mmap(MemorySegment.NULL, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, emptyFd(), 0);
        try {
            if (nodeLen != 0) {
                C.mmap(base, nodeLen, PROT_READ | PROT_WRITE, MAP_FLAGS, node.fd, nodeOff);
            }
            if (size > nodeLen) {
                anon(base.address() + nodeLen, size - nodeLen);
            }
        } catch (RuntimeException e) {
            C.munmap(base, reserved);
            node.release();
            throw e;
        }
        this.region = NativeAccess.segment(base, reserved);
        this.dirty = nodeLen != size || node.live;
    }

    private static long reservationFor(long size) {
        return Math.max(2 * size, size + SLACK);
    }

    /** A private mapping of an empty memfd: any touch is past its end, a SIGBUS that Java survives. */
    private static int emptyFd() {
        int fd = emptyFd;
        if (fd < 0) {
            synchronized (CowStore.class) {
                if (emptyFd < 0) {
                    emptyFd = C.memfd_create("zxmem-beyond-end", MFD_CLOEXEC | MFD_ALLOW_SEALING);
                    // Sealed against growth: it stays empty, whoever holds it.
                    C.fcntl(emptyFd, Linux.F_ADD_SEALS, Linux.F_SEAL_GROW | Linux.F_SEAL_SHRINK | Linux.F_SEAL_WRITE
                            | Linux.F_SEAL_SEAL);
                }
                fd = emptyFd;
            }
        }
        return fd;
    }

    private static void anon(long address, long length) {
        C.mmap(MemorySegment.ofAddress(address), length, PROT_READ | PROT_WRITE, MAP_FLAGS | MAP_ANONYMOUS, -1, 0);
    }

    private static void beyondEnd(long address, long length) {
        C.mmap(MemorySegment.ofAddress(address), length, PROT_READ | PROT_WRITE, MAP_FLAGS, emptyFd(), 0);
    }

    private long base() {
        return region.address();
    }

    long size() {
        return size;
    }

    HiddenNode node() {
        return node;
    }

    int viewCount() {
        return views.get();
    }

    @Override
    public void read(long offset, MemorySegment dst, long dstOffset, long length) {
        MemorySegment.copy(region, offset, dst, dstOffset, length);
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, long length) {
        dirty = true;
        MemorySegment.copy(src, srcOffset, region, offset, length);
    }

    @Override
    public void commit(long offset, long length) {
        if (length != 0) {
            dirty = true;
            // A write fault on every page: private copies (or zero pages made private), as on Zircon.
            C.madvise(region.asSlice(offset, length), length, Linux.MADV_POPULATE_WRITE);
        }
    }

    @Override
    public void decommit(long offset, long length) {
        zero(offset, length);
    }

    /**
     * Whole pages are replaced by fresh anonymous memory: they read zero, hold no memory, and never
     * show the node (the parent's old data) again. Partial pages are written with zeros.
     */
    @Override
    public void zero(long offset, long length) {
        if (length == 0) {
            return;
        }
        dirty = true;
        long end = offset + length;
        long first = (offset + PAGE - 1) & -PAGE;
        long last = end & -PAGE;
        if (first >= last) {
            region.asSlice(offset, length).fill((byte) 0);
            return;
        }
        if (offset < first) {
            region.asSlice(offset, first - offset).fill((byte) 0);
        }
        anon(base() + first, last - first);
        long nodeEnd = Math.min(last, nodeLen);
        if (first < nodeEnd) {
            detached.set(first / PAGE, nodeEnd / PAGE - 1);
        }
        if (last < end) {
            region.asSlice(last, end - last).fill((byte) 0);
        }
    }

    /** Bytes of pages private to this store: written, committed, or zero-filled by a write. */
    @Override
    public long committedBytes() {
        BitSet priv = privatePages(0, size);
        return priv.cardinality() * PAGE;
    }

    /**
     * Which pages of {@code [offset, offset+length)} are this region's own anonymous pages, from
     * {@code /proc/self/pagemap}: present (bit 63), not a file page (bit 61) and mapped exclusively
     * (bit 56, which rules out the shared zero page that reads of anonymous memory map).
     */
    private BitSet privatePages(long offset, long length) {
        long pages = length / PAGE;
        BitSet out = new BitSet((int) pages);
        int fd = C.open("/proc/self/pagemap", Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
        try (Arena a = Arena.ofConfined()) {
            int chunk = 4096;
            MemorySegment buf = a.allocate(8L * chunk, 8);
            long vpn = (base() + offset) / PAGE;
            for (long done = 0; done < pages; ) {
                int n = (int) Math.min(chunk, pages - done);
                long got = 0;
                while (got < 8L * n) {
                    long r = C.pread(fd, buf.asSlice(got), 8L * n - got, (vpn + done) * 8 + got);
                    if (r == 0) {
                        break;
                    }
                    got += r;
                }
                for (int i = 0; i < n; i++) {
                    long e = buf.get(ValueLayout.JAVA_LONG, 8L * i);
                    if (e < 0 && (e & (1L << 61)) == 0 && (e & (1L << 56)) != 0) {
                        out.set((int) (done + i));
                    }
                }
                done += n;
            }
        } finally {
            C.close(fd);
        }
        return out;
    }

    /** Pages that show the node (not detached, below nodeLen). */
    private boolean nodeBacked(long page) {
        return page * PAGE < nodeLen && !detached.allSet(page, page);
    }

    /** Private pages, plus node-backed pages where the node's file has data. */
    @Override
    public void forEachData(long offset, long length, Extents action) {
        if (length == 0) {
            return;
        }
        long firstPage = offset / PAGE;
        long lastPage = (offset + length - 1) / PAGE;
        long from = firstPage * PAGE;
        long pages = lastPage - firstPage + 1;
        BitSet data = privatePages(from, pages * PAGE);
        long nodeEnd = Math.min(nodeLen, (lastPage + 1) * PAGE);
        long pos = from;
        while (pos < nodeEnd) {
            long d = C.lseek(node.fd, nodeOff + pos, Linux.SEEK_DATA);
            if (d < 0 || d - nodeOff >= nodeEnd) {
                break;
            }
            long h = C.lseek(node.fd, d, Linux.SEEK_HOLE);
            long hEnd = h < 0 ? nodeEnd : Math.min(h - nodeOff, nodeEnd);
            for (long p = (d - nodeOff) / PAGE; p * PAGE < hEnd; p++) {
                if (!detached.allSet(p, p)) {
                    data.set((int) (p - firstPage));
                }
            }
            pos = hEnd;
        }
        int i = data.nextSetBit(0);
        while (i >= 0) {
            int j = data.nextClearBit(i);
            long s = Math.max(offset, (firstPage + i) * PAGE);
            long e = Math.min(offset + length, (firstPage + j) * PAGE);
            action.accept(s, e - s);
            i = data.nextSetBit(j);
        }
    }

    @Override
    public void resize(long newSize) {
        dirty = true;
        long old = size;
        if (newSize > reserved) {
            grow(reservationFor(newSize));
        }
        if (newSize < old) {
            beyondEnd(base() + newSize, old - newSize);
            if (nodeLen > newSize) {
                nodeLen = newSize;
            }
        } else if (newSize > old) {
            anon(base() + old, newSize - old);
        }
        size = newSize;
    }

    /**
     * Moves the region to a larger reservation, keeping its pages: each of the region's kernel
     * mappings is moved with {@code mremap}, which carries private pages along. Only without views
     * (they hold the old addresses); the caller holds the exclusive lock, so no copy runs.
     */
    private void grow(long newReserved) {
        if (views.get() != 0) {
            throw new ZxException(Status.ERR_NO_MEMORY, "vmo.set_size: a mapped copy-on-write VMO cannot grow past "
                    + reserved + " bytes of address space reserved for it");
        }
        MemorySegment nb = C.mmap(MemorySegment.NULL, newReserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, emptyFd(), 0);
        long ob = base();
        for (long[] vma : vmas(ob, ob + reserved)) {
            C.mremap(MemorySegment.ofAddress(vma[0]), vma[1] - vma[0], vma[1] - vma[0],
                    Linux.MREMAP_MAYMOVE | Linux.MREMAP_FIXED, MemorySegment.ofAddress(nb.address() + vma[0] - ob));
        }
        region = NativeAccess.segment(nb, newReserved);
        reserved = newReserved;
    }

    /** The kernel mappings inside {@code [from, to)}, from /proc/self/maps. */
    private static List<long[]> vmas(long from, long to) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/maps"));
        } catch (IOException e) {
            throw new ZxException(Status.ERR_IO, "vmo.set_size: cannot read /proc/self/maps", e);
        }
        List<long[]> out = new java.util.ArrayList<>();
        for (String l : lines) {
            int dash = l.indexOf('-');
            int sp = l.indexOf(' ');
            long s = Long.parseUnsignedLong(l, 0, dash, 16);
            long e = Long.parseUnsignedLong(l, dash + 1, sp, 16);
            if (Long.compareUnsigned(e, from) > 0 && Long.compareUnsigned(s, to) < 0) {
                out.add(new long[] {Math.max(s, from), Math.min(e, to)});
            }
        }
        return out;
    }

    @Override
    public void discard() {
        zero(0, size);
    }

    /** Views only: see {@link #mapWindow}. */
    @Override
    public MemorySegment map(long offset, long length, int prot, int cachePolicy) {
        throw new UnsupportedOperationException("a copy-on-write store is mapped through views");
    }

    /**
     * A view of the canonical region: private pages belong to one kernel mapping, so a second kernel
     * mapping could not show them. The view's protection cannot differ from the region's (it would
     * break {@code read}/{@code write}); a read-only mapping is enforced by its read-only segment.
     */
    @Override
    public Window mapWindow(long offset, long length, int prot, int cachePolicy) {
        if (Long.compareUnsigned(offset + length, reserved) > 0 || Long.compareUnsigned(offset, reserved) >= 0) {
            throw new ZxException(Status.ERR_NO_MEMORY, "vmar.map: a window ending at " + (offset + length)
                    + " reaches past the " + reserved + " bytes reserved for this copy-on-write VMO");
        }
        dirty = true;
        views.incrementAndGet();
        return new View(base() + offset, length);
    }

    private final class View implements Window {
        private final long address;
        private final long length;

        View(long address, long length) {
            this.address = address;
            this.length = length;
        }

        @Override
        public long address() {
            return address;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public void protect(int prot) {
            // The region stays read-write for read()/write(); the Mapping's segments carry the perms.
        }

        @Override
        public void unmap() {
            views.decrementAndGet();
        }
    }

    /**
     * Prepares this store to be the source of a child cut by {@link #cutChild}: afterwards its region
     * maps its node whole, with no private or detached page, so the node's file is its content. With
     * the node to itself the private pages are folded into the file (cost: the pages written since
     * the last cut); otherwise the content is copied into a new node (cost: the data). The caller
     * holds the exclusive lock and checked that no view exists (a view's writes could race the copy).
     */
    void freeze() {
        if (!dirty) {
            return; // the node's file is the content already: nothing written since the last cut
        }
        if (node.users() == 1 && !node.live) {
            fold();
        } else {
            materialize();
        }
    }

    /** Writes this store's private pages into its node's file and maps the file afresh. */
    private void fold() {
        long need = nodeOff + size;
        if (node.fileSize < need) {
            C.ftruncate(node.fd, need);
            node.fileSize = need;
        }
        BitSet priv = privatePages(0, size);
        long pages = size / PAGE;
        long p = 0;
        while (p < pages) {
            boolean own = priv.get((int) p);
            boolean shown = nodeBacked(p);
            if (own) {
                long q = p;
                while (q < pages && priv.get((int) q)) {
                    q++;
                }
                pwriteAll(node.fd, p * PAGE, (q - p) * PAGE, nodeOff + p * PAGE);
                p = q;
            } else if (!shown) {
                long q = p;
                while (q < pages && !priv.get((int) q) && !nodeBacked(q)) {
                    q++;
                }
                C.fallocate(node.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, nodeOff + p * PAGE, (q - p) * PAGE);
                p = q;
            } else {
                p++;
            }
        }
        remapWhole();
    }

    /** Copies the content into a new node of its own (the old node stays with the other stores). */
    private void materialize() {
        int fd = C.memfd_create("zxmem-cow-node", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        try {
            C.ftruncate(fd, size);
            forEachData(0, size, (off, len) -> pwriteAll(fd, off, len, off));
        } catch (RuntimeException e) {
            C.close(fd);
            throw e;
        }
        HiddenNode old = node;
        node = new HiddenNode(fd, size);
        nodeOff = 0;
        remapWhole();
        old.release();
    }

    private void pwriteAll(int fd, long regionOffset, long length, long fileOffset) {
        long done = 0;
        while (done < length) {
            done += C.pwrite(fd, region.asSlice(regionOffset + done, length - done), length - done, fileOffset + done);
        }
    }

    private void remapWhole() {
        if (size != 0) {
            C.mmap(MemorySegment.ofAddress(base()), size, PROT_READ | PROT_WRITE, MAP_FLAGS, node.fd, nodeOff);
        }
        nodeLen = size;
        detached = new PageBitmap(size / PAGE);
        dirty = views.get() != 0 || node.live;
    }

    /**
     * A child of {@code childSize} bytes showing this store's content from {@code offset} up to
     * {@code limit} (then zeros). Call right after {@link #freeze}: both then share the node.
     */
    CowStore cutChild(long offset, long childSize, long limit) {
        long len = Long.compareUnsigned(offset, limit) < 0 ? Math.min(limit - offset, childSize) : 0;
        node.retain();
        return new CowStore(node, nodeOff + offset, len, childSize);
    }

    @Override
    public void close() {
        MemorySegment r = region;
        C.munmap(r, reserved);
        node.release();
    }
}
