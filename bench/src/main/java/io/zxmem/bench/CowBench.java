package io.zxmem.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Snapshot creation of a fully committed 64 MiB VMO ({@code zx_vmo_create_child(SNAPSHOT)} + close),
 * unmapped and mapped, on zxmem's save-before-write engine (modules/cow README: the child is an empty
 * memfd, the cut write-protects the source's windows in one native call), next to the C baselines:
 * {@code c_snapshot_uffd} (an empty child memfd, {@code UFFDIO_WRITEPROTECT} of the mapped 64 MiB,
 * unprotect, close) and {@code c_snapshot} (the hidden-parent remap of the old engine), and to
 * zxmem's eager copy ({@code zx_snapshot_copy}, the fallback without userfaultfd).
 * Goal: independent of the committed bytes on every path.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CowBench extends BenchDefaults {
    @Param({"67108864"})
    public long size;

    private Vmo parent;
    private MemorySegment ctx;
    private Vmo mappedParent;
    private Mapping mapping;
    private MemorySegment uffdCtx;

    @Setup(Level.Trial)
    public void setup() throws Throwable {
        parent = Vmo.create(size);
        mappedParent = Vmo.create(size);
        mapping = mappedParent.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, size);
        MemorySegment ms = mapping.segment();
        for (long off = 0; off < size; off += Zx.pageSize()) {
            ms.set(JAVA_BYTE, off, (byte) 1);
        }
        uffdCtx = CowNative.setup(size);
        CHarness.check("zxb_uffd_setup", (int) CowNative.UFFD_SETUP.invokeExact(uffdCtx));

        byte[] chunk = new byte[1 << 20];
        for (int i = 0; i < chunk.length; i += (int) Zx.pageSize()) {
            chunk[i] = 1;
        }
        for (long off = 0; off < size; off += chunk.length) {
            parent.write(chunk, off);
        }
        ctx = CowNative.setup(size);
    }

    @TearDown(Level.Trial)
    public void teardown() {
        parent.close();
        CowNative.teardown(ctx);
        mapping.close();
        mappedParent.close();
        CowNative.teardown(uffdCtx);
    }

    /** One snapshot of {@code from}, closed again; its koid keeps the work observable. */
    private long snapshotAndClose(Vmo from) {
        try (Vmo c = from.createChild(Vmo.CHILD_SNAPSHOT, 0, size)) {
            return c.koid();
        }
    }

    @Benchmark
    public long zx_snapshot() {
        return snapshotAndClose(parent);
    }

    /** The same through the eager copy (the fallback where userfaultfd is refused): what the lazy cut saves. */
    @Benchmark
    public long zx_snapshot_copy() {
        System.setProperty("zxmem.cow.eager", "true");
        try {
            return snapshotAndClose(parent);
        } finally {
            System.clearProperty("zxmem.cow.eager");
        }
    }

    /**
     * A snapshot of a MAPPED 64 MiB VMO: the cut write-protects its window (one native call); closing
     * the child drops it from the source (the protection is lifted page by page by later faults, or
     * stays until then). Next to {@link #c_snapshot_uffd}.
     */
    @Benchmark
    public long zx_snapshot_mapped() {
        return snapshotAndClose(mappedParent);
    }

    /** C: an empty child memfd, UFFDIO_WRITEPROTECT over the mapped 64 MiB, then unprotect and close. */
    @Benchmark
    public int c_snapshot_uffd() throws Throwable {
        int rc = (int) CowNative.UFFD_SNAPSHOT.invokeExact(uffdCtx);
        CHarness.check("zxb_uffd_snapshot", rc);
        return rc;
    }

    @Benchmark
    public int c_snapshot() throws Throwable {
        int rc = (int) CowNative.HIDDEN_SNAPSHOT.invokeExact(ctx);
        CHarness.check("zxb_hidden_snapshot", rc);
        return rc;
    }

    /**
     * First write to each page, on each side of a snapshot. Child side ({@code zx_fault_snapshot},
     * {@code zx_fault_atleastonwrite}): a write through the child's mapping to a page it has not saved
     * is a userfaultfd missing fault, the native handler {@code pread}s the original and
     * {@code UFFDIO_COPY}s it in; {@code zx_fault_write}: the same through {@code vmo.write}. Parent
     * side ({@code zx_fault_parent_uffd}): a write-protect fault, the handler copies the original into
     * the child's memfd and unprotects. Next to the C userfaultfd write-protect round trip
     * ({@code c_fault_uffd}) and the kernel MAP_PRIVATE COW fault ({@code c_fault}, for scale).
     * Each operation = one page; the child's creation and close are amortised over 256 pages.
     */
    @State(Scope.Thread)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public static class FirstWrite extends BenchDefaults {
        static final int PAGES = 256;
        private final long page = Zx.pageSize();
        private final long size = PAGES * page;
        private Vmo parent;
        private MemorySegment ctx;
        private MemorySegment uffdCtx;
        private Vmo mappedParent;
        private Mapping mapping;
        private MemorySegment mappedSegment;

        @Setup(Level.Trial)
        public void setup() throws Throwable {
            parent = Vmo.create(size);
            for (long off = 0; off < size; off += page) {
                parent.write(new byte[] {1}, off);
            }
            ctx = CowNative.setup(size);
            uffdCtx = CowNative.setup(size);
            CHarness.check("zxb_uffd_setup", (int) CowNative.UFFD_SETUP.invokeExact(uffdCtx));
            mappedParent = Vmo.create(size);
            mapping = mappedParent.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, size);
            mappedSegment = mapping.segment();
            for (long off = 0; off < size; off += page) {
                mappedSegment.set(JAVA_BYTE, off, (byte) 1);
            }
        }

        @TearDown(Level.Trial)
        public void teardown() {
            parent.close();
            CowNative.teardown(ctx);
            CowNative.teardown(uffdCtx);
            mapping.close();
            mappedParent.close();
        }

        private long viaMapping(int kind) {
            try (Vmo c = parent.createChild(kind, 0, size);
                    Mapping m = c.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, size)) {
                MemorySegment s = m.segment();
                for (long i = 0; i < PAGES; i++) {
                    s.set(JAVA_BYTE, i * page + 1, (byte) 7);
                }
                return m.address();
            }
        }

        @Benchmark
        @org.openjdk.jmh.annotations.OperationsPerInvocation(PAGES)
        public long zx_fault_snapshot() {
            return viaMapping(Vmo.CHILD_SNAPSHOT);
        }

        @Benchmark
        @org.openjdk.jmh.annotations.OperationsPerInvocation(PAGES)
        public long zx_fault_atleastonwrite() {
            return viaMapping(Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE);
        }

        @Benchmark
        @org.openjdk.jmh.annotations.OperationsPerInvocation(PAGES)
        public long zx_fault_write() {
            byte[] one = {7};
            try (Vmo c = parent.createChild(Vmo.CHILD_SNAPSHOT, 0, size)) {
                for (long i = 0; i < PAGES; i++) {
                    c.write(one, i * page + 1);
                }
                return c.koid();
            }
        }

        /**
         * The parent's first write to each page after a snapshot of it while mapped (the userfaultfd
         * path): one write-protect fault per page, the native handler copies the original into the
         * child's memfd and unprotects. Next to {@link #c_fault_uffd}; snapshot and close amortised.
         */
        @Benchmark
        @org.openjdk.jmh.annotations.OperationsPerInvocation(PAGES)
        public long zx_fault_parent_uffd() {
            MemorySegment s = mappedSegment;
            try (Vmo c = mappedParent.createChild(Vmo.CHILD_SNAPSHOT, 0, size)) {
                for (long i = 0; i < PAGES; i++) {
                    s.set(JAVA_BYTE, i * page + 1, (byte) 7);
                }
                return c.koid();
            }
        }

        @Benchmark
        @org.openjdk.jmh.annotations.OperationsPerInvocation(PAGES)
        public int c_fault() throws Throwable {
            int rc = (int) CowNative.PRIVATE_FIRST_WRITE.invokeExact(ctx, (long) PAGES);
            CHarness.check("zxb_private_first_write", rc);
            return rc;
        }

        @Benchmark
        @org.openjdk.jmh.annotations.OperationsPerInvocation(PAGES)
        public int c_fault_uffd() throws Throwable {
            int rc = (int) CowNative.UFFD_FIRST_WRITE.invokeExact(uffdCtx, (long) PAGES);
            CHarness.check("zxb_uffd_first_write", rc);
            return rc;
        }
    }
}
