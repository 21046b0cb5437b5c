package io.zxmem.pager;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.pager.DirectTrust.Mode;
import org.junit.jupiter.api.Test;

/** The rule deciding whether a receiver hands its lazy windows' userfaultfds to the pager's process. */
class DirectTrustTest {
    private static final int[] U1000 = {1000, 1000, 1000, 1000};
    private static final int[] G100 = {100, 100, 100, 100};
    private static final int NO_YAMA = -1;

    @Test
    void rootIsTrusted() {
        assertTrue(DirectTrust.handOver(Mode.AUTO, 0, 0, U1000, G100, 1, NO_YAMA));
        assertTrue(DirectTrust.handOver(Mode.AUTO, 0, 5, U1000, G100, 0, 3), "root may ptrace anyone");
    }

    @Test
    void theSameUserIsTrustedWhereItCouldPtraceThisProcess() {
        assertTrue(DirectTrust.handOver(Mode.AUTO, 1000, 100, U1000, G100, 1, NO_YAMA));
        assertTrue(DirectTrust.handOver(Mode.AUTO, 1000, 100, U1000, G100, 1, 0));
        assertFalse(DirectTrust.handOver(Mode.AUTO, 1000, 100, U1000, G100, 1, 1), "Yama: descendants only");
        assertFalse(DirectTrust.handOver(Mode.AUTO, 1000, 100, U1000, G100, 1, 2));
        assertFalse(DirectTrust.handOver(Mode.AUTO, 1000, 100, U1000, G100, 0, NO_YAMA), "not dumpable");
        assertFalse(DirectTrust.handOver(Mode.AUTO, 1000, 100, U1000, G100, 2, NO_YAMA), "suid_dumpable 2: root only");
    }

    @Test
    void anotherUserOrGroupIsNot() {
        assertFalse(DirectTrust.handOver(Mode.AUTO, 1001, 100, U1000, G100, 1, NO_YAMA));
        assertFalse(DirectTrust.handOver(Mode.AUTO, 1000, 101, U1000, G100, 1, NO_YAMA));
        assertFalse(DirectTrust.handOver(Mode.AUTO, 1000, 100, new int[] {1000, 0, 0, 0}, G100, 1, NO_YAMA),
                "this process changed its ids (set-user-ID): not the same user throughout");
        assertFalse(DirectTrust.handOver(Mode.AUTO, 1000, 100, U1000, new int[] {100, 100, 0, 100}, 1, NO_YAMA));
        assertFalse(DirectTrust.handOver(Mode.AUTO, 1000, 100, new int[0], new int[0], 1, NO_YAMA), "ids unknown");
    }

    @Test
    void thePropertyOverridesTheRule() {
        assertFalse(DirectTrust.handOver(Mode.NEVER, 0, 0, U1000, G100, 1, NO_YAMA));
        assertTrue(DirectTrust.handOver(Mode.ALWAYS, 1001, 101, U1000, G100, 0, 3));
    }

    @Test
    void thePropertyIsRead() {
        String old = System.getProperty("zxmem.pager.directFaults");
        try {
            System.clearProperty("zxmem.pager.directFaults");
            assertTrue(DirectTrust.mode() == Mode.AUTO);
            System.setProperty("zxmem.pager.directFaults", "never");
            assertTrue(DirectTrust.mode() == Mode.NEVER);
            System.setProperty("zxmem.pager.directFaults", "ALWAYS");
            assertTrue(DirectTrust.mode() == Mode.ALWAYS);
        } finally {
            if (old == null) {
                System.clearProperty("zxmem.pager.directFaults");
            } else {
                System.setProperty("zxmem.pager.directFaults", old);
            }
        }
    }
}
