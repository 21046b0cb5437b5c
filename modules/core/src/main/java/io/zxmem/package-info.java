/**
 * zxmem's public API: Fuchsia Zircon's virtual memory objects on Linux, as handles.
 *
 * <p>A tour, in the order a reader meets them:
 * <ul>
 * <li>{@link io.zxmem.Vmo}: a virtual memory object, made by {@link io.zxmem.Vmo#create(long, int)}
 *     (anonymous memory), {@link io.zxmem.Vmo#createChild} (slices and copy-on-write snapshots,
 *     with the {@code io.zxmem.cow} module), {@link io.zxmem.Vmo#createPhysical} (device memory
 *     granted by a {@link io.zxmem.Resource}) or a {@link io.zxmem.Pager} (pages supplied on demand);
 *     read, written, resized, committed and locked through the handle.</li>
 * <li>{@link io.zxmem.Vmar} and {@link io.zxmem.Mapping}: windows of a VMO mapped into this process,
 *     seen as {@link java.lang.foreign.MemorySegment}s.</li>
 * <li>{@link io.zxmem.Handle}: what every handle shares: rights ({@link io.zxmem.Rights}), koid,
 *     {@code duplicate}/{@code replace} (each handle type returns its own type), signals
 *     ({@link io.zxmem.Signals}) and {@code close}.</li>
 * <li>{@link io.zxmem.Channel}: messages with handles between threads and processes (with the
 *     {@code io.zxmem.share} module).</li>
 * <li>{@link io.zxmem.Zx}: process-wide facts and controls (page size, live VMOs, inspection,
 *     discardable memory).</li>
 * <li>Values every call may return or throw: {@link io.zxmem.Status}, {@link io.zxmem.ZxException},
 *     {@link io.zxmem.VmoInfo}, {@link io.zxmem.LockState}, {@link io.zxmem.VmoSnapshot}.</li>
 * </ul>
 *
 * <p>The contract of this package is the project's {@code API.md}: every bad input is a
 * {@link io.zxmem.ZxException} carrying the status Zircon would return, checked in Zircon's order,
 * and a failed call leaves state as it was.
 *
 * <p>Layering ({@code modules/core/README.md}): a handle is thin. It checks its own rights and the
 * shape of its arguments, then makes one call on its object in {@code io.zxmem.internal.object},
 * where every further check of the call lives. Exported to everyone.
 */
package io.zxmem;
