package io.zxmem.pager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Whether a receiver hands the userfaultfds of its lazy windows to the pager's process (direct
 * faults), or keeps asking through its own handler and the relay.
 *
 * <p>Holding another process's userfaultfd lets a process register any range of that process's
 * address space and fill its unpopulated pages ({@code UFFDIO_COPY}): it is write access to its
 * memory. So a receiver hands it over only to a process that has that access already, by the rule the
 * kernel applies to ptrace and {@code process_vm_writev}: uid 0, or the same uid and gid as this
 * process while this process is dumpable and Yama does not restrict ptrace. The credentials are the
 * ones the kernel recorded when the pager's process connected ({@code SO_PEERCRED}), not anything it
 * said. {@code -Dzxmem.pager.directFaults=never} keeps the relay; {@code always} hands over even to a
 * process the rule does not trust (which then can write this process's memory).
 */
final class DirectTrust {
    /** {@code -Dzxmem.pager.directFaults}. */
    enum Mode { AUTO, NEVER, ALWAYS }

    private DirectTrust() {}

    static Mode mode() {
        String v = System.getProperty("zxmem.pager.directFaults", "auto").trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "never", "false" -> Mode.NEVER;
            case "always" -> Mode.ALWAYS;
            default -> Mode.AUTO;
        };
    }

    /**
     * The rule.
     *
     * @param mode      the property
     * @param peerUid   the pager process's uid as the kernel recorded it at the connection
     * @param peerGid   its gid
     * @param ownUids   this process's real, effective, saved and filesystem uids
     * @param ownGids   this process's gids, the same four
     * @param dumpable  {@code PR_GET_DUMPABLE} of this process
     * @param yamaScope {@code /proc/sys/kernel/yama/ptrace_scope}, or -1 without Yama
     * @return whether to hand the pager's process this process's userfaultfds
     */
    static boolean handOver(Mode mode, int peerUid, int peerGid, int[] ownUids, int[] ownGids, int dumpable, int yamaScope) {
        if (mode != Mode.AUTO) {
            return mode == Mode.ALWAYS;
        }
        if (peerUid == 0) {
            return true;
        }
        if (ownUids.length == 0 || ownGids.length == 0) {
            return false;
        }
        for (int u : ownUids) {
            if (u != peerUid) {
                return false;
            }
        }
        for (int g : ownGids) {
            if (g != peerGid) {
                return false;
            }
        }
        return dumpable == 1 && yamaScope <= 0;
    }

    /** The rule for this process, from {@code /proc}. */
    static boolean handOver(Mode mode, int peerUid, int peerGid, int dumpable) {
        int[][] ids = ownIds();
        return handOver(mode, peerUid, peerGid, ids[0], ids[1], dumpable, yamaScope());
    }

    /** @return this process's uids and gids ({@code /proc/self/status}); empty arrays when unreadable */
    static int[][] ownIds() {
        int[] uids = {};
        int[] gids = {};
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    uids = ints(line.substring(4));
                } else if (line.startsWith("Gid:")) {
                    gids = ints(line.substring(4));
                }
            }
        } catch (IOException | RuntimeException e) {
            return new int[][] {{}, {}};
        }
        return new int[][] {uids, gids};
    }

    private static int[] ints(String s) {
        String[] parts = s.trim().split("\\s+");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Integer.parseInt(parts[i]);
        }
        return out;
    }

    /** @return Yama's ptrace scope, -1 without Yama, 3 (the strictest) when it cannot be read */
    static int yamaScope() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/sys/kernel/yama/ptrace_scope")).trim());
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException | RuntimeException e) {
            return 3;
        }
    }
}
