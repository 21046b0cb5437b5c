/*
 * The C side of MmioBench: 32-bit register reads and writes through a mapping of a PCI BAR, the way a
 * C driver does them (volatile, naturally aligned, one instruction each).
 *
 * Each call does `count` accesses in a loop, so the one FFM downcall that reaches it is spread over
 * many accesses and the per-access figure is what C itself costs. The Java side loops the same way.
 */
#include <stddef.h>
#include <stdint.h>

/* count volatile 32-bit loads of *reg; returns their sum so nothing can be dropped */
uint32_t zxb_mmio_read32(const volatile uint32_t *reg, long count) {
    uint32_t sum = 0;
    for (long i = 0; i < count; i++) {
        sum += *reg;
    }
    return sum;
}

/* count volatile 32-bit stores of value + i to *reg */
void zxb_mmio_write32(volatile uint32_t *reg, uint32_t value, long count) {
    for (long i = 0; i < count; i++) {
        *reg = value + (uint32_t) i;
    }
}
