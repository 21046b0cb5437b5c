package io.zxmem.spi;

import io.zxmem.Status;
import io.zxmem.ZxException;
import java.util.function.Function;

/**
 * Gives zxmem's own modules the {@link PhysicalRegion} behind a {@code io.zxmem.Resource} handle (the
 * device module needs the VFIO or UIO descriptors for interrupts and DMA) without a public accessor on
 * {@code Resource}. {@code Resource} installs the accessor when its class initialises, which has
 * happened by the time anyone holds a Resource.
 *
 * <p>This class never names {@code Resource}: the handle type arrives as a {@code Class} at install
 * time. So the SPI does not depend on the handle layer (which depends on the SPI), and the only
 * class-level link between the two runs one way, from {@code Resource} to here.
 */
public final class Resources {
    private static volatile Accessor<?> access;

    /** The handle class and how to get the region of an open handle of it (null when it is closed). */
    private record Accessor<T>(Class<T> type, Function<? super T, PhysicalRegion> region) {
        PhysicalRegion apply(Object handle) {
            return type.isInstance(handle) ? region.apply(type.cast(handle)) : null;
        }
    }

    private Resources() {}

    /**
     * Called once, by {@code Resource}'s static initialiser: {@code region} returns the region of an
     * open handle of {@code type} and null for a closed one.
     */
    public static <T> void install(Class<T> type, Function<? super T, PhysicalRegion> region) {
        if (access != null) {
            throw new IllegalStateException("already installed");
        }
        access = new Accessor<>(type, region);
    }

    /**
     * @param resource an {@code io.zxmem.Resource} handle
     * @return the region behind {@code resource}
     * @throws ZxException BAD_HANDLE for null or a closed handle
     */
    public static PhysicalRegion region(Object resource, String op) {
        if (resource == null) {
            throw new ZxException(Status.ERR_BAD_HANDLE, op + ": the resource handle is null");
        }
        PhysicalRegion r = access.apply(resource);
        if (r == null) {
            throw new ZxException(Status.ERR_BAD_HANDLE, op + ": the resource handle is closed");
        }
        return r;
    }
}
