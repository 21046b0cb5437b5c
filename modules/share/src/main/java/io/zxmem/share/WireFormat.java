package io.zxmem.share;

import io.zxmem.Channel;
import io.zxmem.Rights;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.spi.TransferredHandle;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The wire format of a channel message: one {@code SOCK_SEQPACKET} record, and with it one
 * {@code SCM_RIGHTS} control message carrying one descriptor per handle, in handle order.
 * All integers little-endian.
 *
 * <pre>
 * record  = header, handle[n], data[d]
 * header  (16 bytes)
 *   0  u32 magic        0x3143585A ("ZXC1")
 *   4  u16 version      1
 *   6  u16 n            handles, at most 64; with their LINK descriptors, the number of descriptors
 *   8  u32 d            data bytes, at most 65536
 *  12  u32 headerBytes  16 + 72 n (a cross-check)
 * handle  (72 bytes)
 *   0  u32 type         1 = VMO (the descriptor is a memfd), 2 = channel (a SOCK_SEQPACKET socket)
 *   4  u32 rights       exactly the rights of the handle (ZX_RIGHT_* bits; never SAME_RIGHTS)
 *   8  u32 options      VMO: Vmo.RESIZABLE or 0
 *  12  u32 flags        bit 0 LINK: a VMO backed by a user pager in the sender; a second descriptor,
 *                       right after this handle's, is the socket over which the receiver asks the
 *                       sender's pager for pages. Other bits 0
 *  16  u64 fileOffset   VMO: where its byte 0 lies in the file (page-aligned; a window of a larger
 *                       VMO, such as a slice, has a non-zero offset)
 *  24  u64 size         VMO: bytes, page-aligned, at most 2^62
 *  32  u64 contentSize  VMO: the content size
 *  40  u8[32] name      VMO: UTF-8, at most 31 bytes, NUL-padded
 * </pre>
 * The record's length must be exactly {@code 16 + 72 n + d}. Anything else is malformed: the reader
 * closes every descriptor that came with it and reports IO.
 */
final class WireFormat {
    static final int MAGIC = 0x3143585A;
    static final short VERSION = 1;
    static final int HEADER_BYTES = 16;
    static final int HANDLE_BYTES = 72;
    static final int NAME_BYTES = 32;
    static final int MAX_HANDLES = Channel.MAX_MSG_HANDLES;
    /** Descriptors of one record at most: each handle's, and each pager VMO's link. */
    static final int MAX_FDS = 2 * MAX_HANDLES;
    static final int FLAG_LINK = 1;
    static final int MAX_DATA = Channel.MAX_MSG_BYTES;
    static final int MAX_RECORD = HEADER_BYTES + HANDLE_BYTES * MAX_HANDLES + MAX_DATA;
    static final long MAX_VMO_SIZE = 1L << 62;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final byte[] NO_BYTES = new byte[0];

    private WireFormat() {}

    /** How a malformed record names the handle; built only on failure. */
    private static String what(int index) {
        return "handle " + index + ": ";
    }

    /** Encodes a message into {@code buf}. @return the record's length */
    static int encode(MemorySegment buf, byte[] data, List<TransferredHandle> handles) {
        int n = handles.size();
        int at = HEADER_BYTES + HANDLE_BYTES * n;
        buf.set(U32, 0, MAGIC);
        buf.set(U16, 4, VERSION);
        buf.set(U16, 6, (short) n);
        buf.set(U32, 8, data.length);
        buf.set(U32, 12, at);
        for (int i = 0; i < n; i++) {
            TransferredHandle h = handles.get(i);
            long r = HEADER_BYTES + (long) HANDLE_BYTES * i;
            buf.set(U32, r, h.type());
            buf.set(U32, r + 4, h.rights());
            buf.set(U32, r + 8, h.options());
            buf.set(U32, r + 12, h.linkFd() >= 0 ? FLAG_LINK : 0);
            buf.set(U64, r + 16, h.fileOffset());
            buf.set(U64, r + 24, h.size());
            buf.set(U64, r + 32, h.contentSize());
            for (int k = 0; k < NAME_BYTES; k += 8) {
                buf.set(U64, r + 40 + k, 0L);
            }
            String nm = h.name() == null ? "" : h.name();
            if (asciiName(nm)) {
                // The common case, without an encoder or a byte array.
                for (int k = 0; k < nm.length(); k++) {
                    buf.set(ValueLayout.JAVA_BYTE, r + 40 + k, (byte) nm.charAt(k));
                }
                continue;
            }
            MemorySegment name = buf.asSlice(r + 40, NAME_BYTES);
            byte[] b = nm.getBytes(StandardCharsets.UTF_8);
            int len = Math.min(b.length, NAME_BYTES - 1);
            while (len < b.length && len > 0 && (b[len] & 0xC0) == 0x80) {
                len--; // never cut a character in half
            }
            MemorySegment.copy(b, 0, name, ValueLayout.JAVA_BYTE, 0, len);
        }
        MemorySegment.copy(data, 0, buf, ValueLayout.JAVA_BYTE, at, data.length);
        return at + data.length;
    }

    /** Whether {@code name} is ASCII and fits the field with its NUL. */
    private static boolean asciiName(String name) {
        if (name.length() >= NAME_BYTES) {
            return false;
        }
        for (int k = 0; k < name.length(); k++) {
            if (name.charAt(k) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes a record of {@code length} bytes that came with {@code fds}. Does not close anything:
     * on failure the caller closes every descriptor.
     *
     * @throws io.zxmem.ZxException IO when the record breaks the format
     */
    static io.zxmem.spi.ChannelTransport.Received decode(MemorySegment buf, long length, int[] fds) {
        if (length < HEADER_BYTES) {
            throw Errors.malformed("truncated: " + length + " bytes, less than the " + HEADER_BYTES + "-byte header");
        }
        int magic = buf.get(U32, 0);
        if (magic != MAGIC) {
            throw Errors.malformed("bad magic 0x" + Integer.toHexString(magic) + " (expected 0x" + Integer.toHexString(MAGIC) + ")");
        }
        int version = buf.get(U16, 4) & 0xFFFF;
        if (version != VERSION) {
            throw Errors.malformed("unknown version " + version);
        }
        int n = buf.get(U16, 6) & 0xFFFF;
        long d = buf.get(U32, 8) & 0xFFFFFFFFL;
        long headerBytes = buf.get(U32, 12) & 0xFFFFFFFFL;
        if (n > MAX_HANDLES) {
            throw Errors.malformed(n + " handles, more than " + MAX_HANDLES);
        }
        if (d > MAX_DATA) {
            throw Errors.malformed(d + " data bytes, more than " + MAX_DATA);
        }
        if (headerBytes != HEADER_BYTES + (long) HANDLE_BYTES * n) {
            throw Errors.malformed("header length " + headerBytes + " does not match " + n + " handles");
        }
        if (length != headerBytes + d) {
            throw Errors.malformed((length < headerBytes + d ? "truncated: " : "overlong: ") + length
                    + " bytes, but the header announces " + (headerBytes + d));
        }
        int links = 0;
        for (int i = 0; i < n; i++) {
            if ((buf.get(U32, HEADER_BYTES + (long) HANDLE_BYTES * i + 12) & FLAG_LINK) != 0) {
                links++;
            }
        }
        if (fds.length != n + links) {
            throw Errors.malformed("the header announces " + n + " handles" + (links > 0 ? " and " + links + " pager links" : "")
                    + " but " + fds.length + " descriptors came");
        }
        int fd = 0;
        long page = Zx.pageSize();
        TransferredHandle[] handles = new TransferredHandle[n];
        for (int i = 0; i < n; i++) {
            long r = HEADER_BYTES + (long) HANDLE_BYTES * i;
            int type = buf.get(U32, r);
            int rights = buf.get(U32, r + 4);
            int options = buf.get(U32, r + 8);
            int flags = buf.get(U32, r + 12);
            int reserved = flags & ~FLAG_LINK;
            int own = fds[fd++];
            int link = (flags & FLAG_LINK) != 0 ? fds[fd++] : -1;
            long offset = buf.get(U64, r + 16);
            long size = buf.get(U64, r + 24);
            long contentSize = buf.get(U64, r + 32);
            if (reserved != 0 || (rights & Rights.SAME_RIGHTS) != 0) {
                throw Errors.malformed(what(i) + "reserved bits set");
            }
            switch (type) {
                case TransferredHandle.TYPE_VMO -> {
                    if ((options & ~Vmo.RESIZABLE) != 0) {
                        throw Errors.malformed(what(i) + "unknown VMO options 0x" + Integer.toHexString(options));
                    }
                    if ((size & (page - 1)) != 0 || (offset & (page - 1)) != 0) {
                        throw Errors.malformed(what(i) + "VMO size or offset not page-aligned");
                    }
                    if (Long.compareUnsigned(size, MAX_VMO_SIZE) > 0 || Long.compareUnsigned(offset, MAX_VMO_SIZE) > 0) {
                        throw Errors.malformed(what(i) + "VMO window beyond 2^62 bytes");
                    }
                    String name = name(buf, r + 40, i);
                    handles[i] = new TransferredHandle(type, rights, own, offset, size, contentSize, options, name, null, link);
                }
                case TransferredHandle.TYPE_CHANNEL -> {
                    if (options != 0 || offset != 0 || size != 0 || contentSize != 0 || link >= 0) {
                        throw Errors.malformed(what(i) + "a channel record with VMO fields set");
                    }
                    handles[i] = TransferredHandle.channel(rights, own);
                }
                default -> throw Errors.malformed(what(i) + "unknown handle type " + type);
            }
        }
        byte[] data = d == 0 ? NO_BYTES : buf.asSlice(headerBytes, d).toArray(ValueLayout.JAVA_BYTE);
        // A fixed-size list the receiver fills in place with what its checks found.
        return new io.zxmem.spi.ChannelTransport.Received(data, Arrays.asList(handles));
    }

    private static String name(MemorySegment buf, long at, int index) {
        int len = 0;
        boolean ascii = true;
        byte c;
        while (len < NAME_BYTES && (c = buf.get(ValueLayout.JAVA_BYTE, at + len)) != 0) {
            ascii &= c > 0;
            len++;
        }
        if (len == NAME_BYTES) {
            throw Errors.malformed(what(index) + "VMO name is not NUL-terminated");
        }
        if (len == 0) {
            return "";
        }
        byte[] b = new byte[len];
        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, at, b, 0, len);
        if (ascii) {
            return new String(b, StandardCharsets.ISO_8859_1); // the common case: no decoder needed
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(b, 0, len)).toString();
        } catch (CharacterCodingException e) {
            throw Errors.malformed(what(index) + "VMO name is not UTF-8");
        }
    }
}
