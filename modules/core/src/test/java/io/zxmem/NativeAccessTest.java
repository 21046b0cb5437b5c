package io.zxmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.linux.sys.NativeAccess;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a user sees when the JVM refuses zxmem native access: one clear message naming the flag,
 * on the first call and on every later one (no bare ExceptionInInitializerError or "Could not
 * initialize class"), and that granting it to io.zxmem.linux alone is enough.
 */
class NativeAccessTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private static List<String> attempts(ChildJvm.Result r) {
        return r.lines().stream().filter(l -> l.startsWith("ATTEMPT ")).toList();
    }

    private static void assertRefusedWithTheHint(ChildJvm.Result r) {
        assertEquals(0, r.exit(), r.output());
        List<String> attempts = attempts(r);
        assertEquals(3, attempts.size(), r.output());
        for (String a : attempts) {
            assertTrue(a.endsWith("java.lang.IllegalCallerException :: " + NativeAccess.FLAG_HINT),
                    "every attempt must fail with the one message naming the flag: " + a + "\nfull output:\n" + r.output());
        }
        assertTrue(NativeAccess.FLAG_HINT.contains("--enable-native-access=io.zxmem.linux"));
        assertTrue(NativeAccess.FLAG_HINT.contains("--enable-native-access=ALL-UNNAMED"));
    }

    @Test
    void refusedNativeAccessGivesOneClearMessageEveryTime() throws Exception {
        assertRefusedWithTheHint(ChildJvm.run(TIMEOUT, List.of("--illegal-native-access=deny"), "native-access"));
    }

    @Test
    void grantingItToTheWrongModuleStillNamesTheFlag() throws Exception {
        assertRefusedWithTheHint(ChildJvm.run(TIMEOUT,
                List.of("--illegal-native-access=deny", "--enable-native-access=io.zxmem"), "native-access"));
    }

    /** Every restricted call goes through io.zxmem.linux, so granting that module alone is enough. */
    @Test
    void grantingItToTheLinuxModuleAloneIsEnough() throws Exception {
        ChildJvm.Result r = ChildJvm.run(TIMEOUT,
                List.of("--illegal-native-access=deny", "--enable-native-access=io.zxmem.linux"), "native-access");
        assertEquals(0, r.exit(), r.output());
        assertEquals(List.of("ATTEMPT 0 OK", "ATTEMPT 1 OK", "ATTEMPT 2 OK"), attempts(r), r.output());
        assertTrue(!r.output().contains("WARNING"), r.output());
    }
}
