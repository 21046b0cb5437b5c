package io.zxmem;

/**
 * A page request that a pager VMO sends its {@link Pager} ({@code zx_packet_page_request_t}).
 *
 * @param command {@link #READ} (supply {@code [offset, offset+length)} with
 *                {@link Pager#supplyPages}), {@link #DIRTY} (a write wants to dirty clean pages: answer with
 *                {@link Pager#OP_DIRTY}) or {@link #COMPLETE} (the VMO was detached or destroyed: no more
 *                requests for it; offset and length are 0)
 * @param koid    the koid of the pager VMO ({@link Vmo#koid()})
 * @param offset  page-aligned offset in the VMO
 * @param length  page-aligned length
 */
public record PageRequest(int command, long koid, long offset, long length) {
    /** {@code ZX_PAGER_VMO_READ}: pages are needed. */
    public static final int READ = 0;
    /** {@code ZX_PAGER_VMO_COMPLETE}: the VMO left the pager. */
    public static final int COMPLETE = 1;
    /** {@code ZX_PAGER_VMO_DIRTY}: clean pages are about to be written (VMOs created with {@link Pager#TRAP_DIRTY}). */
    public static final int DIRTY = 2;

    /**
     * {@return whether this request is about {@code vmo} (same koid)}
     *
     * @param vmo a VMO handle, possibly closed or null
     */
    public boolean isFor(Vmo vmo) {
        return vmo != null && vmo.isValid() && vmo.koid() == koid;
    }

    @Override
    public String toString() {
        String c = switch (command) {
            case READ -> "READ";
            case COMPLETE -> "COMPLETE";
            case DIRTY -> "DIRTY";
            default -> "command " + command;
        };
        return "PageRequest[" + c + ", koid=" + koid + ", offset=0x" + Long.toHexString(offset) + ", length=0x"
                + Long.toHexString(length) + "]";
    }
}
