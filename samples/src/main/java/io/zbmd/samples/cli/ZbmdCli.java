package io.zbmd.samples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code zbmd} command line: {@code java -jar zbmd.jar <subcommand>}. */
@Command(
    name = "zbmd",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "GPUs as first-class citizens of an Apache Pekko application.",
    subcommands = {HelloCommand.class, DevicesCommand.class, TrainCommand.class, RunsCommand.class, EvalCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class ZbmdCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // Initialise logging before any actor system starts threads that log; otherwise SLF4J warns
    // that it replays the messages logged while it was being initialised concurrently.
    org.slf4j.LoggerFactory.getILoggerFactory();
    System.exit(commandLine().execute(args));
  }

  /** The command tree, shared by {@link #main} and the tests. */
  public static CommandLine commandLine() {
    return CliErrors.install(new CommandLine(new ZbmdCli()));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
