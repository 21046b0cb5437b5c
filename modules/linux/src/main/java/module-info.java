/**
 * Foreign Function and Memory API bindings to the parts of libc and the Linux system call interface
 * that zxmem uses. No JNI: every call is a {@link java.lang.foreign.Linker} downcall.
 *
 * <p>{@code io.zxmem.linux} holds the one public type, {@link io.zxmem.linux.LinuxException}, which
 * zxmem attaches as the cause of a failing operation. The bindings themselves live in
 * {@code io.zxmem.linux.sys} and are exported only to zxmem's own modules. {@code io.zxmem.linux.gen}
 * is what jextract generates from {@code native-headers/zxmem_linux.h} ({@code native-headers/regen.sh});
 * it is not exported: the hand-written bindings capture errno, and a test holds their constants,
 * struct layouts and function signatures equal to the generated ones.
 */
module io.zxmem.linux {
    exports io.zxmem.linux;
    exports io.zxmem.linux.sys to io.zxmem, io.zxmem.cow, io.zxmem.share, io.zxmem.physical, io.zxmem.pager;
}
