package io.zxmem.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The one place where zxmem turns raw addresses into sized segments, and the one message users get
 * when the JVM refuses zxmem native access.
 *
 * <p>Keeping every restricted call ({@code downcallHandle}, {@code reinterpret}, {@code libraryLookup})
 * in this module means only {@code io.zxmem.linux} needs {@code --enable-native-access}.
 */
public final class NativeAccess {
    /** What to put on the java command line; the message names both module and class-path forms. */
    public static final String FLAG_HINT =
            "zxmem needs native access (java.lang.foreign). Add --enable-native-access=io.zxmem.linux "
            + "to the java command line when zxmem is on the module path, or "
            + "--enable-native-access=ALL-UNNAMED when it is on the class path "
            + "(the ./zx launcher and the zxmem-cli jar's manifest already do this).";

    /** Set once the JVM refused a restricted call of this module: later failures can say why. */
    private static volatile IllegalCallerException refusal;

    private NativeAccess() {}

    static IllegalCallerException refused(IllegalCallerException cause) {
        IllegalCallerException e = new IllegalCallerException(FLAG_HINT, cause);
        refusal = e;
        return e;
    }

    /**
     * For the {@code get()} of a binding whose class initialiser makes downcall handles: a refusal
     * there surfaces as {@link ExceptionInInitializerError} the first time and as a bare
     * {@code NoClassDefFoundError: Could not initialize class} every time after. Turn both into the
     * one message that names the flag; rethrow any other linkage failure unchanged.
     */
    public static IllegalCallerException explain(LinkageError e) {
        IllegalCallerException r = refusal;
        if (r == null) {
            throw e;
        }
        IllegalCallerException x = new IllegalCallerException(FLAG_HINT, r.getCause());
        x.addSuppressed(e);
        return x;
    }

    /** {@code address} as a segment of {@code size} bytes with no lifetime (the caller guards it). */
    public static MemorySegment segment(MemorySegment address, long size) {
        try {
            return address.reinterpret(size);
        } catch (IllegalCallerException e) {
            throw refused(e);
        }
    }

    /** {@code address} as a segment of {@code size} bytes that dies when {@code arena} closes. */
    public static MemorySegment segment(MemorySegment address, long size, Arena arena, Consumer<MemorySegment> cleanup) {
        try {
            return address.reinterpret(size, arena, cleanup);
        } catch (IllegalCallerException e) {
            throw refused(e);
        }
    }

    /**
     * Loads the shared library at {@code path} for the life of the process (zxmem's own C helpers,
     * such as the benchmark harness); bind its functions with {@link Downcalls#plain(SymbolLookup,
     * String, java.lang.foreign.FunctionDescriptor)}.
     *
     * @throws IllegalArgumentException if the library cannot be loaded
     */
    public static SymbolLookup library(Path path) {
        try {
            return SymbolLookup.libraryLookup(path, Arena.global());
        } catch (IllegalCallerException e) {
            throw refused(e);
        }
    }

    /** A raw address as a zero-length segment, for passing to native code. */
    public static MemorySegment address(long address) {
        return MemorySegment.ofAddress(address);
    }
}
