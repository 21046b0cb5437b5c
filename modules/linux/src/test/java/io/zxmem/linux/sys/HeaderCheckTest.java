package io.zxmem.linux.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Compiles {@code native-headers/zxmem_linux.h} with gcc against the system headers and checks that
 * every constant and struct layout declared by a {@link HeaderChecked} class has the value, offset
 * and size the C compiler sees. The C program is generated from the Java declarations, so a constant
 * added in Java without a C twin of the same name fails to compile, and therefore fails this test.
 */
class HeaderCheckTest {
    private static final Map<String, Long> C = new HashMap<>();
    private static final List<Class<?>> CHECKED = new ArrayList<>();
    private static int checks;

    @BeforeAll
    static void compileAndRun() throws Exception {
        Path headers = Path.of(System.getProperty("zx.nativeHeaders", "../../native-headers")).toAbsolutePath();
        assertTrue(Files.isRegularFile(headers.resolve("zxmem_linux.h")), "native-headers not found at " + headers);
        CHECKED.addAll(checkedClasses());
        assertTrue(CHECKED.size() >= 2, "expected at least Linux and Errno, found " + CHECKED);

        StringBuilder c = new StringBuilder("#include \"zxmem_linux.h\"\n#include <stdio.h>\nint main(void) {\n");
        for (Class<?> k : CHECKED) {
            for (Field f : k.getFields()) {
                if (!isConstant(f)) {
                    continue;
                }
                if (f.getType() == StructLayout.class) {
                    StructLayout l = (StructLayout) f.get(null);
                    String s = "struct " + l.name().orElseThrow(() -> new AssertionError(f + " has no C name"));
                    c.append("  printf(\"sizeof %s %zu\\n\", \"").append(l.name().get()).append("\", sizeof(").append(s).append("));\n");
                    for (MemoryLayout m : l.memberLayouts()) {
                        if (m.name().isEmpty()) {
                            continue;
                        }
                        String key = l.name().get() + "." + m.name().get();
                        c.append("  printf(\"offset %s %zu\\n\", \"").append(key).append("\", offsetof(").append(s)
                                .append(", ").append(m.name().get()).append("));\n");
                        c.append("  printf(\"size %s %zu\\n\", \"").append(key).append("\", sizeof(((").append(s)
                                .append(" *)0)->").append(m.name().get()).append("));\n");
                    }
                } else {
                    c.append("  printf(\"const %s %lld\\n\", \"").append(f.getName()).append("\", (long long)(")
                            .append(f.getName()).append("));\n");
                }
            }
        }
        c.append("  return 0;\n}\n");

        Path dir = Files.createTempDirectory("zxmem-headers");
        Path src = dir.resolve("check.c");
        Path exe = dir.resolve("check");
        Files.writeString(src, c);
        String compile = run(List.of("gcc", "-std=gnu11", "-Wall", "-Werror", "-I", headers.toString(),
                src.toString(), "-o", exe.toString()), "gcc is needed for the header check: apt-get install gcc libc6-dev");
        String out = run(List.of(exe.toString()), "the generated header check did not run");
        for (String line : out.split("\n")) {
            String[] p = line.trim().split(" ");
            if (p.length == 3) {
                C.put(p[0] + " " + p[1], Long.parseLong(p[2]));
            }
        }
        assertTrue(compile.isBlank(), "gcc warned: " + compile);
    }

    private static String run(List<String> cmd, String hint) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(hint, e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            fail(hint + "\n" + String.join(" ", cmd) + "\n" + out);
        }
        return out;
    }

    private static boolean isConstant(Field f) {
        int m = f.getModifiers();
        return Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m)
                && (f.getType() == int.class || f.getType() == long.class || f.getType() == short.class
                    || f.getType() == StructLayout.class);
    }

    /** Every class of this module's main output that carries {@link HeaderChecked}. */
    static List<Class<?>> checkedClasses() throws IOException {
        Path classes = Path.of("target/classes").toAbsolutePath();
        List<Class<?>> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path p : (Iterable<Path>) files.filter(x -> x.toString().endsWith(".class"))::iterator) {
                String name = classes.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "");
                if (name.equals("module-info")) {
                    continue;
                }
                try {
                    Class<?> k = Class.forName(name, false, HeaderCheckTest.class.getClassLoader());
                    if (k.isAnnotationPresent(HeaderChecked.class)) {
                        found.add(k);
                    }
                } catch (ClassNotFoundException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return found;
    }

    @Test
    void everyConstantMatchesTheSystemHeaders() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (Class<?> k : CHECKED) {
            for (Field f : k.getFields()) {
                if (!isConstant(f) || f.getType() == StructLayout.class) {
                    continue;
                }
                Long cv = C.get("const " + f.getName());
                assertTrue(cv != null, "no C value printed for " + f);
                long jv = ((Number) f.get(null)).longValue();
                boolean same = switch (f.getType().getName()) {
                    case "int" -> (int) jv == (int) cv.longValue();
                    case "short" -> (short) jv == (short) cv.longValue();
                    default -> jv == cv;
                };
                checks++;
                if (!same) {
                    wrong.add(k.getSimpleName() + "." + f.getName() + ": Java " + jv + ", C " + cv);
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void everyStructLayoutMatchesTheSystemHeaders() throws Exception {
        List<String> wrong = new ArrayList<>();
        int structs = 0;
        for (Class<?> k : CHECKED) {
            for (Field f : k.getFields()) {
                if (!isConstant(f) || f.getType() != StructLayout.class) {
                    continue;
                }
                structs++;
                GroupLayout l = (GroupLayout) f.get(null);
                String n = l.name().orElseThrow();
                compare(wrong, "sizeof " + n, l.byteSize());
                for (MemoryLayout m : l.memberLayouts()) {
                    if (m.name().isEmpty()) {
                        continue;
                    }
                    String key = n + "." + m.name().get();
                    compare(wrong, "offset " + key, l.byteOffset(MemoryLayout.PathElement.groupElement(m.name().get())));
                    compare(wrong, "size " + key, m.byteSize());
                }
            }
        }
        assertTrue(structs >= 3, "expected struct layouts to check, found " + structs);
        assertEquals(List.of(), wrong);
    }

    private static void compare(List<String> wrong, String key, long java) {
        Long c = C.get(key);
        if (c == null) {
            wrong.add(key + ": no C value");
        } else if (c != java) {
            wrong.add(key + ": Java " + java + ", C " + c);
        }
    }
}
