package com.example.consumer;

import io.zxmem.Channel;
import io.zxmem.Message;
import io.zxmem.Rights;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.lang.module.ResolvedModule;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * Uses what the one dependency {@code io.zxmem:zxmem} promises: core, the copy-on-write engine
 * (a snapshot) and channels (a VMO handle through a channel), each of the engines found by core
 * through {@link java.util.ServiceLoader}. Exits 1 with the reason when anything is missing.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        boolean modulePath = Main.class.getModule().isNamed();
        String where = modulePath ? "module path" : "class path";

        // Native access must be granted to the module that makes the downcalls, by the flag the README names.
        Module linux = modulePath ? ModuleLayer.boot().findModule("io.zxmem.linux").orElseThrow() : Main.class.getModule();
        require(linux.isNativeAccessEnabled(), "native access is not enabled for " + linux);

        long page = Zx.pageSize();
        byte[] before = "before".getBytes(StandardCharsets.UTF_8);
        byte[] seen = new byte[before.length];
        try (Vmo parent = Vmo.create(page)) {
            parent.write(before, 0);
            // A snapshot needs the copy-on-write engine (io.zxmem.cow): without it, NOT_SUPPORTED.
            try (Vmo snapshot = parent.createChild(Vmo.CHILD_SNAPSHOT, 0, page)) {
                parent.write("after!".getBytes(StandardCharsets.UTF_8), 0);
                snapshot.read(seen, 0);
                require(Arrays.equals(seen, before), "the snapshot saw the parent's later write: "
                        + new String(seen, StandardCharsets.UTF_8));
            }
        }

        // A channel needs the transport (io.zxmem.share): a read-only handle to a VMO travels through it.
        Channel[] pair = Channel.createPair();
        try (Channel a = pair[0]; Channel b = pair[1]; Vmo sent = Vmo.create(page)) {
            sent.write(before, 0);
            a.write("vmo".getBytes(StandardCharsets.UTF_8), sent.duplicate(Rights.READ | Rights.MAP | Rights.TRANSFER));
            try (Message m = b.read(Duration.ofSeconds(5))) {
                Vmo received = m.handle(0, Vmo.class);
                Arrays.fill(seen, (byte) 0);
                received.read(seen, 0);
                require(Arrays.equals(seen, before), "the received handle reads " + new String(seen, StandardCharsets.UTF_8));
            }
        }

        String engines = modulePath ? module("io.zxmem.cow") + ", " + module("io.zxmem.share") + ", "
                + module("io.zxmem.physical") : "engines on the class path";
        System.out.println("consumer (" + where + "): snapshot kept \"before\", a VMO crossed a channel; zxmem from "
                + Vmo.class.getProtectionDomain().getCodeSource().getLocation().getPath() + "; " + engines + "; ok");
    }

    /** Names the jar a module was resolved from: the engines are resolved because core uses their services. */
    private static String module(String name) {
        Optional<ResolvedModule> m = ModuleLayer.boot().configuration().findModule(name);
        require(m.isPresent(), name + " was not resolved");
        String loc = m.get().reference().location().map(u -> u.getPath().replaceAll(".*/", "")).orElse("?");
        return name + " (" + loc + ")";
    }

    private static void require(boolean ok, String why) {
        if (!ok) {
            System.err.println("consumer: FAILED: " + why);
            System.exit(1);
        }
    }
}
