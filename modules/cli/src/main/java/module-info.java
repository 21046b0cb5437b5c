/** The {@code zx} command-line tool. */
module io.zxmem.cli {
    requires io.zxmem;
    // Java2D, headless, for the benchmark plots (PNG).
    requires java.desktop;
}
