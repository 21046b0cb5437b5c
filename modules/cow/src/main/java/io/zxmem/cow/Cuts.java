package io.zxmem.cow;

/**
 * Which path each copy-on-write cut took, for the tests that check a child was cut lazily (over
 * userfaultfd) or copied eagerly. Nothing observes cuts outside those tests: a cut pays one
 * volatile read, and the engine keeps no counters of its own.
 */
final class Cuts {
    /** Told of every cut made by {@link CowEngine}. */
    interface Observer {
        /** @param lazy whether the child was cut over userfaultfd (else its pages were copied now) */
        void cut(boolean lazy);
    }

    private static volatile Observer observer;

    private Cuts() {}

    /** Installs the one observer (a test's), replacing any before it. */
    static void observe(Observer o) {
        observer = o;
    }

    static void cut(boolean lazy) {
        Observer o = observer;
        if (o != null) {
            o.cut(lazy);
        }
    }
}
