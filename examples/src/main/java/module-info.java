/** Example programs written only against zxmem's public API. */
module io.zxmem.examples {
    requires io.zxmem;
    requires io.zxmem.physical;
}
