package io.zxmem.cow;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.zxmem.linux.sys.Downcalls;
import io.zxmem.linux.sys.NativeAccess;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Bindings of {@code libzxuffd.so} ({@code src/main/c/zxuffd.c}), the userfaultfd write-protect
 * handler: a native pthread, because a Java handler thread deadlocks the JVM at the first safepoint
 * while another Java thread waits in a fault. Java only sets up and asks; it never resolves a fault.
 *
 * <p>The library is a resource of this module (the build compiles it with gcc and copies it into the
 * classes), loaded from the classes directory directly or, from a jar, through a temporary copy that
 * is deleted right after loading. {@code -Dzxmem.uffd.lib=PATH} loads another build. Functions return
 * 0 or a count on success, {@code -errno} on failure. When the library or userfaultfd is not
 * available, {@link #available()} is false and the engine copies eagerly instead.
 */
final class Zxuffd {
    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;
    private static final MethodHandle ADD_MAPPING;
    private static final MethodHandle REMOVE_MAPPING;
    private static final MethodHandle RELEASE_MAPS;
    private static final MethodHandle ADD_CHILD;
    private static final MethodHandle REMOVE_CHILD;
    private static final MethodHandle SAVE;
    private static final MethodHandle FILL;
    private static final MethodHandle FAULTS;
    /** Why the library is not available, or null. */
    private static final Throwable UNAVAILABLE;

    static {
        MethodHandle open = null, close = null, addMapping = null, removeMapping = null, release = null, addChild = null,
                removeChild = null, save = null, fill = null, faults = null;
        Throwable why = null;
        try {
            Path path = locate();
            SymbolLookup lib = NativeAccess.library(path);
            if (path.getFileName().toString().startsWith("zxmem-uffd")) {
                Files.deleteIfExists(path); // a temporary copy out of the jar: loaded, no longer needed
            }
            open = Downcalls.plain(lib, "zxu_open", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
            close = Downcalls.plain(lib, "zxu_close", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            addMapping = Downcalls.plain(lib, "zxu_add_mapping",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG));
            removeMapping = Downcalls.plain(lib, "zxu_remove_mapping", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
            release = Downcalls.plain(lib, "zxu_release_maps", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            addChild = Downcalls.plain(lib, "zxu_add_child",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG));
            removeChild = Downcalls.plain(lib, "zxu_remove_child", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
            save = Downcalls.plain(lib, "zxu_save", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
            fill = Downcalls.plain(lib, "zxu_fill", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG));
            faults = Downcalls.plain(lib, "zxu_faults", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        } catch (RuntimeException | LinkageError | IOException e) {
            why = e;
        }
        OPEN = open;
        CLOSE = close;
        ADD_MAPPING = addMapping;
        REMOVE_MAPPING = removeMapping;
        RELEASE_MAPS = release;
        ADD_CHILD = addChild;
        REMOVE_CHILD = removeChild;
        SAVE = save;
        FILL = fill;
        FAULTS = faults;
        UNAVAILABLE = why;
    }

    private Zxuffd() {}

    static boolean available() {
        return UNAVAILABLE == null;
    }

    static Throwable unavailableBecause() {
        return UNAVAILABLE;
    }

    private static Path locate() {
        String explicit = System.getProperty("zxmem.uffd.lib");
        if (explicit != null) {
            return Path.of(explicit);
        }
        URL url = Zxuffd.class.getResource("libzxuffd.so");
        if (url == null) {
            throw new IllegalStateException("libzxuffd.so is not among the classes of io.zxmem.cow");
        }
        try {
            if ("file".equals(url.getProtocol())) {
                return Path.of(url.toURI());
            }
            // In a jar: dlopen needs a file. The mapping stays after the file is deleted.
            Path tmp = Files.createTempFile("zxmem-uffd", ".so");
            try (InputStream in = url.openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            return tmp;
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot load libzxuffd.so from " + url, e);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** @return a new guard of parent memfd {@code fd}, or a negative errno */
    static long open(int fd, long page, MemorySegment[] out) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cell = a.allocate(ADDRESS);
            int rc = (int) OPEN.invokeExact(fd, page, cell);
            if (rc == 0) {
                out[0] = cell.get(ADDRESS, 0);
            }
            return rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int close(MemorySegment g) {
        try {
            return (int) CLOSE.invokeExact(g);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int addMapping(MemorySegment g, long address, long length, long offset) {
        try {
            return (int) ADD_MAPPING.invokeExact(g, address, length, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int removeMapping(MemorySegment g, long address) {
        try {
            return (int) REMOVE_MAPPING.invokeExact(g, address);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int releaseMaps(MemorySegment g) {
        try {
            return (int) RELEASE_MAPS.invokeExact(g);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int addChild(MemorySegment g, int childFd, long offset, long length) {
        try {
            return (int) ADD_CHILD.invokeExact(g, childFd, offset, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int removeChild(MemorySegment g, int id) {
        try {
            return (int) REMOVE_CHILD.invokeExact(g, id);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int save(MemorySegment g, long offset, long length) {
        try {
            return (int) SAVE.invokeExact(g, offset, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long fill(MemorySegment g, int id, long offset, long length) {
        try {
            return (long) FILL.invokeExact(g, id, offset, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long faults(MemorySegment g) {
        try {
            return (long) FAULTS.invokeExact(g);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
