package io.zxmem.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a VMO, a file descriptor, a zxmem mapping or a zxmem thread (the native
 * userfaultfd handler included) behind, naming each one: koid, name and kind of a VMO, number and
 * target of a descriptor, the {@code /proc/self/maps} line of a mapping, the name of a thread. As
 * Arrow's allocator does on close, a leak is an error of the test that made it, not a number to
 * look at later.
 *
 * <p>Registered for JUnit's extension autodetection ({@code META-INF/services}); a module turns it on
 * for every test class with {@code junit.jupiter.extensions.autodetection.enabled=true} in its
 * {@code src/test/resources/junit-platform.properties}, so no test class names it.
 *
 * <p>What counts as open is {@link ProcessResources}. Before each test it notes what is open; after
 * the test (after its {@code @AfterEach} methods) whatever is open that was not is a leak. Handles
 * dropped without close are closed by zxmem's cleaner after a garbage collection, asynchronously:
 * so a leak is only reported once it outlived {@code zxmem.leakcheck.timeoutMs} milliseconds
 * (default 2000: a dropped handle was measured to take up to about a second) of {@code System.gc()}
 * and waiting. A test that leaks nothing pays one look at {@code /proc}, no collection. The class as a whole is checked the same way
 * after its {@code @AfterAll} against what was open before its {@code @BeforeAll} (what a test
 * already reported is not reported twice). A leak reported once becomes part of the next test's
 * baseline, so one leak fails one test.
 *
 * <p>Configuration parameters: {@code zxmem.leakcheck.enabled} (default true),
 * {@code zxmem.leakcheck.timeoutMs}, {@code zxmem.leakcheck.classScope} and
 * {@code zxmem.leakcheck.exclude} (see {@link LeakCheck}).
 */
public final class LeakCheckExtension implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeakCheckExtension.class);
    private static final String BASELINE = "baseline";
    private static final String REPORTED = "reported";
    private static final long DEFAULT_TIMEOUT_MS = 2000;

    @Override
    public void beforeAll(ExtensionContext ctx) {
        if (scope(ctx) != LeakCheck.Scope.NONE) {
            ctx.getStore(NS).put(BASELINE, ProcessResources.now());
            ctx.getStore(NS).put(REPORTED, ConcurrentHashMap.<String>newKeySet());
        }
    }

    @Override
    public void beforeEach(ExtensionContext ctx) {
        if (scope(ctx) == LeakCheck.Scope.TEST) {
            ctx.getStore(NS).put(BASELINE, ProcessResources.now());
        }
    }

    @Override
    public void afterEach(ExtensionContext ctx) {
        if (scope(ctx) == LeakCheck.Scope.TEST) {
            ProcessResources before = ctx.getStore(NS).get(BASELINE, ProcessResources.class);
            check(ctx, before, "test " + ctx.getRequiredTestClass().getSimpleName() + "." + ctx.getDisplayName(),
                    reported(ctx));
        }
    }

    @Override
    public void afterAll(ExtensionContext ctx) {
        if (scope(ctx) != LeakCheck.Scope.NONE) {
            ProcessResources before = ctx.getStore(NS).get(BASELINE, ProcessResources.class);
            check(ctx, before, "test class " + ctx.getRequiredTestClass().getName(), reported(ctx));
        }
    }

    @SuppressWarnings("unchecked")
    private static Set<String> reported(ExtensionContext ctx) {
        // Stores are looked up through the parents: a test finds its class's set.
        Set<String> s = ctx.getStore(NS).get(REPORTED, Set.class);
        return s != null ? s : ConcurrentHashMap.newKeySet();
    }

    private static void check(ExtensionContext ctx, ProcessResources before, String who, Set<String> reported) {
        if (before == null) {
            return;
        }
        long timeoutMs = ctx.getConfigurationParameter("zxmem.leakcheck.timeoutMs").map(Long::parseLong).orElse(DEFAULT_TIMEOUT_MS);
        check(before, who, reported, timeoutMs);
    }

    /**
     * The same check for code that runs many cases in one test (the fuzzer checks after each input):
     * throws an AssertionError naming what {@code who} left open since {@code before}, once it has
     * outlived {@code timeoutMs} of collection and waiting.
     */
    public static void assertNothingLeakedSince(ProcessResources before, String who, long timeoutMs) {
        check(before, who, ConcurrentHashMap.newKeySet(), timeoutMs);
    }

    private static void check(ProcessResources before, String who, Set<String> reported, long timeoutMs) {
        List<String> leaks = leaks(before, reported);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!leaks.isEmpty() && System.nanoTime() < deadline) {
            // Dropped handles and mappings are closed by cleaners once the collector has seen them.
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            leaks = leaks(before, reported);
        }
        if (leaks.isEmpty()) {
            return;
        }
        reported.addAll(leaks);
        StringBuilder b = new StringBuilder("LEAK: ").append(who).append(" left ").append(leaks.size())
                .append(leaks.size() == 1 ? " resource" : " resources").append(" open (still there after ")
                .append(timeoutMs).append(" ms of System.gc()):");
        for (String l : leaks) {
            b.append("\n  ").append(l);
        }
        b.append("\n(-Dzxmem.leaks=trace makes zxmem record where each handle was created;"
                + " see io.zxmem.testing.LeakCheck to scope or exclude a class)");
        throw new AssertionError(b.toString());
    }

    private static List<String> leaks(ProcessResources before, Set<String> reported) {
        List<String> l = new ArrayList<>();
        for (String s : ProcessResources.now().leakedSince(before)) {
            if (!reported.contains(s)) {
                l.add(s);
            }
        }
        return l;
    }

    /** The scope of the test class of {@code ctx}: its annotation (or an enclosing class's), else configuration. */
    static LeakCheck.Scope scope(ExtensionContext ctx) {
        if (!ctx.getConfigurationParameter("zxmem.leakcheck.enabled").map(Boolean::parseBoolean).orElse(true)) {
            return LeakCheck.Scope.NONE;
        }
        Class<?> c = ctx.getTestClass().orElse(null);
        if (c == null) {
            return LeakCheck.Scope.NONE;
        }
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            LeakCheck a = k.getAnnotation(LeakCheck.class);
            if (a != null) {
                return a.scope();
            }
        }
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (listed(ctx, "zxmem.leakcheck.exclude", k)) {
                return LeakCheck.Scope.NONE;
            }
            if (listed(ctx, "zxmem.leakcheck.classScope", k)) {
                return LeakCheck.Scope.CLASS;
            }
        }
        return LeakCheck.Scope.TEST;
    }

    private static boolean listed(ExtensionContext ctx, String key, Class<?> c) {
        return ctx.getConfigurationParameter(key)
                .map(v -> Arrays.stream(v.split(",")).map(String::strip).anyMatch(c.getName()::equals))
                .orElse(false);
    }
}
