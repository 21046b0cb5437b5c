package io.zxmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The device commands on this host, run as a user would. The host's PCI devices (if any) are not
 * mappable here (no VFIO, UIO or /dev/mem), so what is checked is listing and the clear errors; the
 * register accesses themselves are proven on real devices by {@link DevicesLabTest}.
 */
class DevicesTest {

    @Test
    void lspciListsWhatSysfsHas() throws Exception {
        Zx z = Zx.run("lspci");
        if (!Files.isDirectory(Path.of("/sys/bus/pci/devices")) || Files.list(Path.of("/sys/bus/pci/devices")).findAny().isEmpty()) {
            assertEquals(1, z.exit(), z.toString());
            assertTrue(z.err().contains("no PCI devices"), z.toString());
            return;
        }
        assertEquals(0, z.exit(), z.toString());
        assertTrue(z.out().startsWith("BDF"), z.toString());
        try (var devices = Files.list(Path.of("/sys/bus/pci/devices"))) {
            devices.forEach(d -> assertTrue(z.out().contains(d.getFileName().toString()), d + " missing:\n" + z));
        }
    }

    @Test
    void aMissingDeviceIsNotFound() throws Exception {
        for (String[] args : new String[][] {{"bars", "0000:7f:1f.7"}, {"peek", "7f:1f.7", "0", "0"},
                {"poke", "0000:7f:1f.7", "0", "0", "1"}}) {
            Zx z = Zx.run(args);
            assertEquals(1, z.exit(), z.toString());
            assertTrue(z.err().startsWith("zx " + args[0] + ": ERR_NOT_FOUND") && z.err().contains("0000:7f:1f.7"),
                    z.toString());
        }
    }

    @Test
    void wrongArgumentsAreUsageErrors() throws Exception {
        String[][] cases = {
            {"lspci", "x"}, {"bars"}, {"bars", "10.0.0"}, {"peek", "0000:00:10.0", "0"},
            {"peek", "0000:00:10.0", "6", "0"}, {"peek", "0000:00:10.0", "0", "zz"},
            {"peek", "0000:00:10.0", "0", "0", "--width", "24"}, {"peek", "0000:00:10.0", "0", "0", "--width"},
            {"poke", "0000:00:10.0", "0", "0"}, {"poke", "0000:00:10.0", "0", "0", "0x100", "--width", "8"},
            {"poke", "0000:00:10.0", "0", "0", "1", "--fast"},
        };
        for (String[] args : cases) {
            Zx z = Zx.run(args);
            assertEquals(2, z.exit(), String.join(" ", args) + "\n" + z);
            assertEquals(2, z.err().lines().count(), String.join(" ", args) + "\n" + z);
            assertTrue(z.err().lines().skip(1).findFirst().orElse("").startsWith("usage: zx " + args[0]), z.toString());
        }
    }
}
