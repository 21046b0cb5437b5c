package io.zxmem.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Status;
import io.zxmem.linux.sys.Errno;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pins zxmem's one errno-to-status table ({@link Os#statusOf}): core, the physical backends and the
 * channel transport merged their tables into it, and a change to what an errno becomes changes the
 * status users see from every one of them, so it must be a deliberate edit of this test too.
 */
class OsStatusTest {
    /** The table as the library means it: errno name to the status a Zircon caller would see. */
    private static final Map<String, Status> TABLE = new LinkedHashMap<>();

    static {
        for (String e : new String[] {"ENOMEM", "ENOSPC"}) TABLE.put(e, Status.ERR_NO_MEMORY);
        for (String e : new String[] {"EMFILE", "ENFILE", "EAGAIN", "ETOOMANYREFS", "ENOBUFS"}) TABLE.put(e, Status.ERR_NO_RESOURCES);
        for (String e : new String[] {"EFBIG", "EOVERFLOW", "ERANGE", "EMSGSIZE"}) TABLE.put(e, Status.ERR_OUT_OF_RANGE);
        for (String e : new String[] {"EINVAL", "ENAMETOOLONG"}) TABLE.put(e, Status.ERR_INVALID_ARGS);
        for (String e : new String[] {"EACCES", "EPERM"}) TABLE.put(e, Status.ERR_ACCESS_DENIED);
        for (String e : new String[] {"EBADF", "ENOTSOCK"}) TABLE.put(e, Status.ERR_BAD_HANDLE);
        for (String e : new String[] {"ENOENT", "ENODEV", "ENXIO", "ENOTDIR"}) TABLE.put(e, Status.ERR_NOT_FOUND);
        for (String e : new String[] {"EADDRINUSE", "EEXIST"}) TABLE.put(e, Status.ERR_ALREADY_EXISTS);
        TABLE.put("EBUSY", Status.ERR_UNAVAILABLE);
        for (String e : new String[] {"EOPNOTSUPP", "ENOSYS", "ENOTTY"}) TABLE.put(e, Status.ERR_NOT_SUPPORTED);
        TABLE.put("EIO", Status.ERR_IO);
        TABLE.put("ETIMEDOUT", Status.ERR_TIMED_OUT);
        for (String e : new String[] {"EPIPE", "ECONNRESET", "ENOTCONN", "ECONNREFUSED"}) TABLE.put(e, Status.ERR_PEER_CLOSED);
    }

    private static Map<String, Integer> errnos() throws IllegalAccessException {
        Map<String, Integer> all = new LinkedHashMap<>();
        for (Field f : Errno.class.getFields()) {
            if (f.getType() == int.class && Modifier.isStatic(f.getModifiers()) && f.getName().startsWith("E")) {
                all.put(f.getName(), f.getInt(null));
            }
        }
        return all;
    }

    @Test
    void everyListedErrnoHasItsStatusWhateverTheCallersDefault() throws Exception {
        Map<String, Integer> all = errnos();
        for (var e : TABLE.entrySet()) {
            Integer errno = all.get(e.getKey());
            assertTrue(errno != null, e.getKey() + " is not an Errno constant");
            assertEquals(e.getValue(), Os.statusOf(errno, Status.ERR_INTERNAL), e.getKey());
            assertEquals(e.getValue(), Os.statusOf(errno, Status.ERR_IO), e.getKey());
        }
    }

    @Test
    void everyOtherErrnoIsTheCallersDefault() throws Exception {
        int others = 0;
        for (var e : errnos().entrySet()) {
            if (TABLE.containsKey(e.getKey())) {
                continue;
            }
            others++;
            assertEquals(Status.ERR_INTERNAL, Os.statusOf(e.getValue(), Status.ERR_INTERNAL), e.getKey());
            assertEquals(Status.ERR_IO, Os.statusOf(e.getValue(), Status.ERR_IO), e.getKey());
        }
        assertTrue(others > 10, "unlisted errnos checked: " + others);
        // Not an errno at all: also the default, never an exception.
        assertEquals(Status.ERR_INTERNAL, Os.statusOf(0, Status.ERR_INTERNAL));
        assertEquals(Status.ERR_IO, Os.statusOf(-1, Status.ERR_IO));
    }
}
