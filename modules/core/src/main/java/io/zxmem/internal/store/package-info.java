/**
 * The store layer of core: where a VMO's bytes live, below the VM objects ({@code io.zxmem.internal})
 * and above the Linux bindings ({@code io.zxmem.linux}). A store moves bytes and pages; it checks no
 * handle, right or range (the VM object did, under its lock) and calls nothing above it.
 *
 * <ul>
 * <li>{@link io.zxmem.internal.store.MemfdStore}: an anonymous VMO's store, put together from
 *     {@link io.zxmem.internal.store.VmoManager} (the 2^62-byte memfd segments),
 *     {@link io.zxmem.internal.store.CanonicalMapping} (the internal whole-VMO mapping and the
 *     residency {@link io.zxmem.internal.store.PageBitmap}), {@link io.zxmem.internal.store.WindowTable}
 *     (user windows and the copy-on-write watcher) and {@link io.zxmem.internal.store.WriteSeal}
 *     (writing on after sharing read-only);
 * <li>{@link io.zxmem.internal.store.MemfdPool} (recycled memfds) and
 *     {@link io.zxmem.internal.store.MemoryHeadroom} (whether a large COMMIT fits);
 * <li>{@link io.zxmem.internal.store.SliceStore}: a slice, a window onto its parent's store;
 * <li>{@link io.zxmem.internal.store.PhysicalStore} and
 *     {@link io.zxmem.internal.store.SimulatedRegion}: physical VMOs and the memfd that simulates a
 *     device for {@code Resource.simulated}.
 * </ul>
 *
 * <p>Who may use it: the handle and object layers of core, and, through a qualified export, the
 * {@code io.zxmem.cow} and {@code io.zxmem.pager} modules, which keep a child's or a pager VMO's own
 * bytes in a {@code MemfdStore} they compose (never test for it with {@code instanceof}: what they
 * need of a store is in {@code io.zxmem.spi}).
 *
 * <p>Failures: OS failures propagate as {@code LinuxException}, and the VM object that called turns
 * them into a {@code ZxException} through {@code io.zxmem.internal.Os.fail}, naming the Zircon call
 * (a store does not know it: {@code vmo.create}, {@code vmo.create_child} and a transfer all make a
 * {@code MemfdStore}; the tests check that the message names the call and that the cause is the
 * {@code LinuxException} itself). A store throws {@code ZxException} only for what Zircon itself
 * refuses, built with {@code io.zxmem.internal.Ranges.fail}: NO_MEMORY for a commit that cannot fit
 * ({@code MemoryHeadroom}), NO_RESOURCES for a slice window that cannot be placed. Contract misuse
 * (a call the VM object must have refused) is an {@code UnsupportedOperationException}.
 */
package io.zxmem.internal.store;
