package io.zxmem.spi;

import io.zxmem.Resource;
import io.zxmem.Status;
import io.zxmem.ZxException;
import java.util.function.Function;

/**
 * Gives zxmem's own modules the {@link PhysicalRegion} behind a {@link Resource} handle (the device
 * module needs the VFIO or UIO descriptors for interrupts and DMA) without a public accessor on
 * {@code Resource}. {@code Resource} installs the accessor when its class initialises, which has
 * happened by the time anyone holds a Resource.
 */
public final class Resources {
    private static volatile Function<Resource, PhysicalRegion> access;

    private Resources() {}

    /** Called once, by {@code Resource}'s static initialiser. */
    public static void install(Function<Resource, PhysicalRegion> accessor) {
        if (access != null) {
            throw new IllegalStateException("already installed");
        }
        access = accessor;
    }

    /**
     * @return the region behind {@code resource}
     * @throws ZxException BAD_HANDLE for null or a closed handle
     */
    public static PhysicalRegion region(Resource resource, String op) {
        if (resource == null || !resource.isValid()) {
            throw new ZxException(Status.ERR_BAD_HANDLE, op + ": the resource handle is " + (resource == null ? "null" : "closed"));
        }
        return access.apply(resource);
    }
}
