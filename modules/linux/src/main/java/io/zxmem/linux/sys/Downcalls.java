package io.zxmem.linux.sys;

import io.zxmem.linux.LinuxException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds downcall handles and owns the per-thread {@code errno} capture buffers.
 *
 * <p>A handle made by {@link #errno} takes a capture segment as its first argument; the FFM runtime
 * stores {@code errno} there right after the native call returns, before any Java code can run and
 * clobber it. Each thread has its own buffer, so two threads failing at once never see each other's
 * errno. The buffer is read only when the call reported failure.
 */
public final class Downcalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));
    /**
     * The C signature of every non-variadic libc function linked so far: GeneratedBindingsTest holds
     * each one equal to what jextract generated from the header, since a wrong {@code int} for a
     * {@code size_t} links fine and fails only at run time, on some inputs.
     */
    private static final Map<String, FunctionDescriptor> LIBC_SIGNATURES = new ConcurrentHashMap<>();

    private Downcalls() {}

    /** @return this thread's errno capture buffer */
    public static MemorySegment captureBuffer() {
        return CAPTURE.get();
    }

    /** @return the errno stored in a capture buffer by the last call that used it */
    public static int errnoOf(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** A libc function returning {@code ret} and taking {@code args}, with errno capture. */
    public static MethodHandle errno(String name, MemoryLayout ret, MemoryLayout... args) {
        return link(libc(name, FunctionDescriptor.of(ret, args)), FunctionDescriptor.of(ret, args), CAPTURE_ERRNO);
    }

    /**
     * A libc function that may take heap segments ({@code critical(true)}): the GC is held off for the
     * call's duration, so use it only for short, non-blocking calls.
     */
    public static MethodHandle errnoHeap(String name, MemoryLayout ret, MemoryLayout... args) {
        return link(libc(name, FunctionDescriptor.of(ret, args)), FunctionDescriptor.of(ret, args), CAPTURE_ERRNO,
                Linker.Option.critical(true));
    }

    /** A libc function that cannot fail and may take heap segments ({@code critical(true)}, no errno). */
    public static MethodHandle critical(String name, FunctionDescriptor fd) {
        return link(lookup(LIBC, name), fd, Linker.Option.critical(true));
    }

    /** A variadic libc function whose variadic arguments start at {@code firstVariadic}. */
    public static MethodHandle errnoVariadic(String name, int firstVariadic, FunctionDescriptor fd) {
        return link(lookup(LIBC, name), fd, CAPTURE_ERRNO, Linker.Option.firstVariadicArg(firstVariadic));
    }

    /** A libc function that cannot fail (no errno capture). */
    public static MethodHandle plain(String name, FunctionDescriptor fd) {
        return link(libc(name, fd), fd);
    }

    /** A function from another library, with errno capture. */
    public static MethodHandle errno(SymbolLookup lib, String name, FunctionDescriptor fd) {
        return link(lookup(lib, name), fd, CAPTURE_ERRNO);
    }

    /** A function from another library, without errno capture. */
    public static MethodHandle plain(SymbolLookup lib, String name, FunctionDescriptor fd) {
        return link(lookup(lib, name), fd);
    }

    /** @return the libc symbol {@code name}, its signature noted for the generated-bindings test */
    private static MemorySegment libc(String name, FunctionDescriptor fd) {
        LIBC_SIGNATURES.put(name, fd);
        return lookup(LIBC, name);
    }

    /** @return the signatures of the non-variadic libc functions linked so far, by C name */
    static Map<String, FunctionDescriptor> libcSignatures() {
        return Map.copyOf(LIBC_SIGNATURES);
    }

    private static MemorySegment lookup(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError("symbol not found: " + name));
    }

    private static MethodHandle link(MemorySegment symbol, FunctionDescriptor fd, Linker.Option... options) {
        try {
            return LINKER.downcallHandle(symbol, fd, options);
        } catch (IllegalCallerException e) {
            throw NativeAccess.refused(e);
        }
    }

    /** @return the failure of {@code call}, with the errno its capture buffer holds */
    public static LinuxException fail(String call, MemorySegment capture) {
        return new LinuxException(call, errnoOf(capture));
    }

    /** @return {@code r}, unless it is -1: then throws the failure of {@code call} */
    public static int check(String call, MemorySegment capture, int r) {
        if (r == -1) {
            throw fail(call, capture);
        }
        return r;
    }

    /** @return {@code r}, unless it is -1: then throws the failure of {@code call} */
    public static long check(String call, MemorySegment capture, long r) {
        if (r == -1L) {
            throw fail(call, capture);
        }
        return r;
    }

    /** Unwraps what {@code invokeExact} threw: unchecked throwables pass through unchanged. */
    public static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected checked exception from a downcall", t);
    }
}
