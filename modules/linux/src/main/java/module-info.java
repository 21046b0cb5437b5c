/**
 * Hand-written Foreign Function and Memory API bindings to the parts of libc and the Linux system
 * call interface that zxmem uses. No JNI: every call is a {@link java.lang.foreign.Linker} downcall.
 *
 * <p>{@code io.zxmem.linux} holds the one public type, {@link io.zxmem.linux.LinuxException}, which
 * zxmem attaches as the cause of a failing operation. The bindings themselves live in
 * {@code io.zxmem.linux.sys} and are exported only to zxmem's own modules.
 */
module io.zxmem.linux {
    exports io.zxmem.linux;
    exports io.zxmem.linux.sys to io.zxmem, io.zxmem.cow, io.zxmem.share, io.zxmem.physical, io.zxmem.pager;
}
