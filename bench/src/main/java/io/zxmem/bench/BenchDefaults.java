package io.zxmem.bench;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The settings every zxmem benchmark runs with unless the command line overrides them: average time,
 * one fork, 3 warm-up and 5 measurement iterations of 1 s; modest, because the machines running
 * them have 2 cores shared with other work. Benchmark classes extend this (JMH reads these
 * annotations from superclasses) and add {@code @State} and {@code @OutputTimeUnit}.
 *
 * <p>Name benchmark methods for {@code bench/report.py}: {@code zx_OP[_VARIANT]} for zxmem, compared
 * with {@code c_OP_VARIANT} (else {@code c_OP}) in the same class and with every {@code java_OP_*};
 * any other name appears in the raw table only. C functions go in {@code bench/src/main/c/} (every
 * {@code .c} file there is built into {@code libzxbench.so}) and are bound with {@link CHarness}.
 *
 * <p>The forked JVMs get {@code --enable-native-access=ALL-UNNAMED} through {@code jvmArgsPrepend},
 * so that {@code -jvmArgsAppend} stays free for profiling flags on the command line.
 */
@BenchmarkMode(Mode.AverageTime)
@Fork(value = 1, jvmArgsPrepend = "--enable-native-access=ALL-UNNAMED", jvmArgs = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class BenchDefaults {
}
