/**
 * All of zxmem in one dependency: the public API ({@code io.zxmem}), device memory
 * ({@code io.zxmem.physical}), and the engines that core finds with {@link java.util.ServiceLoader}:
 * copy-on-write children ({@code io.zxmem.cow}) and channels between processes ({@code io.zxmem.share}).
 *
 * <p>Applications need not require this module: with the artifact's jars on the module path,
 * {@code requires io.zxmem;} is enough, because the module system resolves every observable provider
 * of a service that a resolved module uses. Requiring {@code io.zxmem.all} instead makes the engines
 * part of the application's declared graph (for {@code jlink}, for example).
 */
module io.zxmem.all {
    requires transitive io.zxmem;
    requires transitive io.zxmem.physical;
    requires io.zxmem.cow;
    requires io.zxmem.share;
}
