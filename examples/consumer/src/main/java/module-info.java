/** An application using zxmem: one line here, one dependency in the pom. */
module com.example.consumer {
    requires io.zxmem;
}
