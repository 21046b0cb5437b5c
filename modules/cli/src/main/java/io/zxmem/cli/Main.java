package io.zxmem.cli;

import java.io.PrintStream;
import java.util.Arrays;

/** {@code zx}: dispatches to a subcommand. */
public final class Main {
    static final String USAGE = """
            usage: zx [command] [args]
              tour        a short tour of zxmem on this machine (the default)
              help        this text
            Building and testing: ./zx build, ./zx test (see README.md).""";

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command. @return the process exit status */
    static int run(String[] args, PrintStream out, PrintStream err) {
        String cmd = args.length == 0 ? "tour" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (cmd) {
            case "tour":
                return new Tour(out).run(rest);
            case "help", "--help", "-h":
                out.println(USAGE);
                return 0;
            default:
                err.println("zx: unknown command '" + cmd + "'");
                err.println(USAGE);
                return 2;
        }
    }
}
