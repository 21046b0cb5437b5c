/**
 * Helpers every layer of core shares, holding no state of any object: unsigned 64-bit range
 * arithmetic and the refusal helper ({@link io.zxmem.internal.Ranges}), the page size
 * ({@link io.zxmem.internal.Pages}), Zircon's VMO numbers ({@link io.zxmem.internal.VmoConstants},
 * which {@code io.zxmem.Vmo} states as its public constants), zxmem's one errno-to-status table and its one failure helper
 * ({@link io.zxmem.internal.Os}: {@code statusOf}, {@code fail}, {@code closeQuietly}), the JVM's late
 * memory faults ({@link io.zxmem.internal.Faults}), copies between a VMO and a caller's buffer
 * ({@link io.zxmem.internal.Copies}) and settling shared-arena closes
 * ({@link io.zxmem.internal.Handshakes}).
 *
 * <p>Who may use it: every package of core, and through a qualified export the physical backends
 * ({@code io.zxmem.physical}) and the channel transport ({@code io.zxmem.share}), so that there is one
 * errno table and one failure helper in zxmem. It calls nothing in core but the API's values
 * ({@code Status}, {@code ZxException}).
 */
package io.zxmem.internal;
