/** The {@code zx} command-line tool. */
module io.zxmem.cli {
    requires io.zxmem;
}
