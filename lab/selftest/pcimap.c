/*
 * pcimap.c - prove that a PCI BAR can be mapped into user space and accessed,
 * through four different kernel paths, and that edu's interrupt reaches user
 * space through UIO and VFIO.  Built on the host with gcc -static (into the lab
 * cache) and run inside the lab guest by lab/selftest/guest-selftest.sh.
 * Adapted from shared/hwlab/pcimap.c; the interrupt tests are new.
 *
 *   pcimap <method> <bdf> <bar> [slot|irq]
 *     method  sysfs   mmap /sys/bus/pci/devices/<bdf>/resource<bar>
 *             devmem  mmap /dev/mem at the BAR's physical address
 *             uio     mmap /dev/uioN (device bound to uio_pci_generic); the UIO
 *                     map whose address equals the BAR's address is used
 *             vfio    VFIO type1 container/group/device fds (device bound to
 *                     vfio-pci, behind an IOMMU), VFIO_DEVICE_GET_REGION_INFO,
 *                     mmap of the device fd at the region offset
 *     bdf     e.g. 0000:00:10.0
 *     bar     BAR index
 *     slot    ivshmem reply slot (0..63) to write into the last 4 KiB of BAR2
 *     irq     (edu BAR0, uio or vfio) instead of the register checks, test the
 *             interrupt: edu raises it when 0x60 (raise) is written, status at
 *             0x24, acknowledged by writing 0x64.
 *             uio:  clear the INTx Disable bit (10) of the command register
 *                   through sysfs config (uio_pci_generic has no irqcontrol, a
 *                   write to /dev/uioN fails with ENOSYS), raise, poll+read the
 *                   event count, ack; the kernel handler set INTx Disable again,
 *                   so clear it for the next round; three rounds.
 *             vfio: INTx: VFIO_DEVICE_SET_IRQS with an eventfd, raise, poll+read
 *                   the eventfd, ack, VFIO_IRQ_SET_ACTION_UNMASK (INTx is
 *                   auto-masked); MSI: same with the MSI index, first with Bus
 *                   Master Enable clear (the MSI write is then dropped) and then
 *                   with it set.
 *
 * Device specific checks after mapping:
 *   edu (1234:11e8) BAR0: id register 0x010000ed, liveness register
 *       (returns ~written), factorial unit; with vfio also a DMA round trip
 *       through the (emulated) IOMMU: RAM -> edu buffer -> RAM.
 *   ivshmem (1af4:1110) BAR2: verifies the pattern the host wrote into the
 *       backing file (LabProof host-write) and writes a reply string into
 *       the slot, which the host checks after the guest has powered off.
 * PCIMAP_HOLD=N in the environment keeps the mapping open N seconds at the end.
 * Exit: 0 all checks passed, 1 a check failed, 3 the path is not available
 * (open/ioctl/mmap failed), 2 usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *method, *bdf;
static int bar, slot = -1;
static int vfio_container = -1, vfio_device = -1, uio_fd = -1;
static int failures;

#define UNAVAILABLE(...) do { fprintf(stderr, "pcimap %s %s bar%d: ", method, bdf, bar); \
    fprintf(stderr, __VA_ARGS__); fprintf(stderr, " (errno %d %s)\n", errno, strerror(errno)); exit(3); } while (0)

static void check(int ok, const char *what, uint64_t got, uint64_t want) {
    printf("%s %s %s bar%d: %s: got 0x%" PRIx64 " want 0x%" PRIx64 "\n",
           ok ? "PASS" : "FAIL", method, bdf, bar, what, got, want);
    if (!ok) failures++;
}

static double now(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long read_hex(const char *fmt, const char *arg) {
    char p[512]; snprintf(p, sizeof p, fmt, arg);
    FILE *f = fopen(p, "r"); if (!f) return ~0UL;
    unsigned long v = ~0UL; if (fscanf(f, "%lx", &v) != 1) v = ~0UL; fclose(f); return v;
}

/* physical start/size of the BAR from /sys/bus/pci/devices/<bdf>/resource */
static void bar_phys(uint64_t *start, uint64_t *size) {
    char p[256], line[256]; snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/resource", bdf);
    FILE *f = fopen(p, "r"); if (!f) UNAVAILABLE("open %s", p);
    for (int i = 0; i <= bar; i++) if (!fgets(line, sizeof line, f)) UNAVAILABLE("short %s", p);
    fclose(f);
    uint64_t s, e, fl; sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64, &s, &e, &fl);
    if (!s) UNAVAILABLE("BAR%d not assigned", bar);
    *start = s; *size = e - s + 1;
}

static volatile void *map_sysfs(size_t *size) {
    char p[256]; snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/resource%d", bdf, bar);
    int fd = open(p, O_RDWR | O_SYNC); if (fd < 0) UNAVAILABLE("open %s", p);
    struct stat st; fstat(fd, &st); *size = st.st_size;
    void *m = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) UNAVAILABLE("mmap %s", p);
    return m;
}

static volatile void *map_devmem(size_t *size) {
    uint64_t start, sz; bar_phys(&start, &sz); *size = sz;
    int fd = open("/dev/mem", O_RDWR | O_SYNC); if (fd < 0) UNAVAILABLE("open /dev/mem");
    void *m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)start);
    if (m == MAP_FAILED) UNAVAILABLE("mmap /dev/mem at 0x%" PRIx64, start);
    return m;
}

static volatile void *map_uio(size_t *size) {
    char p[256]; snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/uio", bdf);
    DIR *d = opendir(p); if (!d) UNAVAILABLE("%s (not bound to a UIO driver?)", p);
    struct dirent *e; char uio[256] = "";
    while ((e = readdir(d))) if (!strncmp(e->d_name, "uio", 3)) snprintf(uio, sizeof uio, "%s", e->d_name);
    closedir(d);
    if (!*uio) UNAVAILABLE("no uioN under %s", p);
    uint64_t start, sz; bar_phys(&start, &sz);
    for (int i = 0; i < 5; i++) {          /* MAX_UIO_MAPS is 5 */
        char q[256]; snprintf(q, sizeof q, "/sys/class/uio/%s/maps/map%d/addr", uio, i);
        unsigned long addr = read_hex("%s", q);
        if (addr == ~0UL) break;
        snprintf(q, sizeof q, "/sys/class/uio/%s/maps/map%d/size", uio, i);
        unsigned long msz = read_hex("%s", q);
        printf("INFO uio %s map%d addr 0x%lx size 0x%lx\n", uio, i, addr, msz);
        if (addr == start) {
            snprintf(q, sizeof q, "/dev/%s", uio);
            int fd = open(q, O_RDWR | O_SYNC); if (fd < 0) UNAVAILABLE("open %s", q);
            /* UIO: map N is selected by offset N * page size */
            void *m = mmap(NULL, msz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)i * getpagesize());
            if (m == MAP_FAILED) UNAVAILABLE("mmap %s map%d", q, i);
            uio_fd = fd; *size = msz; return m;
        }
    }
    errno = 0;
    UNAVAILABLE("%s exposes no map for BAR%d at 0x%" PRIx64, uio, bar, start);
}

static volatile void *map_vfio(size_t *size) {
    char p[256], link[256];
    snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/iommu_group", bdf);
    ssize_t n = readlink(p, link, sizeof link - 1); if (n < 0) UNAVAILABLE("no IOMMU group: %s", p);
    link[n] = 0; const char *group = basename(link);
    int c = open("/dev/vfio/vfio", O_RDWR); if (c < 0) UNAVAILABLE("open /dev/vfio/vfio");
    if (ioctl(c, VFIO_GET_API_VERSION) != VFIO_API_VERSION) UNAVAILABLE("VFIO API version");
    if (!ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)) UNAVAILABLE("no VFIO_TYPE1v2_IOMMU");
    snprintf(p, sizeof p, "/dev/vfio/%s", group);
    int g = open(p, O_RDWR); if (g < 0) UNAVAILABLE("open %s (device bound to vfio-pci?)", p);
    struct vfio_group_status gs = { .argsz = sizeof gs };
    if (ioctl(g, VFIO_GROUP_GET_STATUS, &gs) || !(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
        UNAVAILABLE("group %s not viable", group);
    if (ioctl(g, VFIO_GROUP_SET_CONTAINER, &c)) UNAVAILABLE("VFIO_GROUP_SET_CONTAINER");
    if (ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) UNAVAILABLE("VFIO_SET_IOMMU");
    int dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, bdf); if (dev < 0) UNAVAILABLE("VFIO_GROUP_GET_DEVICE_FD");
    struct vfio_region_info ri = { .argsz = sizeof ri, .index = VFIO_PCI_BAR0_REGION_INDEX + bar };
    if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri)) UNAVAILABLE("VFIO_DEVICE_GET_REGION_INFO");
    printf("INFO vfio group %s region %d size 0x%llx offset 0x%llx flags 0x%x%s\n", group, ri.index,
           (unsigned long long)ri.size, (unsigned long long)ri.offset, ri.flags,
           (ri.flags & VFIO_REGION_INFO_FLAG_MMAP) ? " (mmap)" : "");
    if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP)) { errno = 0; UNAVAILABLE("region not mmap-able"); }
    void *m = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev, (off_t)ri.offset);
    if (m == MAP_FAILED) UNAVAILABLE("mmap vfio region");
    vfio_container = c; vfio_device = dev; *size = ri.size;
    return m;
}

static uint32_t r32(volatile void *b, size_t o) { return *(volatile uint32_t *)((volatile char *)b + o); }
static void w32(volatile void *b, size_t o, uint32_t v) { *(volatile uint32_t *)((volatile char *)b + o) = v; }
static void w64(volatile void *b, size_t o, uint64_t v) { *(volatile uint64_t *)((volatile char *)b + o) = v; }
static uint64_t r64(volatile void *b, size_t o) { return *(volatile uint64_t *)((volatile char *)b + o); }

static int wait_clear(volatile void *b, size_t reg, uint32_t bit) {
    double t0 = now();
    while (r32(b, reg) & bit) { if (now() - t0 > 10) return 0; usleep(100); }
    return 1;
}

static void edu_checks(volatile void *b) {
    check(r32(b, 0x00) == 0x010000ed, "edu id register", r32(b, 0x00), 0x010000ed);
    w32(b, 0x04, 0x12345678);
    check(r32(b, 0x04) == ~0x12345678u, "edu liveness (inverse)", r32(b, 0x04), ~0x12345678u);
    w32(b, 0x08, 10);
    int done = wait_clear(b, 0x20, 1);
    check(done && r32(b, 0x08) == 3628800, "edu factorial(10)", r32(b, 0x08), 3628800);
    if (vfio_container < 0) return;
    /* DMA through the IOMMU: map a host buffer at IOVA 0x100000 (edu's DMA mask
     * is 28 bits), copy RAM -> edu buffer (0x40000) -> RAM at IOVA+0x800 */
    /* the device may only master the bus (DMA) once the Bus Master Enable bit
     * (bit 2 of the PCI command register) is set: through the config region */
    struct vfio_region_info cfg = { .argsz = sizeof cfg, .index = VFIO_PCI_CONFIG_REGION_INDEX };
    uint16_t cmd = 0;
    if (ioctl(vfio_device, VFIO_DEVICE_GET_REGION_INFO, &cfg) ||
        pread(vfio_device, &cmd, 2, (off_t)cfg.offset + 4) != 2) {
        printf("FAIL %s %s bar%d: reading PCI command register errno %d\n", method, bdf, bar, errno);
        failures++; return;
    }
    cmd |= 0x4;
    if (pwrite(vfio_device, &cmd, 2, (off_t)cfg.offset + 4) != 2) { failures++; return; }
    size_t len = 4096;
    uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 256; i++) buf[i] = (uint8_t)(i * 7 + 1);
    struct vfio_iommu_type1_dma_map dm = { .argsz = sizeof dm,
        .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
        .vaddr = (uintptr_t)buf, .iova = 0x100000, .size = len };
    if (ioctl(vfio_container, VFIO_IOMMU_MAP_DMA, &dm)) {
        printf("FAIL %s %s bar%d: VFIO_IOMMU_MAP_DMA errno %d\n", method, bdf, bar, errno);
        failures++; return;
    }
    w64(b, 0x80, 0x100000); w64(b, 0x88, 0x40000); w64(b, 0x90, 256); w64(b, 0x98, 1); /* RAM->edu */
    int ok1 = wait_clear(b, 0x98, 1);
    w64(b, 0x80, 0x40000); w64(b, 0x88, 0x100800); w64(b, 0x90, 256); w64(b, 0x98, 1 | 2); /* edu->RAM */
    int ok2 = wait_clear(b, 0x98, 1);
    int same = ok1 && ok2 && !memcmp(buf, buf + 0x800, 256);
    check(same, "edu DMA round trip via IOMMU (byte 255)", buf[0x800 + 255], buf[255]);
    (void)r64;
}

static uint64_t pattern(uint64_t i) { return (i + 1) * 0x9E3779B97F4A7C15ull; }

static void ivshmem_checks(volatile void *b, size_t size) {
    const char magic[8] = "ZXLABIVS";
    check(!memcmp((const void *)b, magic, 8), "ivshmem magic", r64(b, 0), 0x53564942414c585aull);
    size_t words = (size - 4096) / 8, bad = 0, firstbad = 0;
    volatile uint64_t *w = b;
    for (size_t i = 1; i < words; i++) if (w[i] != pattern(i)) { if (!bad++) firstbad = i; }
    check(bad == 0, "ivshmem host pattern (bad words)", bad, 0);
    if (bad) printf("INFO first bad word %zu: 0x%" PRIx64 "\n", firstbad, w[firstbad]);
    if (slot >= 0 && slot < 64) {
        char msg[64]; memset(msg, 0, sizeof msg);
        snprintf(msg, sizeof msg, "ZXLAB-REPLY C %s bar%d %zu", method, bar, size);
        volatile char *dst = (volatile char *)b + size - 4096 + 64 * slot;
        for (int i = 0; i < 64; i++) dst[i] = msg[i];
        printf("INFO wrote reply slot %d: %s\n", slot, msg);
    }
}

/* ---- interrupts ---------------------------------------------------------- */

/* PCI command register through sysfs config (bit 10 = INTx Disable) */
static int cfg_command(void) {
    char p[256]; snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/config", bdf);
    int fd = open(p, O_RDONLY); uint16_t c = 0xffff;
    if (fd >= 0) { if (pread(fd, &c, 2, 4) != 2) c = 0xffff; close(fd); }
    return c;
}

static int cfg_command_write(uint16_t c) {
    char p[256]; snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/config", bdf);
    int fd = open(p, O_WRONLY); if (fd < 0) return -1;
    int ok = pwrite(fd, &c, 2, 4) == 2; close(fd);
    return ok ? 0 : -1;
}

/* wait for fd to become readable; returns ms waited or -1 on timeout */
static double wait_readable(int fd, int timeout_ms) {
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    double t0 = now();
    int n = poll(&pfd, 1, timeout_ms);
    return n == 1 ? (now() - t0) * 1e3 : -1;
}

static void uio_irq(volatile void *b) {
    uint32_t one = 1, count = 0, last = 0;
    /* uio_pci_generic has no irqcontrol: writing /dev/uioN is not the way */
    int w = write(uio_fd, &one, 4);
    printf("INFO uio irq: write(1) to /dev/uioN -> %d (errno %d, ENOSYS expected)\n", w, w < 0 ? errno : 0);
    for (int round = 0; round < 3; round++) {
        int c = cfg_command();
        if (cfg_command_write(c & ~0x400)) { printf("FAIL uio irq: config write errno %d\n", errno); failures++; return; }
        if (round == 0)
            printf("INFO uio irq: command register 0x%04x, after clearing INTx Disable 0x%04x\n", c, cfg_command());
        uint32_t v = 0x100u << round;
        w32(b, 0x60, v);                                /* edu: raise interrupt */
        double ms = wait_readable(uio_fd, 5000);
        int got = ms >= 0 && read(uio_fd, &count, 4) == 4;
        uint32_t status = r32(b, 0x24);
        check(got && count > last && status == v, "uio INTx interrupt (event count)", got ? count : 0, last + 1);
        if (got) printf("INFO uio irq round %d: event count %u, status 0x%x, command 0x%04x, %.2f ms\n",
                        round, count, status, cfg_command(), ms);
        last = count;
        w32(b, 0x64, v);                                /* edu: acknowledge -> INTx low */
    }
    /* acknowledged: nothing more may arrive even with INTx unmasked */
    cfg_command_write(cfg_command() & ~0x400);
    check(wait_readable(uio_fd, 200) < 0, "uio no spurious interrupt after ack", 0, 0);
}

static int vfio_irq_set(uint32_t flags, uint32_t index, uint32_t count, int32_t fd) {
    struct { struct vfio_irq_set s; int32_t fd; } a = { .s = { .argsz = sizeof a, .flags = flags,
        .index = index, .start = 0, .count = count } , .fd = fd };
    if (flags & VFIO_IRQ_SET_DATA_NONE) a.s.argsz = sizeof a.s;
    return ioctl(vfio_device, VFIO_DEVICE_SET_IRQS, &a);
}

static void set_bus_master(int on) {
    struct vfio_region_info cfg = { .argsz = sizeof cfg, .index = VFIO_PCI_CONFIG_REGION_INDEX };
    uint16_t cmd = 0;
    if (ioctl(vfio_device, VFIO_DEVICE_GET_REGION_INFO, &cfg) ||
        pread(vfio_device, &cmd, 2, (off_t)cfg.offset + 4) != 2) { failures++; return; }
    cmd = on ? (cmd | 0x4) : (cmd & ~0x4);
    if (pwrite(vfio_device, &cmd, 2, (off_t)cfg.offset + 4) != 2) failures++;
}

/* returns the number of interrupts seen in `rounds` raise/ack rounds */
static int vfio_irq_rounds(volatile void *b, int efd, const char *what, int rounds, int timeout_ms, int unmask) {
    int seen = 0;
    for (int round = 0; round < rounds; round++) {
        uint32_t v = 0x1000u << round;
        w32(b, 0x60, v);
        double ms = wait_readable(efd, timeout_ms);
        uint64_t n = 0;
        if (ms >= 0 && read(efd, &n, 8) == 8) {
            seen++;
            printf("INFO vfio %s round %d: eventfd count %" PRIu64 ", status 0x%x, %.2f ms\n", what, round, n, r32(b, 0x24), ms);
        } else {
            printf("INFO vfio %s round %d: no interrupt within %d ms\n", what, round, timeout_ms);
        }
        w32(b, 0x64, v);
        if (unmask) vfio_irq_set(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 1, -1);
    }
    return seen;
}

static void vfio_irq(volatile void *b) {
    for (uint32_t idx = VFIO_PCI_INTX_IRQ_INDEX; idx <= VFIO_PCI_MSI_IRQ_INDEX; idx++) {
        struct vfio_irq_info ii = { .argsz = sizeof ii, .index = idx };
        if (ioctl(vfio_device, VFIO_DEVICE_GET_IRQ_INFO, &ii)) { printf("FAIL vfio GET_IRQ_INFO %u errno %d\n", idx, errno); failures++; return; }
        printf("INFO vfio irq index %u (%s): count %u flags 0x%x\n", idx, idx ? "MSI" : "INTx", ii.count, ii.flags);
    }
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    /* INTx: level triggered, VFIO masks it in the kernel handler (automasked) */
    if (vfio_irq_set(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 1, efd)) {
        printf("FAIL vfio INTx SET_IRQS errno %d\n", errno); failures++; return;
    }
    int n = vfio_irq_rounds(b, efd, "INTx", 3, 5000, 1);
    check(n == 3, "vfio INTx interrupts via eventfd (of 3)", n, 3);
    vfio_irq_set(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, -1);
    /* MSI: a memory write by the device, so it needs Bus Master Enable */
    set_bus_master(0);
    if (vfio_irq_set(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 1, efd)) {
        printf("FAIL vfio MSI SET_IRQS errno %d\n", errno); failures++; return;
    }
    n = vfio_irq_rounds(b, efd, "MSI without Bus Master", 1, 500, 0);
    printf("INFO vfio MSI with Bus Master Enable clear: %d of 1 delivered\n", n);
    set_bus_master(1);
    n = vfio_irq_rounds(b, efd, "MSI", 3, 5000, 0);
    check(n == 3, "vfio MSI interrupts via eventfd (of 3)", n, 3);
    vfio_irq_set(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 0, -1);
    set_bus_master(0);
    close(efd);
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: pcimap sysfs|devmem|uio|vfio <bdf> <bar> [slot|irq]\n"); return 2; }
    method = argv[1]; bdf = argv[2]; bar = atoi(argv[3]);
    int irq = argc > 4 && !strcmp(argv[4], "irq");
    if (argc > 4 && !irq) slot = atoi(argv[4]);
    unsigned long vendor = read_hex("/sys/bus/pci/devices/%s/vendor", bdf);
    unsigned long device = read_hex("/sys/bus/pci/devices/%s/device", bdf);
    size_t size = 0; volatile void *b;
    double t0 = now();
    if (!strcmp(method, "sysfs")) b = map_sysfs(&size);
    else if (!strcmp(method, "devmem")) b = map_devmem(&size);
    else if (!strcmp(method, "uio")) b = map_uio(&size);
    else if (!strcmp(method, "vfio")) b = map_vfio(&size);
    else { fprintf(stderr, "unknown method %s\n", method); return 2; }
    printf("INFO %s %s bar%d: mapped %zu bytes at %p in %.1f ms (device %04lx:%04lx)\n",
           method, bdf, bar, size, (void *)b, (now() - t0) * 1e3, vendor, device);
    if (irq) {
        if (vendor != 0x1234 || device != 0x11e8 || bar != 0) { fprintf(stderr, "irq: edu BAR0 only\n"); return 2; }
        check(r32(b, 0x00) == 0x010000ed, "edu id register", r32(b, 0x00), 0x010000ed);
        if (uio_fd >= 0) uio_irq(b);
        else if (vfio_device >= 0) vfio_irq(b);
        else { fprintf(stderr, "irq: needs the uio or vfio method\n"); return 2; }
    } else if (vendor == 0x1234 && device == 0x11e8 && bar == 0) edu_checks(b);
    else if (vendor == 0x1af4 && device == 0x1110 && bar == 2) ivshmem_checks(b, size);
    else printf("INFO no checks for this device/BAR; first dword 0x%x\n", r32(b, 0));
    /* PCIMAP_HOLD=N: keep the mapping (and VFIO fds) open N seconds, e.g. to
     * test what other access paths do while a driver owns the BAR */
    if (getenv("PCIMAP_HOLD")) sleep(atoi(getenv("PCIMAP_HOLD")));
    return failures ? 1 : 0;
}
