package io.zxmem;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One live VMO as {@link Zx#inspect()} saw it: where it sits in its tree, how big it is, what it
 * holds committed, which handles and mappings keep it alive.
 *
 * @param koid        the VMO's process-unique object id
 * @param name        its name
 * @param parentKoid  0 for a root VMO
 * @param kind        {@code paged}, {@code physical}, {@code slice}, {@code snapshot}, {@code at-least-on-write}
 *                    or {@code pager} (pages supplied by a user pager, here or in the process it came from)
 * @param flags       {@code VmoInfo} flag bits
 * @param handleRights the rights of each open handle (a VMO kept alive only by mappings or children
 *                    has none)
 * @param suppliedBytes for a VMO of a user pager in this process, the bytes its pager supplied so far
 * @param dirtyBytes  for a VMO of a user pager in this process, the bytes dirty or awaiting clean
 * @param size        its size in bytes
 * @param committedBytes bytes of memory it holds committed
 * @param numChildren how many live children it has
 * @param mappings    its live mappings
 */
public record VmoSnapshot(long koid, long parentKoid, String name, String kind, long size, long committedBytes,
        int flags, int numChildren, List<Integer> handleRights, List<Mapped> mappings, long suppliedBytes,
        long dirtyBytes) {

    /**
     * A snapshot of a VMO that no user pager backs (supplied and dirty bytes 0).
     *
     * @param koid           the VMO's process-unique object id
     * @param parentKoid     0 for a root VMO
     * @param name           its name
     * @param kind           {@code paged}, {@code physical}, {@code slice}, {@code snapshot} or {@code at-least-on-write}
     * @param size           its size in bytes
     * @param committedBytes bytes of memory it holds committed
     * @param flags          {@code VmoInfo} flag bits
     * @param numChildren    how many live children it has
     * @param handleRights   the rights of each open handle
     * @param mappings       its live mappings
     */
    public VmoSnapshot(long koid, long parentKoid, String name, String kind, long size, long committedBytes,
            int flags, int numChildren, List<Integer> handleRights, List<Mapped> mappings) {
        this(koid, parentKoid, name, kind, size, committedBytes, flags, numChildren, handleRights, mappings, 0, 0);
    }

    /**
     * One mapping of the VMO.
     *
     * @param address   where the mapping starts
     * @param length    its length in bytes
     * @param vmoOffset the VMO offset it starts at
     * @param perms     its {@code Vmar.PERM_*} bits
     */
    public record Mapped(long address, long length, long vmoOffset, int perms) {}

    /** Copies the lists, so that a snapshot never changes. */
    public VmoSnapshot {
        handleRights = List.copyOf(handleRights);
        mappings = List.copyOf(mappings);
    }

    /** One line, {@code key=value} separated by tabs: the wire form of remote inspection. */
    String encode() {
        StringBuilder b = new StringBuilder();
        b.append("koid=").append(koid).append("\tparent=").append(parentKoid)
                .append("\tname=").append(URLEncoder.encode(name, StandardCharsets.UTF_8))
                .append("\tkind=").append(kind).append("\tsize=").append(Long.toUnsignedString(size))
                .append("\tcommitted=").append(committedBytes).append("\tflags=").append(flags)
                .append("\tchildren=").append(numChildren).append("\thandles=");
        for (int i = 0; i < handleRights.size(); i++) {
            b.append(i == 0 ? "" : ",").append(handleRights.get(i));
        }
        if (suppliedBytes != 0 || dirtyBytes != 0) {
            b.append("\tsupplied=").append(Long.toUnsignedString(suppliedBytes)).append("\tdirty=")
                    .append(Long.toUnsignedString(dirtyBytes));
        }
        b.append("\tmappings=");
        for (int i = 0; i < mappings.size(); i++) {
            Mapped m = mappings.get(i);
            b.append(i == 0 ? "" : ",").append(Long.toUnsignedString(m.address)).append(':').append(m.length)
                    .append(':').append(Long.toUnsignedString(m.vmoOffset)).append(':').append(m.perms);
        }
        return b.toString();
    }

    /** Parses {@link #encode()}'s form. @throws IllegalArgumentException for a malformed line */
    static VmoSnapshot decode(String line) {
        Map<String, String> f = new HashMap<>();
        for (String kv : line.split("\t")) {
            int eq = kv.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("malformed inspection line: " + line);
            }
            f.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        try {
            List<Integer> handles = new ArrayList<>();
            for (String h : f.get("handles").split(",")) {
                if (!h.isEmpty()) {
                    handles.add(Integer.parseInt(h));
                }
            }
            List<Mapped> maps = new ArrayList<>();
            for (String m : f.get("mappings").split(",")) {
                if (!m.isEmpty()) {
                    String[] p = m.split(":");
                    maps.add(new Mapped(Long.parseUnsignedLong(p[0]), Long.parseLong(p[1]),
                            Long.parseUnsignedLong(p[2]), Integer.parseInt(p[3])));
                }
            }
            return new VmoSnapshot(Long.parseLong(f.get("koid")), Long.parseLong(f.get("parent")),
                    URLDecoder.decode(f.get("name"), StandardCharsets.UTF_8), f.get("kind"),
                    Long.parseUnsignedLong(f.get("size")), Long.parseLong(f.get("committed")),
                    Integer.parseInt(f.get("flags")), Integer.parseInt(f.get("children")), handles, maps,
                    Long.parseUnsignedLong(f.getOrDefault("supplied", "0")), Long.parseUnsignedLong(f.getOrDefault("dirty", "0")));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("malformed inspection line: " + line, e);
        }
    }
}
