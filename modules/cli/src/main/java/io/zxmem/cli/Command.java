package io.zxmem.cli;

import java.io.PrintStream;

/** One subcommand of {@code zx}. */
interface Command {
    /** @return the word that selects the command */
    String name();

    /** @return the argument synopsis, for example {@code "BDF BAR OFFSET [--width 8|16|32|64]"} */
    String synopsis();

    /** @return one line saying what the command does */
    String summary();

    /** @return the full help text shown by {@code zx NAME --help} (defaults to the summary) */
    default String help() {
        return summary();
    }

    /**
     * Runs the command.
     *
     * @return the exit status
     * @throws UsageException when the arguments are wrong: zx prints its message and the usage
     */
    int run(String[] args, PrintStream out, PrintStream err) throws Exception;

    /** Wrong arguments: one line saying what is wrong. */
    final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
