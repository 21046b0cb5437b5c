package io.zxmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Each subcommand run as a user would, including wrong arguments. */
class CliTest {

    @Test
    void noArgumentsRunsTheTourAndEveryStepReportsWhatItDid() throws Exception {
        Zx r = Zx.run();
        assertEquals(0, r.exit(), r.toString());
        for (String expected : new String[] {"zxmem tour", "\"hello, zircon\"", "0x0123456789abcdef",
                "touching the cut-off page: InternalError", "page 1 reads 0", "IllegalStateException",
                "ERR_ACCESS_DENIED on write", "committed 256 KiB", "1 discarded; lock says discarded 64 KiB, byte 0 = 0",
                "snapshot \"version 1\", slice \"version 2\"",
                "live VMOs now: 0"}) {
            assertTrue(r.out().contains(expected), "missing '" + expected + "' in\n" + r);
        }
        assertTrue(r.err().isEmpty(), r.toString());
    }

    @Test
    void helpListsEveryCommand() throws Exception {
        Zx r = Zx.run("help");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("tour") && r.out().contains("shell"), r.toString());
    }

    @Test
    void everyCommandHasItsOwnHelp() throws Exception {
        for (String c : new String[] {"tour", "inspect", "lspci", "bars", "peek", "poke", "shell", "bench"}) {
            Zx r = Zx.run(c, "--help");
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().startsWith("usage: zx " + c), r.toString());
        }
    }

    @Test
    void unknownCommandSaysSoInOneLineWithUsageAndExits2() throws Exception {
        Zx r = Zx.run("frobnicate");
        assertEquals(2, r.exit(), r.toString());
        assertEquals("zx: unknown command 'frobnicate'", r.err().lines().findFirst().orElse(""));
        assertTrue(r.err().contains("usage: zx"), r.toString());
        assertTrue(r.out().isEmpty(), r.toString());
    }

    @Test
    void wrongArgumentsToACommandGiveOneLineAndItsUsage() throws Exception {
        Zx r = Zx.run("tour", "--fast");
        assertEquals(2, r.exit(), r.toString());
        assertEquals("zx tour: takes no arguments, got '--fast'", r.err().lines().findFirst().orElse(""));
        assertTrue(r.err().contains("usage: zx tour"), r.toString());
    }

    @Test
    void helpForAnUnknownCommandFails() throws Exception {
        Zx r = Zx.run("help", "nope");
        assertEquals(2, r.exit(), r.toString());
    }

    @Test
    void shellRunsJshellWithZxmemImportedAndNativeAccessOn() throws Exception {
        Zx r = Zx.withInput("var v = Vmo.create(3 * P + 5, Vmo.RESIZABLE)\n"
                + "v.write(new byte[] {7}, 100); var m = v.map(Vmar.PERM_READ, 0, P);\n"
                + "System.out.println(\"size=\" + v.size() + \" byte=\" + m.segment().get(JAVA_BYTE, 100))\n"
                + "/exit\n", "shell", "-q");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("size=16384 byte=7"), r.toString());
    }
}
