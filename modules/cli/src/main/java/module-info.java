/** The {@code zx} command-line tool. */
module io.zxmem.cli {
    requires io.zxmem;
    requires io.zxmem.physical;
    // Java2D, headless, for the benchmark plots (PNG).
    requires java.desktop;
}
