/**
 * The object layer of core, Zircon's kernel objects: what a handle refers to, between the handles
 * ({@code io.zxmem}) above and the stores ({@code io.zxmem.internal.store}) below.
 *
 * <ul>
 * <li>{@link io.zxmem.internal.object.KernelObject}: what every object has (koid, references,
 *     signals, a {@link io.zxmem.internal.object.HandleRecord} per open handle); {@link io.zxmem.internal.object.ChannelObject},
 *     {@link io.zxmem.internal.object.ResourceObject} (and {@code io.zxmem.PagerObject}) are the
 *     small ones.</li>
 * <li>{@link io.zxmem.internal.object.VmObject}, Zircon's VmObject: a VMO's state, lock, place in the
 *     tree and mappings ({@link io.zxmem.internal.object.VmMapping}), with its kinds as types:
 *     {@link io.zxmem.internal.object.VmObjectPaged} (this process's memory: anonymous, children,
 *     received, pager-backed; read, write, commit, resize, discard) and
 *     {@link io.zxmem.internal.object.VmObjectPhysical} (device memory: mapped only).</li>
 * <li>{@link io.zxmem.internal.object.VmObjectFactory}: the one place VM objects and children are
 *     made, closing the store when making the object fails.</li>
 * <li>{@link io.zxmem.internal.object.KoidTable}: every live VM object by koid (inspection, leak
 *     checks); {@link io.zxmem.internal.object.Purger} and {@code Discardable}: discardable VMOs.</li>
 * </ul>
 *
 * <p>Each Zircon call's checks that follow the handle's rights check live here, in Zircon's order,
 * in one method of the object (a handle never re-checks what its object checks). An object calls its
 * store under its lock and turns an OS failure into the call's {@code ZxException} with
 * {@link io.zxmem.internal.Os#fail}. Calls go down only: an object never calls a handle, and a store
 * reaches the object it belongs to only through interfaces the store layer declares
 * ({@code SliceStore.Parent}).
 *
 * <p>Who may use it: core's handle layer only; not exported.
 */
package io.zxmem.internal.object;
