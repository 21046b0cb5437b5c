package io.zxmem.bench;

import io.zxmem.linux.sys.Downcalls;
import io.zxmem.linux.sys.NativeAccess;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmarks' C harness, {@code libzxbench.so}, built by the bench module's Maven build with gcc
 * from every file in {@code bench/src/main/c}.
 *
 * <p>It is found at {@code -Dzxbench.lib=PATH}, else at {@code native/libzxbench.so} beside the
 * benchmarks jar (or beside {@code target/classes} when run from an IDE), that is
 * {@code bench/target/native/libzxbench.so}. Loading goes through {@code io.zxmem.linux}, the one
 * module that makes restricted FFM calls.
 */
public final class CHarness {
    private static final SymbolLookup LIB = NativeAccess.library(locate());

    private CHarness() {}

    /** A downcall handle to a harness function (no errno capture: harness functions return -errno). */
    public static MethodHandle function(String name, FunctionDescriptor fd) {
        return Downcalls.plain(LIB, name, fd);
    }

    /** Throws unless a harness function reported success (0); names the function and the errno. */
    public static void check(String function, int rc) {
        if (rc != 0) {
            throw new IllegalStateException(function + " failed with errno " + -rc);
        }
    }

    static Path locate() {
        String explicit = System.getProperty("zxbench.lib");
        if (explicit != null) {
            return Path.of(explicit);
        }
        try {
            // bench/target/benchmarks.jar or bench/target/classes -> bench/target/native/libzxbench.so
            Path codeSource = Path.of(CHarness.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path lib = codeSource.toAbsolutePath().getParent().resolve("native").resolve("libzxbench.so");
            if (!Files.isRegularFile(lib)) {
                throw new IllegalStateException("the C harness " + lib + " is missing: build the bench module "
                        + "(bench/run.sh does) or pass -Dzxbench.lib=/path/to/libzxbench.so");
            }
            return lib;
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the benchmarks jar", e);
        }
    }
}
