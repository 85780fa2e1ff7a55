package io.metalr.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The command line: {@code metalr train|evaluate|predict|sweep|study|prepare|demo ...}; with no command it runs the demo. */
@Command(
        name = "metalr",
        mixinStandardHelpOptions = true,
        version = "metalr-spark 0.1.0",
        description = "Fine-tune pretrained networks with MetaLR (learned per-layer learning rates).",
        subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, SweepCommand.class,
                StudyCommand.class, PrepareCommand.class, DemoCommand.class})
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(new DemoCommand()).execute();
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (see {@link ExitCodes}). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // an exception without a message still says what it was, never "metalr: null"
            cmd.getErr().println("metalr: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return Failures.exitCode(e);
        });
        if (args.length == 0) {
            return cli.execute("demo");
        }
        return cli.execute(args);
    }
}
