package io.zxmem.cli;

import io.zxmem.Mapping;
import io.zxmem.Resource;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import io.zxmem.physical.Mmio;
import io.zxmem.physical.PciDevice;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The device commands, like {@code lspci} and {@code pcimem}, through zxmem's own backends:
 * {@code zx lspci}, {@code zx bars BDF}, {@code zx peek BDF BAR OFFSET}, {@code zx poke BDF BAR OFFSET VALUE}.
 */
final class Devices {
    private Devices() {}

    static List<Command> commands() {
        return List.of(new Lspci(), new Bars(), new Access(false), new Access(true));
    }

    static long number(String what, String s) throws Command.UsageException {
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                return Long.parseUnsignedLong(s.substring(2), 16);
            }
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new Command.UsageException(what + " must be a number (decimal or 0x-hex), got '" + s + "'");
        }
    }

    static String bdf(String s) throws Command.UsageException {
        String full = s.matches("[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]") ? "0000:" + s : s;
        if (!full.matches("[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]")) {
            throw new Command.UsageException("BDF must look like 0000:00:10.0 (or 00:10.0), got '" + s + "'");
        }
        return full.toLowerCase();
    }

    /** {@code zx lspci}. */
    static final class Lspci implements Command {
        @Override
        public String name() {
            return "lspci";
        }

        @Override
        public String synopsis() {
            return "";
        }

        @Override
        public String summary() {
            return "list PCI devices: address, vendor:device, class, driver, IOMMU group";
        }

        @Override
        public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
            if (args.length > 0) {
                throw new UsageException("takes no arguments, got '" + args[0] + "'");
            }
            List<PciDevice> devices = PciDevice.list();
            if (devices.isEmpty()) {
                err.println("zx lspci: no PCI devices under " + PciDevice.SYSFS);
                return 1;
            }
            out.printf("%-13s %-9s %-6s %-16s %s%n", "BDF", "ID", "CLASS", "DRIVER", "IOMMU");
            for (PciDevice d : devices) {
                out.printf("%-13s %04x:%04x %06x %-16s %s%n", d.bdf(), d.vendorId(), d.deviceId(), d.classCode(),
                        d.driver() == null || d.driver().isEmpty() ? "-" : d.driver(),
                        d.iommuGroup().isPresent() ? Integer.toString(d.iommuGroup().getAsInt()) : "-");
            }
            return 0;
        }
    }

    /** {@code zx bars BDF}. */
    static final class Bars implements Command {
        @Override
        public String name() {
            return "bars";
        }

        @Override
        public String synopsis() {
            return "BDF";
        }

        @Override
        public String summary() {
            return "show a PCI device's BARs: address, size, kind";
        }

        @Override
        public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
            if (args.length != 1) {
                throw new UsageException(args.length == 0 ? "needs a BDF" : "takes one BDF, got " + args.length + " arguments");
            }
            PciDevice d = PciDevice.of(bdf(args[0]));
            out.printf("%s %04x:%04x driver %s%n", d.bdf(), d.vendorId(), d.deviceId(),
                    d.driver() == null || d.driver().isEmpty() ? "-" : d.driver());
            int shown = 0;
            for (PciDevice.Bar b : d.bars()) {
                if (b.size() == 0) {
                    continue;
                }
                out.printf("  BAR%d  0x%012x  %-8s %s%n", b.index(), b.address(), Inspect.size(b.size()),
                        b.isIo() ? "io" : "memory" + (b.is64Bit() ? " 64-bit" : " 32-bit")
                                + (b.isPrefetchable() ? " prefetchable" : ""));
                shown++;
            }
            if (shown == 0) {
                out.println("  (no BARs)");
            }
            return 0;
        }
    }

    /** {@code zx peek} and {@code zx poke}: one register access through a mapped physical VMO. */
    static final class Access implements Command {
        private final boolean write;

        Access(boolean write) {
            this.write = write;
        }

        @Override
        public String name() {
            return write ? "poke" : "peek";
        }

        @Override
        public String synopsis() {
            return "BDF BAR OFFSET " + (write ? "VALUE " : "") + "[--width 8|16|32|64]";
        }

        @Override
        public String summary() {
            return write ? "write a register of a PCI BAR (like pcimem), through zxmem's backends"
                    : "read a register of a PCI BAR (like pcimem), through zxmem's backends";
        }

        @Override
        public String help() {
            return summary() + """
                    .
                    The BAR is opened with the first backend that works (VFIO, UIO, the sysfs
                    resourceN file, /dev/mem: the output names the one used), its page holding OFFSET
                    is mapped as a physical VMO, and one naturally aligned access of --width bits
                    (default 32) is made with volatile ordering. Numbers are decimal or 0x-hex.
                    Needs root, or access rights to the device files.""";
        }

        @Override
        public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
            List<String> pos = new ArrayList<>();
            int width = 32;
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--width")) {
                    if (++i >= args.length) {
                        throw new UsageException("--width needs 8, 16, 32 or 64");
                    }
                    width = switch (args[i]) {
                        case "8" -> 8;
                        case "16" -> 16;
                        case "32" -> 32;
                        case "64" -> 64;
                        default -> throw new UsageException("--width must be 8, 16, 32 or 64, got '" + args[i] + "'");
                    };
                } else if (args[i].startsWith("--")) {
                    throw new UsageException("unknown option '" + args[i] + "'");
                } else {
                    pos.add(args[i]);
                }
            }
            int need = write ? 4 : 3;
            if (pos.size() != need) {
                throw new UsageException("needs " + need + " arguments (" + synopsis().replace(" [--width 8|16|32|64]", "")
                        + "), got " + pos.size());
            }
            String bdf = bdf(pos.get(0));
            long bar = number("BAR", pos.get(1));
            if (bar < 0 || bar > 5) {
                throw new UsageException("BAR must be 0..5, got " + bar);
            }
            long offset = number("OFFSET", pos.get(2));
            long value = write ? number("VALUE", pos.get(3)) : 0;
            if (write && width < 64 && (value >>> width) != 0 && (value >> (width - 1)) != -1) {
                throw new UsageException("VALUE 0x" + Long.toHexString(value) + " does not fit in " + width + " bits");
            }
            long page = Zx.pageSize();
            try (Resource r = Resource.pciBar(bdf, (int) bar)) {
                if (Long.compareUnsigned(offset, r.size()) >= 0) {
                    throw new ZxException(Status.ERR_OUT_OF_RANGE, name() + ": offset 0x" + Long.toHexString(offset)
                            + " is past BAR" + bar + "'s " + Inspect.size(r.size()));
                }
                long window = offset & -page;
                try (Vmo v = Vmo.createPhysical(r, r.base() + window, page);
                     Mapping m = v.map(Vmar.PERM_READ | (write ? Vmar.PERM_WRITE : 0), 0, page)) {
                    Mmio io = Mmio.of(m);
                    long in = offset - window;
                    String where = String.format("%s BAR%d+0x%x (%s)", bdf, bar, offset, r.backend());
                    if (write) {
                        switch (width) {
                            case 8 -> io.putByteVolatile(in, (byte) value);
                            case 16 -> io.putShortVolatile(in, (short) value);
                            case 32 -> io.putIntVolatile(in, (int) value);
                            default -> io.putLongVolatile(in, value);
                        }
                        out.printf("%s <- 0x%0" + width / 4 + "x%n", where, width == 64 ? value : value & ((1L << width) - 1));
                    } else {
                        long got = switch (width) {
                            case 8 -> io.getByteVolatile(in) & 0xFFL;
                            case 16 -> io.getShortVolatile(in) & 0xFFFFL;
                            case 32 -> io.getIntVolatile(in) & 0xFFFF_FFFFL;
                            default -> io.getLongVolatile(in);
                        };
                        out.printf("%s = 0x%0" + width / 4 + "x%n", where, got);
                    }
                }
            }
            return 0;
        }
    }
}
