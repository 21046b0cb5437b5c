package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.internal.Os;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Errno;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The native layer's error path through core: a failing OS call becomes a ZxException with the
 * Zircon status, whose cause is a LinuxException naming the call, the errno and the OS message.
 */
class ErrnoTest {

    @Test
    void mappingMoreThanTheAddressSpaceIsNoMemoryCausedByMmapEnomem() {
        int maps = TestSupport.vmoMapCount();
        try (Vmo v = Vmo.create(P)) {
            ZxException e = assertStatus(Status.ERR_NO_MEMORY, () -> v.map(Vmar.PERM_READ, 0, 1L << 60), "vmar.map");
            LinuxException le = assertInstanceOf(LinuxException.class, e.getCause());
            assertEquals("mmap", le.call());
            assertEquals(Errno.ENOMEM, le.errno());
            assertEquals("ENOMEM", le.errnoName());
            assertEquals("Cannot allocate memory", le.osMessage());
            assertEquals("mmap: ENOMEM (Cannot allocate memory)", le.getMessage());
            assertTrue(e.getMessage().contains("ENOMEM"), e.getMessage());
            // The failed map left nothing behind.
            assertEquals(0, v.info().numMappings());
            v.map(Vmar.PERM_READ, 0, P).close();
        }
        assertEquals(maps, TestSupport.vmoMapCount());
    }

    @Test
    void runningOutOfFileDescriptorsIsNoResourcesCausedByMemfdCreateEmfile() throws Exception {
        List<String> cmd = ChildJvm.command(List.of("-XX:-MaxFDLimit", "--enable-native-access=io.zxmem.linux"), "fd-exhaustion");
        // Both the soft and the hard limit, so that the JVM cannot raise it again.
        String shell = "ulimit -n 200 && exec \"$@\"";
        List<String> wrapped = new java.util.ArrayList<>(List.of("sh", "-c", shell, "sh"));
        wrapped.addAll(cmd);
        ChildJvm.Result r = ChildJvm.start(wrapped).await(Duration.ofSeconds(120));
        String out = r.output();
        assertEquals(0, r.exit(), out);
        assertTrue(out.contains(" status=ERR_NO_RESOURCES"), out);
        assertTrue(out.contains("CAUSE call=memfd_create errno=EMFILE os=Too many open files"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("MESSAGE ") && l.contains("vmo.create") && l.contains("EMFILE")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("RECOVERED ")), out);
        int made = Integer.parseInt(out.lines().filter(l -> l.startsWith("FAILED after ")).findFirst().orElseThrow()
                .split(" ")[2]);
        assertTrue(made > 50 && made < 200, "VMOs made before the limit: " + made);
    }

    @Test
    void errnoToStatus() {
        Object[][] cases = {{Errno.ENOMEM, Status.ERR_NO_MEMORY}, {Errno.ENOSPC, Status.ERR_NO_MEMORY},
            {Errno.EMFILE, Status.ERR_NO_RESOURCES}, {Errno.ENFILE, Status.ERR_NO_RESOURCES},
            {Errno.EINVAL, Status.ERR_INVALID_ARGS}, {Errno.EACCES, Status.ERR_ACCESS_DENIED},
            {Errno.EPERM, Status.ERR_ACCESS_DENIED}, {Errno.EBADF, Status.ERR_BAD_HANDLE},
            {Errno.EFBIG, Status.ERR_OUT_OF_RANGE}, {Errno.EIO, Status.ERR_IO}, {Errno.ENOENT, Status.ERR_NOT_FOUND}};
        for (Object[] c : cases) {
            LinuxException le = new LinuxException("call", (Integer) c[0]);
            assertEquals(c[1], Os.statusOf(le), le.getMessage());
            ZxException z = Os.fail("some.op(arg=1)", le);
            assertEquals(c[1], z.status());
            assertEquals(le, z.getCause());
            assertTrue(z.getMessage().contains("some.op(arg=1)") && z.getMessage().contains(le.errnoName()), z.getMessage());
        }
        assertEquals(Status.ERR_INTERNAL, Os.statusOf(new LinuxException("call", 9999)));
    }

    /** The channel transport's socket errnos are in the same table; only an unlisted errno differs by caller. */
    @Test
    void oneTableWithPerCallerDefault() {
        Object[][] cases = {{Errno.EPIPE, Status.ERR_PEER_CLOSED}, {Errno.ECONNRESET, Status.ERR_PEER_CLOSED},
            {Errno.ENOTCONN, Status.ERR_PEER_CLOSED}, {Errno.ECONNREFUSED, Status.ERR_PEER_CLOSED},
            {Errno.EADDRINUSE, Status.ERR_ALREADY_EXISTS}, {Errno.EEXIST, Status.ERR_ALREADY_EXISTS},
            {Errno.ETOOMANYREFS, Status.ERR_NO_RESOURCES}, {Errno.ENOBUFS, Status.ERR_NO_RESOURCES},
            {Errno.EAGAIN, Status.ERR_NO_RESOURCES}, {Errno.EMSGSIZE, Status.ERR_OUT_OF_RANGE},
            {Errno.ENAMETOOLONG, Status.ERR_INVALID_ARGS}, {Errno.ENOTSOCK, Status.ERR_BAD_HANDLE},
            {Errno.ENOTDIR, Status.ERR_NOT_FOUND}, {Errno.ENOMEM, Status.ERR_NO_MEMORY}};
        for (Object[] c : cases) {
            int errno = (Integer) c[0];
            assertEquals(c[1], Os.statusOf(errno, Status.ERR_IO), "errno " + errno);
            assertEquals(c[1], Os.statusOf(errno, Status.ERR_INTERNAL), "errno " + errno);
        }
        LinuxException unknown = new LinuxException("sendmsg", 9999);
        assertEquals(Status.ERR_IO, Os.fail("channel.write", unknown, Status.ERR_IO).status());
        assertEquals(Status.ERR_INTERNAL, Os.fail("vmo.write", unknown).status());
    }
}
