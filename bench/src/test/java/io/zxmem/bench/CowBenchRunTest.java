package io.zxmem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;

/** Runs every copy-on-write benchmark body once (zxmem and C), so a broken body fails the build, not the bench run. */
class CowBenchRunTest {
    static int runAll(Object bench) throws Exception {
        int n = 0;
        for (Method m : bench.getClass().getDeclaredMethods()) {
            if (m.isAnnotationPresent(org.openjdk.jmh.annotations.Benchmark.class)) {
                m.invoke(bench);
                n++;
            }
        }
        return n;
    }

    @Test
    void cloneBenchmarksRun() throws Exception {
        CloneBench b = new CloneBench();
        b.size = 65536;
        b.setup();
        try {
            assertEquals(18, runAll(b));
            assertEquals(18, runAll(b)); // second round: clones of a parent that has clones behind it
        } finally {
            b.teardown();
        }
    }

    @Test
    void snapshotAndFirstWriteBenchmarksRun() throws Throwable {
        CowBench b = new CowBench();
        b.size = 4 << 20;
        b.setup();
        try {
            assertEquals(5, runAll(b));
        } finally {
            b.teardown();
        }
        CowBench.FirstWrite f = new CowBench.FirstWrite();
        f.setup();
        try {
            assertEquals(7, runAll(f));
        } finally {
            f.teardown();
        }
    }
}
