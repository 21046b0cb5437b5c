package io.zxmem.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.zxmem.Channel;
import io.zxmem.Message;
import io.zxmem.Rights;
import io.zxmem.Vmo;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A round trip over a channel pair, in one thread: a message goes a to b and comes back b to a.
 * {@code transfer}: the message carries one VMO handle (there: a duplicate, consumed; back: the
 * handle b received), so each trip is a sendmsg with SCM_RIGHTS and a recvmsg that installs a
 * descriptor, plus zxmem's work: the seal check before sending (no system call once the file's seals
 * are known), the wire format, the receiver's check of the descriptor and a new VMO object in the
 * receiver. The pair is made by createPair and its ends never leave, so the receiver checks each VMO
 * from its sender's memo (modules/share README, "the in-process rule"): 6 system calls per round trip,
 * as in C; between processes the receiver adds an fstat per leg (8; F_GET_SEALS and F_GETFL too for a
 * file it never saw). {@code message}: 64 data bytes and no handle. The C columns do
 * the same socket calls on the same kind of socket (SOCK_SEQPACKET) with messages of the same size,
 * and nothing else. {@link ChannelInterleaved} runs the transfer pair interleaved, for loaded machines.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChannelBench extends BenchDefaults {
    private static final MethodHandle PAIR = CHarness.function("zxb_seqpacket_pair", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle CLOSE = CHarness.function("zxb_close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FD_ROUNDTRIP = CHarness.function("zxb_fd_roundtrip",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle MSG_ROUNDTRIP = CHarness.function("zxb_msg_roundtrip",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** zxmem's record: a 16-byte header and one 72-byte handle record. */
    static final long ONE_HANDLE_RECORD = 16 + 72;
    static final int DATA = 64;

    private Channel a;
    private Channel b;
    private Vmo vmo;
    private byte[] data;
    private Arena arena;
    private int ca;
    private int cb;
    private int memfd;
    private MemorySegment cbuf;

    @Setup(Level.Trial)
    public void setUp() throws Throwable {
        Channel[] pair = Channel.createPair();
        a = pair[0];
        b = pair[1];
        vmo = Vmo.create(1 << 16);
        data = new byte[DATA];
        arena = Arena.ofConfined();
        MemorySegment sv = arena.allocate(JAVA_INT, 2);
        CHarness.check("zxb_seqpacket_pair", (int) PAIR.invokeExact(sv));
        ca = sv.getAtIndex(JAVA_INT, 0);
        cb = sv.getAtIndex(JAVA_INT, 1);
        memfd = LibC.get().memfd_create("zxmem-vmo", Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
        LibC.get().ftruncate(memfd, 1 << 16);
        cbuf = arena.allocate(1024);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Throwable {
        a.close();
        b.close();
        vmo.close();
        CHarness.check("close", (int) CLOSE.invokeExact(ca));
        CHarness.check("close", (int) CLOSE.invokeExact(cb));
        LibC.get().close(memfd);
        arena.close();
    }

    /** A VMO handle a -> b -> a. @return the rights it came back with */
    @Benchmark
    public int zx_transfer() {
        a.write(null, vmo.duplicate(Rights.SAME_RIGHTS));
        try (Message there = b.read(WAIT)) {
            b.write(null, there.handles().get(0));
        }
        try (Message back = a.read(WAIT)) {
            return back.handles().get(0).rights();
        }
    }

    /** A memfd a -> b -> a with SCM_RIGHTS, in one C call. */
    @Benchmark
    public int c_transfer() throws Throwable {
        int rc = (int) FD_ROUNDTRIP.invokeExact(ca, cb, memfd, cbuf, ONE_HANDLE_RECORD);
        CHarness.check("zxb_fd_roundtrip", rc);
        return rc;
    }

    /** 64 bytes a -> b -> a. @return the length that came back */
    @Benchmark
    public int zx_message() {
        a.write(data);
        b.write(b.read(WAIT).data());
        return a.read(WAIT).data().length;
    }

    /** 64 bytes plus zxmem's 16-byte header a -> b -> a, in one C call. */
    @Benchmark
    public int c_message() throws Throwable {
        int rc = (int) MSG_ROUNDTRIP.invokeExact(ca, cb, cbuf, 16L + DATA);
        CHarness.check("zxb_msg_roundtrip", rc);
        return rc;
    }
}
