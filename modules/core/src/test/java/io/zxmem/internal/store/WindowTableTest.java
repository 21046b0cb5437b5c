package io.zxmem.internal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zxmem.Zx;
import io.zxmem.linux.sys.Linux;
import io.zxmem.spi.MappableStore.Window;
import io.zxmem.spi.WatchedFile.Watcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** A store's live windows, as its watcher hears of them, whatever order they are unmapped in. */
class WindowTableTest {
    private static final long P = Zx.pageSize();
    private static final int RW = Linux.PROT_READ | Linux.PROT_WRITE;

    /** Records what it is told: the live windows by address. */
    private static final class Recorder implements Watcher {
        final Set<Long> live = new TreeSet<>();
        final List<String> calls = new ArrayList<>();

        @Override
        public void modifying(long offset, long length) {
        }

        @Override
        public void mapped(long address, long length, long offset) {
            live.add(address);
            calls.add("mapped " + offset);
        }

        @Override
        public void unmapping(long address, long length, long offset) {
            live.remove(address);
            calls.add("unmapping " + offset);
        }

        @Override
        public void exporting() {
        }

        @Override
        public void closing() {
        }
    }

    @Test
    void aWatcherIsToldOfExactlyTheWindowsLeftAfterUnmapsInAnyOrder() {
        MemfdStore store = new MemfdStore("zxmem-window-table", 8 * P, P);
        try {
            List<Window> w = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                w.add(store.mapWindow(i * P, P, RW, 0));
            }
            w.get(2).unmap(); // the middle one
            w.get(4).unmap(); // the newest
            w.get(0).unmap(); // the oldest
            Recorder r = new Recorder();
            store.watch(r);
            assertEquals(Set.of(w.get(1).address(), w.get(3).address()), r.live);
            Window later = store.mapWindow(7 * P, P, RW, 0);
            w.get(3).unmap();
            assertEquals(Set.of(w.get(1).address(), later.address()), r.live);
            w.get(1).unmap();
            later.unmap();
            assertEquals(Set.of(), r.live);
            assertEquals(sorted(List.of("mapped " + P, "mapped " + 3 * P), List.of("mapped " + 7 * P, "unmapping " + 3 * P,
                    "unmapping " + P, "unmapping " + 7 * P)), sorted(r.calls.subList(0, 2), r.calls.subList(2, 6)));
        } finally {
            store.close();
        }
    }

    /** The watcher hears of existing windows in no set order: sort that part only. */
    private static List<String> sorted(List<String> existing, List<String> rest) {
        List<String> l = new ArrayList<>(existing);
        l.sort(null);
        l.addAll(rest);
        return l;
    }
}
