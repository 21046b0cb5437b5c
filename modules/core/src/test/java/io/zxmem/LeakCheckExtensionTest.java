package io.zxmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.zxmem.testing.LeakCheck;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The leak check itself (io.zxmem.testing.LeakCheckExtension, modules/testkit): fixture classes that
 * leak a VMO, a mapping, a descriptor or a zxmem thread are run through the JUnit Platform with the
 * extension found by autodetection, as every test class here is, and must fail, naming what leaked;
 * fixtures that clean up, or whose dropped handle the garbage collector closes, must pass.
 */
class LeakCheckExtensionTest {
    private static final String SELFTEST = "zxmem.leakcheck.selftest";
    /** What the fixtures leaked, closed by the test that ran them (which is itself leak-checked). */
    static final List<AutoCloseable> LEAKED = new ArrayList<>();
    static final CountDownLatch RELEASE = new CountDownLatch(1);
    static volatile Thread leakedThread;
    static volatile long leakedKoid;

    /** Only ever run from here (surefire skips nested classes; the property keeps IDEs off them too). */
    @EnabledIfSystemProperty(named = SELFTEST, matches = "true")
    static class LeakingFixture {
        @Test
        void leaksAVmo() {
            Vmo v = Vmo.create(Zx.pageSize());
            v.setName("leaked-by-fixture");
            leakedKoid = v.koid();
            LEAKED.add(v);
        }

        @Test
        void leaksAMapping() {
            try (Vmo v = Vmo.create(Zx.pageSize())) {
                leakedKoid = v.koid();
                LEAKED.add(v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, Zx.pageSize()));
            }
        }

        @Test
        void leaksADescriptor() throws IOException {
            Path f = Files.createTempFile("leakcheck-fixture", ".bin");
            f.toFile().deleteOnExit();
            LEAKED.add(FileChannel.open(f, StandardOpenOption.READ));
        }

        @Test
        void leaksAThread() throws InterruptedException {
            CountDownLatch started = new CountDownLatch(1);
            leakedThread = Thread.ofPlatform().daemon().name("zxmem-fixture-leak").start(() -> {
                started.countDown();
                try {
                    RELEASE.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            started.await();
        }

        @Test
        void closesEverything() {
            try (Vmo v = Vmo.create(Zx.pageSize()); Mapping m = v.map(Vmar.PERM_READ, 0, Zx.pageSize())) {
                m.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
            }
        }

        @Test
        @SuppressWarnings("resource")
        void dropsAHandleThatTheCollectorCloses() {
            // Reported by zxmem's cleaner as a leak in the log; the check tolerates asynchronous cleanup.
            Vmo.create(Zx.pageSize()).duplicate(Rights.SAME_RIGHTS);
        }

        private Vmo perTest;

        @Test
        void closesInAfterEach() {
            perTest = Vmo.create(Zx.pageSize());
        }

        @AfterEach
        void close() {
            if (perTest != null) {
                perTest.close();
            }
        }
    }

    /** Shares a VMO that tests create lazily and @AfterAll closes: checked as a class, it passes. */
    @EnabledIfSystemProperty(named = SELFTEST, matches = "true")
    @LeakCheck(scope = LeakCheck.Scope.CLASS, reason = "the shared VMO is made by whichever test runs first")
    static class ClassScopedFixture {
        static Vmo shared;

        static Vmo shared() {
            if (shared == null) {
                shared = Vmo.create(Zx.pageSize());
            }
            return shared;
        }

        @Test
        void one() {
            shared().write(new byte[] {1}, 0);
        }

        @Test
        void two() {
            shared().write(new byte[] {2}, 0);
        }

        @AfterAll
        static void closeShared() {
            shared.close();
            shared = null;
        }
    }

    /** Opens in @BeforeAll and never closes: the class, not a test, is reported. */
    @EnabledIfSystemProperty(named = SELFTEST, matches = "true")
    static class BeforeAllLeakFixture {
        static Vmo opened;

        @BeforeAll
        static void open() {
            opened = Vmo.create(Zx.pageSize());
            leakedKoid = opened.koid();
            LEAKED.add(opened);
        }

        @Test
        void uses() {
            opened.write(new byte[] {1}, 0);
        }
    }

    private static EngineExecutionResults run(org.junit.platform.engine.DiscoverySelector selector) {
        System.setProperty(SELFTEST, "true");
        try {
            return EngineTestKit.engine("junit-jupiter")
                    .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                    .selectors(selector)
                    .execute();
        } finally {
            System.clearProperty(SELFTEST);
        }
    }

    /** The failure of the one test {@code method} of LeakingFixture, which must have failed. */
    private static String failureOf(String method) {
        EngineExecutionResults r = run(selectMethod(LeakingFixture.class, method));
        assertEquals(1, r.testEvents().started().count(), method + " did not run");
        List<Event> failed = r.testEvents().failed().list();
        assertEquals(1, failed.size(), method + " leaked but passed");
        Throwable t = failed.get(0).getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable).orElseThrow();
        assertTrue(t instanceof AssertionError, "not an assertion failure: " + t);
        assertTrue(t.getMessage().startsWith("LEAK: test LeakingFixture." + method + "()"), t.getMessage());
        return t.getMessage();
    }

    @AfterEach
    void closeWhatTheFixturesLeaked() throws Exception {
        for (AutoCloseable c : LEAKED) {
            c.close();
        }
        LEAKED.clear();
    }

    @Test
    void aLeakedVmoFailsTheTestAndIsNamed() {
        String m = failureOf("leaksAVmo");
        assertTrue(m.contains("VMO VmoSnapshot[koid=" + leakedKoid + ",") && m.contains("name=leaked-by-fixture"), m);
        assertTrue(m.contains("fd ") && m.contains("/memfd:zxmem"), "its memfd is named too: " + m);
    }

    @Test
    void aLeakedMappingFailsTheTestAndShowsItsMapsLine() {
        String m = failureOf("leaksAMapping");
        assertTrue(m.contains("VMO VmoSnapshot[koid=" + leakedKoid + ","), "the mapping keeps its VMO alive: " + m);
        assertTrue(m.lines().anyMatch(l -> l.startsWith("  mapping ") && l.contains("rw-s") && l.contains("/memfd:zxmem")), m);
    }

    @Test
    void aLeakedDescriptorFailsTheTestWithItsTarget() {
        String m = failureOf("leaksADescriptor");
        assertTrue(m.lines().anyMatch(l -> l.startsWith("  fd ") && l.contains("leakcheck-fixture")), m);
    }

    @Test
    void aLeakedZxmemThreadFailsTheTest() throws InterruptedException {
        try {
            String m = failureOf("leaksAThread");
            assertTrue(m.contains("thread zxmem-fixture-leak"), m);
        } finally {
            RELEASE.countDown();
            leakedThread.join();
        }
    }

    @Test
    void cleanTestsAndCollectedHandlesPass() {
        for (String method : List.of("closesEverything", "dropsAHandleThatTheCollectorCloses", "closesInAfterEach")) {
            EngineExecutionResults r = run(selectMethod(LeakCheckExtensionTest.LeakingFixture.class, method));
            assertEquals(1, r.testEvents().succeeded().count(), () -> method + ": " + r.allEvents().failed().list());
        }
    }

    @Test
    void aClassScopedClassMayShareStateAcrossTests() {
        EngineExecutionResults r = run(selectClass(ClassScopedFixture.class));
        assertEquals(2, r.testEvents().succeeded().count(), () -> String.valueOf(r.allEvents().failed().list()));
        assertEquals(0, r.containerEvents().failed().count(), () -> String.valueOf(r.containerEvents().failed().list()));
    }

    @Test
    void whatBeforeAllOpensAndNothingClosesFailsTheClass() {
        EngineExecutionResults r = run(selectClass(BeforeAllLeakFixture.class));
        assertEquals(1, r.testEvents().succeeded().count(), () -> "the test itself leaked nothing: " + r.allEvents().list());
        List<Event> failed = r.containerEvents().failed().list();
        assertEquals(1, failed.size(), "the class should fail");
        String m = failed.get(0).getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable).orElseThrow().getMessage();
        assertTrue(m.startsWith("LEAK: test class " + BeforeAllLeakFixture.class.getName()), m);
        assertTrue(m.contains("VMO VmoSnapshot[koid=" + leakedKoid + ","), m);
    }
}
