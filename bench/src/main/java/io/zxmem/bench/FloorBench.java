package io.zxmem.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Fixed costs that explain the other benchmarks' numbers; no zxmem call, nothing to compare with a
 * goal. {@code c_nop} is the price of one Java-to-C downcall (included once in every {@code c_*}
 * result); the arena pair shows what revocable mapping segments cost per mapping.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FloorBench {
    private static final MethodHandle NOP = CHarness.function("zxb_nop", FunctionDescriptor.ofVoid());

    /** An empty C function called through FFM. */
    @Benchmark
    public void c_nop() throws Throwable {
        NOP.invokeExact();
    }

    /** Open and close an empty shared arena: closing one makes every thread pass a handshake. */
    @Benchmark
    public void java_arena_sharedOpenClose(Blackhole bh) {
        Arena arena = Arena.ofShared();
        bh.consume(arena);
        arena.close();
    }

    /**
     * Open a shared arena, allocate 4 KiB in it, write one byte, close it: what a mapping's segment
     * costs when the thread that closes the arena has just used one of its segments.
     */
    @Benchmark
    public void java_arena_sharedTouchClose() {
        Arena arena = Arena.ofShared();
        arena.allocate(4096).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        arena.close();
    }

    /** Open and close an empty confined arena: no handshake, for contrast. */
    @Benchmark
    public void java_arena_confinedOpenClose(Blackhole bh) {
        Arena arena = Arena.ofConfined();
        bh.consume(arena);
        arena.close();
    }
}
