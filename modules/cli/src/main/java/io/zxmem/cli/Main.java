package io.zxmem.cli;

import io.zxmem.ZxException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code zx}: the command-line tool. With no arguments it runs the tour; {@code zx help} lists the
 * commands; {@code zx COMMAND --help} explains one. Wrong arguments print one line saying what is
 * wrong plus the command's usage, and exit with status 2.
 */
public final class Main {
    static final int USAGE_ERROR = 2;

    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        List<Command> all = new java.util.ArrayList<>(List.of(new Tour(), new Inspect()));
        all.addAll(Devices.commands());
        all.addAll(List.of(new Shell(), new Bench()));
        for (Command c : all) {
            COMMANDS.put(c.name(), c);
        }
    }

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static String usage() {
        StringBuilder b = new StringBuilder("usage: zx [COMMAND [ARGS]]   (no command: the tour)\n\ncommands:\n");
        for (Command c : COMMANDS.values()) {
            b.append(String.format("  %-8s %s%n", c.name(), c.summary()));
        }
        b.append(String.format("  %-8s %s%n", "help", "this text; `zx COMMAND --help` explains one command"));
        b.append("\nthe launcher script also has: ./zx build (jars), ./zx test (every test), ./zx lab ... (the QEMU device lab)\n");
        return b.toString();
    }

    static String usage(Command c) {
        return "usage: zx " + c.name() + (c.synopsis().isEmpty() ? "" : " " + c.synopsis());
    }

    /** Runs one command line. @return the process exit status */
    static int run(String[] args, PrintStream out, PrintStream err) {
        String name = args.length == 0 ? "tour" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        if (name.equals("help") || name.equals("--help") || name.equals("-h")) {
            if (rest.length == 1 && COMMANDS.containsKey(rest[0])) {
                return help(COMMANDS.get(rest[0]), out);
            }
            if (rest.length > 0) {
                err.println("zx help: no command '" + String.join(" ", rest) + "'");
                err.print(usage());
                return USAGE_ERROR;
            }
            out.print(usage());
            return 0;
        }
        Command c = COMMANDS.get(name);
        if (c == null) {
            err.println("zx: unknown command '" + name + "'");
            err.print(usage());
            return USAGE_ERROR;
        }
        if (rest.length > 0 && (rest[0].equals("--help") || rest[0].equals("-h"))) {
            return help(c, out);
        }
        try {
            return c.run(rest, out, err);
        } catch (Command.UsageException e) {
            err.println("zx " + c.name() + ": " + e.getMessage());
            err.println(usage(c));
            return USAGE_ERROR;
        } catch (ZxException e) {
            err.println("zx " + c.name() + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("zx " + c.name() + ": " + e);
            return 1;
        }
    }

    private static int help(Command c, PrintStream out) {
        out.println(usage(c));
        out.println();
        out.println(c.help());
        return 0;
    }
}
