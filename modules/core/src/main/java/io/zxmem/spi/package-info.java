/**
 * What zxmem's other modules implement for core, and the values they exchange with it. Exported only
 * to {@code io.zxmem.cow}, {@code io.zxmem.share}, {@code io.zxmem.physical} and {@code io.zxmem.pager};
 * not an API for applications, and free to change with those modules.
 *
 * <p>Services, found with {@link java.util.ServiceLoader}:
 * <ul>
 * <li>{@link io.zxmem.spi.ChildEngine}: copy-on-write children ({@code io.zxmem.cow});
 * <li>{@link io.zxmem.spi.ChannelTransport}, with {@link io.zxmem.spi.TransferredHandle}: channels
 *     between processes ({@code io.zxmem.share});
 * <li>{@link io.zxmem.spi.PhysicalProvider}, returning {@link io.zxmem.spi.PhysicalRegion}s (most
 *     extend {@link io.zxmem.spi.AbstractRegion}): device memory ({@code io.zxmem.physical});
 * <li>{@link io.zxmem.spi.PagerProvider}, with {@link io.zxmem.spi.PagerEngine},
 *     {@link io.zxmem.spi.PagerStore} and {@link io.zxmem.spi.PagerBacked}: user pagers
 *     ({@code io.zxmem.pager}).
 * </ul>
 *
 * <p>Store contracts, which core's stores and the stores of cow and pager both implement, so that the
 * VM objects hold any of them and the copy-on-write engine watches any of them without knowing the
 * class: {@link io.zxmem.spi.MappableStore} (every VMO's store: map, size in memory, close),
 * {@link io.zxmem.spi.PageStore} (a paged VMO's: read, write, commit, resize),
 * {@link io.zxmem.spi.SharedFile} and {@link io.zxmem.spi.SharedStore} (a store whose bytes are one
 * file another process can map), {@link io.zxmem.spi.WatchedFile} (a store a copy-on-write engine
 * reads and watches), and {@link io.zxmem.spi.EmptyFile}, what a window shows past the end it may
 * reach, which {@code PageStore}'s default windows use.
 *
 * <p>{@link io.zxmem.spi.Resources} hands the device module the region behind a {@code Resource}
 * handle without a public accessor; it never names the handle class, so this package does not depend
 * on the handle layer through it.
 *
 * <p>What is not here, and why: core's own stores ({@code MemfdStore}, {@code SliceStore},
 * {@code PhysicalStore}, {@code SimulatedRegion}, the memfd pool and the headroom check) are
 * implementation, in {@code io.zxmem.internal.store}; cow and pager build on {@code MemfdStore} by
 * composition through a qualified export of that package, never through this one. Nothing in this
 * package refers to a class of the store package, so a module that only implements a service sees
 * contracts, not core's implementation. Calls go one way: core (handles, objects, stores) calls the
 * services and implements the contracts; the services call back only through the contracts and the
 * public API.
 */
package io.zxmem.spi;
