package io.zxmem.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** The copy-on-write C baselines of {@code zxbench_cow.c}: a context per trial, one call per operation. */
final class CowNative {
    static final MethodHandle SETUP = CHarness.function("zxb_cow_setup", FunctionDescriptor.of(ADDRESS, JAVA_LONG));
    static final MethodHandle TEARDOWN = CHarness.function("zxb_cow_teardown", FunctionDescriptor.ofVoid(ADDRESS));
    static final MethodHandle HIDDEN_SNAPSHOT = CHarness.function("zxb_hidden_snapshot", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle PRIVATE_FIRST_WRITE =
            CHarness.function("zxb_private_first_write", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    static final MethodHandle UFFD_SETUP = CHarness.function("zxb_uffd_setup", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle UFFD_FIRST_WRITE =
            CHarness.function("zxb_uffd_first_write", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    static final MethodHandle UFFD_SNAPSHOT = CHarness.function("zxb_uffd_snapshot", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle CLONE_OP = CHarness.function("zxb_clone_op",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));

    private CowNative() {}

    static MemorySegment setup(long size) {
        try {
            MemorySegment ctx = (MemorySegment) SETUP.invokeExact(size);
            if (ctx.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("zxb_cow_setup(" + size + ") failed");
            }
            return ctx;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void teardown(MemorySegment ctx) {
        try {
            TEARDOWN.invokeExact(ctx);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
